/**
 * Sends the ticket to the payment server as a form POST, to the whole page or, with
 * `target`, into the named payment window (adding `mode=popup`). The ticket never goes
 * into a URL, so it stays out of history, logs and `Referer`. The form is in the light
 * DOM only for the time of the submit: a form must be in the document to be submitted.
 * @example postTicket('https://pay.example/pay', ticket.token) // the page leaves for the payment server
 */
export function postTicket(action: string, ticket: string, target = ''): void {
  const form = Object.assign(document.createElement('form'), { method: 'post', action, target, hidden: true });
  for (const [name, value] of Object.entries(target ? { ticket, mode: 'popup' } : { ticket })) {
    form.append(Object.assign(document.createElement('input'), { type: 'hidden', name, value }));
  }
  document.body.append(form);
  // submit(), not requestSubmit(): no `submit` event for page scripts to cancel or rewrite.
  form.submit();
  form.remove();
}
