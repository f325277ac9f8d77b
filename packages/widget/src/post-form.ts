/**
 * Sends a form POST to the payment server, to the whole page or, with `target`, into the
 * named payment window (adding `mode=popup`): the ticket to `<server>/pay`, or in quote
 * mode the item to `<server>/quote`. Fields without a value are left out. Nothing goes
 * into a URL, so it stays out of history, logs and `Referer`. The form is in the light
 * DOM only for the time of the submit: a form must be in the document to be submitted.
 * @example postForm('https://pay.example/pay', { ticket: ticket.token }) // the page leaves for the payment server
 */
export function postForm(action: string, fields: Record<string, string | number | undefined>, target = ''): void {
  const form = Object.assign(document.createElement('form'), { method: 'post', action, target, hidden: true });
  for (const [name, value] of Object.entries(target ? { ...fields, mode: 'popup' } : fields)) {
    if (value) form.append(Object.assign(document.createElement('input'), { type: 'hidden', name, value: `${value}` }));
  }
  document.body.append(form);
  // submit(), not requestSubmit(): no `submit` event for page scripts to cancel or rewrite.
  form.submit();
  form.remove();
}
