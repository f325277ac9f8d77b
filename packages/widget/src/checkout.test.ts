import { HttpResponse } from 'msw';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CheckoutHandle, type CheckoutOptions, mount } from './checkout.js';
import { fr } from './locales/fr.js';
import {
  button,
  buttons,
  captureForms,
  deliver,
  fakePopup,
  makeTicket,
  NOW,
  next,
  recordEvents,
  SERVER,
  shadow,
  TOKEN,
  text,
  useTestClock,
  VERIFY_URL,
  VOUCHER,
  verifyEndpoint,
} from './test-support.js';

const verify = verifyEndpoint();
let host: HTMLElement;
let handle: CheckoutHandle | undefined;

useTestClock();

beforeEach(() => {
  host = document.body.appendChild(document.createElement('div'));
});

afterEach(() => {
  handle?.destroy();
  handle = undefined;
  host.remove();
});

function start(options: Partial<CheckoutOptions> = {}): CheckoutHandle {
  handle = mount(host, { ticket: makeTicket(), server: SERVER, lang: 'en', locales: { fr }, ...options });
  return handle;
}

const status = () => text(host, '[role=status]');
const payButton = () => shadow(host).querySelector<HTMLButtonElement>('.pay') as HTMLButtonElement;

/** Opens the payment window and returns it. */
function openPopup(options: Partial<CheckoutOptions> = {}) {
  const posted = captureForms();
  const popup = fakePopup();
  start({ mode: 'popup', verifyUrl: VERIFY_URL, ...options });
  payButton().click();
  return { popup, posted };
}

describe('the button', () => {
  it('shows the amount, the order number, the time left and the items, in English', () => {
    start();
    expect(payButton().textContent).toBe('Pay €15.90');
    expect(text(host, '.meta')).toBe('Order order-42 · Time left: 15:00');
    expect(handle?.state).toBe('idle');
    expect(status()).toBe('');
  });

  it('formats in French with lang="fr" (and any fr-* tag)', () => {
    start({ lang: 'fr-FR' });
    expect(payButton().textContent).toBe('Payer 15,90\u00a0€');
    expect(text(host, '.meta')).toBe('Commande order-42 · Temps restant : 15:00');
    expect(button(host, 'Articles (2)').getAttribute('aria-expanded')).toBe('false');
  });

  it('shows English texts, amounts formatted for the language, when no locale for it is given', () => {
    start({ lang: 'fr-FR', locales: undefined });
    expect(payButton().textContent).toBe('Pay 15,90\u00a0€');
    expect(text(host, '.meta')).toBe('Order order-42 · Time left: 15:00');
  });

  it('takes any language from locales, and English for a text it lacks', () => {
    start({ lang: 'de-DE', locales: { fr, de: { pay: 'Bezahlen: {amount}' } } });
    expect(payButton().textContent).toBe('Bezahlen: 15,90\u00a0€');
    expect(text(host, '.meta')).toBe('Order order-42 · Time left: 15:00');
    handle?.update({ lang: 'constructor' });
    expect(payButton().textContent).toMatch(/^Pay /);
  });

  it('uses the ISO exponent: yen have no decimals, in either language', () => {
    start({
      ticket: makeTicket({
        currency: 'JPY',
        amount: 1350,
        items: [{ id: 'a', label: 'Tea', quantity: 1, unitAmount: 1350, vatRate: 800 }],
      }),
    });
    expect(payButton().textContent).toBe('Pay ¥1,350');
    handle?.update({ lang: 'fr' });
    expect(payButton().textContent).toBe('Payer 1\u202f350\u00a0JPY');
  });

  it('follows the browser language when no lang is given', () => {
    vi.spyOn(navigator, 'language', 'get').mockReturnValue('fr-CA');
    start({ lang: undefined });
    expect(payButton().textContent).toMatch(/^Payer 15,90/);
  });

  it('falls back to the browser locale for an invalid lang', () => {
    start({ lang: 'not a language tag!' });
    expect(payButton().textContent).toBe('Pay €15.90');
  });

  it('expands and collapses the item list with aria-expanded', () => {
    start();
    const toggle = button(host, 'Items (2)');
    const list = shadow(host).querySelector('#items') as HTMLElement;
    expect(toggle.getAttribute('aria-controls')).toBe('items');
    expect(list.hidden).toBe(true);
    toggle.click();
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(list.hidden).toBe(false);
    expect([...list.querySelectorAll('li')].map((line) => line.textContent)).toEqual(['1 × Le Petit Prince€12.90', '2 × Bookmark€3.00']);
    toggle.click();
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(list.hidden).toBe(true);
  });

  it('says "Continue with Caisse" for an authentication ticket, with no item list', () => {
    start({ ticket: makeTicket({ kind: 'authentication', items: [], amount: 0, vat: 0 }) });
    expect(payButton().textContent).toBe('Continue with Caisse');
    expect(buttons(host)).toHaveLength(1);
  });

  it('says "Allow up to" the maximum for an allowance ticket, and "granted" once the allowance is confirmed', async () => {
    const ticket = makeTicket({ kind: 'allowance', items: [], amount: 200, vat: 0, allowance: { expiresAt: NOW / 1000 + 3600 } });
    verify.answer(() =>
      HttpResponse.json({ status: 'paid', voucher: { ...VOUCHER, amount: 200, status: 'granted', funding: 'allowance' } }),
    );
    const { popup } = openPopup({ ticket });
    const paid = next(host, 'caisse:paid');
    deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { source: popup.window });
    await paid;
    expect(payButton().textContent).toBe('Allow up to €2.00');
    expect(status()).toBe('Allowance of €2.00 granted.');
    handle?.update({ lang: 'fr' });
    expect(payButton().textContent).toBe('Autoriser jusqu’à 2,00\u00a0€');
    expect(status()).toBe('Provision de 2,00\u00a0€ accordée.');
  });

  it('renders into a shadow root, styled without a single style attribute', () => {
    start();
    expect(host.shadowRoot?.mode).toBe('open');
    expect(host.children).toHaveLength(0);
    expect(shadow(host).adoptedStyleSheets).toHaveLength(1);
    expect(shadow(host).querySelector('[style]')).toBeNull();
  });

  it('replaces every text through the messages option', () => {
    start({ messages: { pay: 'Buy now for {amount}', serial: 'Ref. {serial}', timeLeft: '{time} left' } });
    expect(payButton().textContent).toBe('Buy now for €15.90');
    expect(text(host, '.meta')).toBe('Ref. order-42 · 15:00 left');
  });
});

describe('redirect mode', () => {
  it('posts the ticket to <server>/pay from a form in the page, then waits in "opening"', () => {
    const posted = captureForms();
    const ticket = makeTicket();
    const events = recordEvents(host);
    start({ ticket, server: `${SERVER}/` });
    payButton().click();
    expect(posted).toEqual([{ action: `${SERVER}/pay`, method: 'post', target: '', fields: { ticket }, connected: true }]);
    expect(document.querySelector('form')).toBeNull();
    expect(handle?.state).toBe('opening');
    expect(status()).toBe('Opening the payment page…');
    expect(payButton().disabled).toBe(true);
    expect(events).toEqual([{ type: 'caisse:state', detail: { state: 'opening', previous: 'idle' } }]);
  });

  it('keeps a path prefix of the server URL', () => {
    const posted = captureForms();
    start({ server: 'https://example.com/caisse' });
    payButton().click();
    expect(posted[0]?.action).toBe('https://example.com/caisse/pay');
  });

  it('comes back to idle when the page is restored from the back-forward cache', () => {
    captureForms();
    start();
    payButton().click();
    window.dispatchEvent(Object.defineProperty(new Event('pageshow'), 'persisted', { value: true }));
    expect(handle?.state).toBe('idle');
    expect(payButton().disabled).toBe(false);
  });
});

describe('popup mode', () => {
  it('opens a named popup and posts the ticket into it with mode=popup', () => {
    const { posted } = openPopup();
    const [, name, features] = vi.mocked(window.open).mock.calls[0] ?? [];
    expect(vi.mocked(window.open).mock.calls[0]?.[0]).toBe('');
    expect(name).toMatch(/^caisse\d+$/);
    expect(features).toContain('popup');
    expect(posted).toEqual([
      { action: `${SERVER}/pay`, method: 'post', target: name, fields: { ticket: makeTicket(), mode: 'popup' }, connected: true },
    ]);
    expect(handle?.state).toBe('waiting');
  });

  it('falls back to redirect mode when the popup is blocked', () => {
    const posted = captureForms();
    vi.spyOn(window, 'open').mockReturnValue(null);
    start({ mode: 'popup', verifyUrl: VERIFY_URL });
    payButton().click();
    expect(posted).toEqual([{ action: `${SERVER}/pay`, method: 'post', target: '', fields: { ticket: makeTicket() }, connected: true }]);
    expect(handle?.state).toBe('opening');
  });

  it('shows a modal overlay that takes focus, keeps Tab inside, and can bring the window back', () => {
    const { popup } = openPopup();
    const dialog = shadow(host).querySelector('[role=dialog]') as HTMLElement;
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(text(host, '#t')).toBe('Payment in progress');
    expect(text(host, '#s')).toBe('Finish paying in the payment window.');
    const [show, cancel] = [...dialog.querySelectorAll('button')];
    expect(shadow(host).activeElement).toBe(show);
    show?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Tab', bubbles: true, cancelable: true }));
    expect(shadow(host).activeElement).toBe(cancel);
    cancel?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Tab', bubbles: true, cancelable: true }));
    expect(shadow(host).activeElement).toBe(show);
    cancel?.focus();
    cancel?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Tab', shiftKey: true, bubbles: true, cancelable: true }));
    expect(shadow(host).activeElement).toBe(show);
    show?.click();
    expect(popup.focused).toBe(1);
  });

  it('is cancelled by the overlay Cancel button: the window closes and the button works again', () => {
    const { popup } = openPopup();
    const events = recordEvents(host);
    button(host, 'Cancel').click();
    expect(popup.closedByWidget).toBe(true);
    expect(handle?.state).toBe('cancelled');
    expect(status()).toBe('Payment cancelled.');
    expect(shadow(host).querySelector('[role=dialog]')).toBeNull();
    expect(payButton().disabled).toBe(false);
    expect(shadow(host).activeElement).toBe(payButton());
    expect(events).toEqual([
      { type: 'caisse:state', detail: { state: 'cancelled', previous: 'waiting' } },
      { type: 'caisse:cancelled', detail: {} },
    ]);
  });

  it('is cancelled when the customer closes the window (seen on two polls in a row)', () => {
    const { popup } = openPopup();
    const cancelled = vi.fn();
    host.addEventListener('caisse:cancelled', cancelled);
    popup.closed = true;
    vi.advanceTimersByTime(500);
    expect(handle?.state).toBe('waiting');
    vi.advanceTimersByTime(500);
    expect(handle?.state).toBe('cancelled');
    expect(cancelled).toHaveBeenCalledOnce();
    expect(popup.closedByWidget).toBe(false);
  });

  it('can pay again after a cancel: the same ticket goes to a new window', () => {
    const { popup, posted } = openPopup();
    popup.closed = true;
    vi.advanceTimersByTime(1000);
    payButton().click();
    expect(posted).toHaveLength(2);
    expect(handle?.state).toBe('waiting');
  });

  it('ignores a result from another origin', () => {
    const { popup } = openPopup();
    deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { origin: 'https://evil.example', source: popup.window });
    deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { origin: 'http://pay.example', source: popup.window });
    deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { origin: 'https://pay.example:8443', source: popup.window });
    expect(handle?.state).toBe('waiting');
    expect(verify.requests).toHaveLength(0);
  });

  it('ignores a result from the right origin but another window', () => {
    openPopup();
    deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { source: window });
    deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { source: null });
    expect(handle?.state).toBe('waiting');
    expect(verify.requests).toHaveLength(0);
  });

  it('ignores malformed messages', () => {
    const { popup } = openPopup();
    for (const data of [
      'caisse:result',
      null,
      { type: 'caisse:result', kind: 'voucher' },
      { type: 'caisse:result', kind: 'voucher', token: TOKEN, extra: 1 },
      { type: 'caisse:results', kind: 'voucher', token: TOKEN },
      { type: 'caisse:result', kind: 'notification', token: TOKEN },
      { type: 'caisse:result', kind: 'voucher', token: 'not a jws' },
      { type: 'caisse:result', kind: 'voucher', token: 42 },
      { type: 'caisse:result', kind: 'voucher', token: `${'a'.repeat(16_381)}.b.c` },
      ['caisse:result', 'voucher', TOKEN],
    ]) {
      deliver(data, { source: popup.window });
    }
    expect(handle?.state).toBe('waiting');
    expect(verify.requests).toHaveLength(0);
  });

  it('sends a good result to verifyUrl and shows "paid"', async () => {
    const { popup } = openPopup();
    const events = recordEvents(host);
    const paid = next(host, 'caisse:paid');
    deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { source: popup.window });
    expect(handle?.state).toBe('verifying');
    expect(status()).toBe('Checking the payment…');
    expect(popup.closedByWidget).toBe(true);
    expect((await paid).detail).toEqual({ voucher: VOUCHER, redirectTo: undefined });
    expect(verify.requests).toEqual([{ body: { token: TOKEN }, contentType: 'application/json', href: 'https://shop.example/checkout' }]);
    expect(handle?.state).toBe('paid');
    expect(status()).toBe('Payment of €15.90 received. Thank you!');
    expect(payButton().disabled).toBe(true);
    expect(events.map((event) => event.type)).toEqual(['caisse:state', 'caisse:state', 'caisse:paid']);
    // A second message (a replay by a hostile frame, or a double post) changes nothing.
    deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { source: popup.window });
    expect(verify.requests).toHaveLength(1);
  });

  it('passes on redirectTo from the return handler', async () => {
    verify.answer(() => HttpResponse.json({ status: 'paid', voucher: VOUCHER, redirectTo: '/orders/order-42' }));
    const { popup } = openPopup();
    const paid = next(host, 'caisse:paid');
    deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { source: popup.window });
    expect((await paid).detail.redirectTo).toBe('/orders/order-42');
  });

  it('shows a refusal with its reason in words', async () => {
    verify.answer(() => HttpResponse.json({ status: 'refused', reason: 'insufficient_funds' }));
    const { popup } = openPopup();
    const refused = next(host, 'caisse:refused');
    deliver({ type: 'caisse:result', kind: 'refusal', token: TOKEN }, { source: popup.window });
    expect((await refused).detail).toEqual({ reason: 'insufficient_funds', redirectTo: undefined });
    expect(handle?.state).toBe('refused');
    expect(status()).toBe('Payment refused. Not enough money in your wallet.');
    expect(payButton().disabled).toBe(true);
    expect(shadow(host).activeElement).toBe(button(host, 'Reload the page'));
  });

  it('in French too, and says so for a reason it does not know', async () => {
    verify.answer(() => HttpResponse.json({ status: 'refused', reason: 'velocity_limit' }));
    const { popup } = openPopup({ lang: 'fr' });
    const refused = next(host, 'caisse:refused');
    deliver({ type: 'caisse:result', kind: 'refusal', token: TOKEN }, { source: popup.window });
    expect((await refused).detail.reason).toBe('velocity_limit');
    expect(status()).toBe('Paiement refusé. Aucune raison n’a été donnée.');
  });

  it('turns a customer_declined refusal into "cancelled", which needs a new ticket', async () => {
    verify.answer(() => HttpResponse.json({ status: 'refused', reason: 'customer_declined' }));
    const { popup } = openPopup();
    const cancelled = next(host, 'caisse:cancelled');
    deliver({ type: 'caisse:result', kind: 'refusal', token: TOKEN }, { source: popup.window });
    expect((await cancelled).detail).toEqual({ reason: 'customer_declined', redirectTo: undefined });
    expect(handle?.state).toBe('cancelled');
    expect(payButton().disabled).toBe(true);
    expect(button(host, 'Reload the page')).toBeDefined();
  });

  it('turns a ticket_expired refusal into "expired"', async () => {
    verify.answer(() => HttpResponse.json({ status: 'refused', reason: 'ticket_expired' }));
    const { popup } = openPopup();
    const expired = new Promise((resolve) =>
      host.addEventListener('caisse:state', (event) => (event as CustomEvent).detail.state === 'expired' && resolve(1)),
    );
    deliver({ type: 'caisse:result', kind: 'refusal', token: TOKEN }, { source: popup.window });
    await expired;
    expect(status()).toBe('This payment link has expired, reload the page.');
  });

  it('offers "Try again" after a server error, and the retry can succeed', async () => {
    let calls = 0;
    verify.answer(() =>
      ++calls === 1
        ? HttpResponse.json({ type: 'about:blank', status: 503, code: 'keys_unavailable' }, { status: 503 })
        : HttpResponse.json({ status: 'paid', voucher: VOUCHER }),
    );
    const { popup } = openPopup();
    const failed = next(host, 'caisse:error');
    deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { source: popup.window });
    expect((await failed).detail).toEqual({ code: 'keys_unavailable', retryable: true });
    expect(status()).toBe('The payment could not be checked.');
    const retry = button(host, 'Try again');
    expect(shadow(host).activeElement).toBe(retry);
    const paid = next(host, 'caisse:paid');
    retry.click();
    await paid;
    expect(verify.requests.map((request) => request.body)).toEqual([{ token: TOKEN }, { token: TOKEN }]);
    expect(handle?.state).toBe('paid');
  });

  it('offers "Try again" when the network fails', async () => {
    verify.answer(() => HttpResponse.error());
    const { popup } = openPopup();
    const failed = next(host, 'caisse:error');
    deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { source: popup.window });
    expect((await failed).detail).toEqual({ code: 'network_error', retryable: true });
  });

  it('offers a reload, not a retry, when the backend rejects the token', async () => {
    verify.answer(() =>
      HttpResponse.json(
        { type: 'about:blank', status: 409, code: 'token_replayed' },
        { status: 409, headers: { 'content-type': 'application/problem+json' } },
      ),
    );
    const { popup } = openPopup();
    const failed = next(host, 'caisse:error');
    deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { source: popup.window });
    expect((await failed).detail).toEqual({ code: 'token_replayed', retryable: false });
    expect(status()).toBe('The payment could not be confirmed. Reload the page or contact the shop.');
    expect(buttons(host).map((b) => b.textContent)).toEqual(['Pay €15.90', 'Items (2)', 'Reload the page']);
  });
});

describe('live phone status (popup mode)', () => {
  const confirming = (seconds: number) => ({
    type: 'caisse:status',
    state: 'confirming',
    expiresAt: new Date(NOW + seconds * 1000).toISOString(),
  });

  it('shows "Confirm the payment on your phone" with the time left, then waiting again when the checkout moves on', async () => {
    const { popup } = openPopup();
    const show = button(host, 'Show the payment window');
    const events = recordEvents(host);
    deliver(confirming(120), { source: popup.window });
    expect(handle?.state).toBe('confirming');
    expect(status()).toBe('Confirm the payment on your phone.');
    expect(text(host, '#s')).toBe('Confirm the payment on your phone. Time left: 2:00');
    // Still the same overlay: focus stays where the customer is.
    expect(shadow(host).activeElement).toBe(show);
    vi.advanceTimersByTime(30_000);
    expect(text(host, '#s')).toBe('Confirm the payment on your phone. Time left: 1:30');
    expect(text(host, '.meta')).toBe('Order order-42');
    deliver({ type: 'caisse:status', state: 'authorising' }, { source: popup.window });
    expect(handle?.state).toBe('waiting');
    expect(text(host, '#s')).toBe('Finish paying in the payment window.');
    const paid = next(host, 'caisse:paid');
    deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { source: popup.window });
    await paid;
    expect(events.filter((event) => event.type === 'caisse:state').map((event) => (event.detail as { state: string }).state)).toEqual([
      'confirming',
      'waiting',
      'verifying',
      'paid',
    ]);
  });

  it('says it in French, and never shows less than 0:00', () => {
    const { popup } = openPopup({ lang: 'fr' });
    deliver(confirming(2), { source: popup.window });
    expect(text(host, '#s')).toBe('Confirmez le paiement sur votre téléphone. Temps restant : 0:02');
    vi.advanceTimersByTime(5_000);
    expect(text(host, '#s')).toBe('Confirmez le paiement sur votre téléphone. Temps restant : 0:00');
    expect(handle?.state).toBe('confirming');
  });

  it('takes a new deadline from a second confirming status', () => {
    const { popup } = openPopup();
    deliver(confirming(60), { source: popup.window });
    deliver(confirming(300), { source: popup.window });
    expect(text(host, '#s')).toBe('Confirm the payment on your phone. Time left: 5:00');
  });

  it('does not take a status saying "paid" for a payment: only the verified result does', () => {
    const { popup } = openPopup();
    const paid = vi.fn();
    host.addEventListener('caisse:paid', paid);
    deliver(confirming(120), { source: popup.window });
    deliver({ type: 'caisse:status', state: 'paid' }, { source: popup.window });
    expect(handle?.state).toBe('waiting');
    expect(paid).not.toHaveBeenCalled();
    expect(verify.requests).toHaveLength(0);
  });

  it('ignores a status from another origin or another window', () => {
    const { popup } = openPopup();
    deliver(confirming(120), { origin: 'https://evil.example', source: popup.window });
    deliver(confirming(120), { origin: 'http://pay.example', source: popup.window });
    deliver(confirming(120), { origin: 'https://shop.example', source: popup.window });
    deliver(confirming(120), { source: window });
    deliver(confirming(120), { source: null });
    expect(handle?.state).toBe('waiting');
    deliver(confirming(120), { source: popup.window });
    deliver({ type: 'caisse:status', state: 'identifying' }, { origin: 'https://evil.example', source: popup.window });
    expect(handle?.state).toBe('confirming');
  });

  it('ignores a malformed status', () => {
    const { popup } = openPopup();
    for (const data of [
      { type: 'caisse:status', state: 'confirming' },
      { type: 'caisse:status', state: 'confirming', expiresAt: 'soon' },
      { type: 'caisse:status', state: 'confirming', expiresAt: NOW + 60_000 },
      { ...confirming(60), extra: 1 },
      { ...confirming(60), type: 'caisse:result' },
      { type: 'caisse:status', state: 'Confirming', expiresAt: confirming(60).expiresAt },
      'caisse:status',
    ]) {
      deliver(data, { source: popup.window });
    }
    expect(handle?.state).toBe('waiting');
    deliver(confirming(60), { source: popup.window });
    for (const data of [
      { type: 'caisse:status', state: 'authorising', expiresAt: confirming(60).expiresAt },
      { type: 'caisse:status', state: '<img>' },
      { type: 'caisse:status' },
    ]) {
      deliver(data, { source: popup.window });
    }
    expect(handle?.state).toBe('confirming');
  });

  it('ignores a status once the window is closed or the payment cancelled', () => {
    const { popup } = openPopup();
    button(host, 'Cancel').click();
    deliver(confirming(120), { source: popup.window });
    expect(handle?.state).toBe('cancelled');
    expect(shadow(host).querySelector('[role=dialog]')).toBeNull();
  });

  it('is cancelled from "confirming" like from "waiting"', () => {
    const { popup } = openPopup();
    deliver(confirming(120), { source: popup.window });
    popup.closed = true;
    vi.advanceTimersByTime(1000);
    expect(handle?.state).toBe('cancelled');
    expect(shadow(host).activeElement).toBe(payButton());
  });
});

describe('expiry', () => {
  it('counts down from the ticket exp and disables the button at zero', () => {
    start({ ticket: makeTicket({ exp: NOW / 1000 + 65 }) });
    const events = recordEvents(host);
    expect(text(host, '.meta')).toBe('Order order-42 · Time left: 1:05');
    vi.advanceTimersByTime(5_000);
    expect(text(host, '.meta')).toBe('Order order-42 · Time left: 1:00');
    vi.advanceTimersByTime(60_000);
    expect(handle?.state).toBe('expired');
    expect(payButton().disabled).toBe(true);
    expect(status()).toBe('This payment link has expired, reload the page.');
    expect(events).toEqual([{ type: 'caisse:state', detail: { state: 'expired', previous: 'idle' } }]);
    const reload = vi.fn();
    vi.spyOn(window, 'location', 'get').mockReturnValue({ ...location, reload } as Location);
    button(host, 'Reload the page').click();
    expect(reload).toHaveBeenCalledOnce();
  });

  it('shows hours for a long-lived ticket', () => {
    start({ ticket: makeTicket({ exp: NOW / 1000 + 3 * 3600 + 61 }) });
    expect(text(host, '.meta')).toBe('Order order-42 · Time left: 3:01:01');
  });

  it('starts expired when the ticket already is, and refuses to post it', () => {
    const posted = captureForms();
    start({ ticket: makeTicket({ exp: NOW / 1000 - 1 }) });
    expect(handle?.state).toBe('expired');
    payButton().click();
    expect(posted).toEqual([]);
  });

  it('stops the timer once nothing needs it', () => {
    start({ ticket: makeTicket({ exp: NOW / 1000 + 2 }) });
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(2_000);
    expect(handle?.state).toBe('expired');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('quote mode (no ticket: a merchant and an item)', () => {
  const STATE = 's'.repeat(43);
  const quote = (options: Partial<CheckoutOptions> = {}) =>
    start({ ticket: undefined, merchant: 'newsstand', item: 'tides', state: STATE, ...options });

  it('offers to see the price, with no amount, order number, countdown or items, and runs no timer', () => {
    quote();
    expect(payButton().textContent).toBe('See the price and pay');
    expect(payButton().disabled).toBe(false);
    expect(buttons(host)).toHaveLength(1);
    expect(shadow(host).querySelector('.meta')).toBeNull();
    expect(handle?.state).toBe('idle');
    expect(vi.getTimerCount()).toBe(0);
    handle?.update({ lang: 'fr' });
    expect(payButton().textContent).toBe('Voir le prix et payer');
  });

  it('posts merchant, item, quantity, state and lang to <server>/quote from a form, never a ticket or a URL', () => {
    const posted = captureForms();
    quote({ server: `${SERVER}/` });
    payButton().click();
    expect(posted).toEqual([
      {
        action: `${SERVER}/quote`,
        method: 'post',
        target: '',
        fields: { merchant: 'newsstand', item: 'tides', quantity: '1', state: STATE, lang: 'en' },
        connected: true,
      },
    ]);
    expect(handle?.state).toBe('opening');
    expect(status()).toBe('Opening the payment page…');
  });

  it('sends the quantity given, and leaves out the state and lang it was not given', () => {
    const posted = captureForms();
    quote({ quantity: 3, state: undefined, lang: undefined });
    payButton().click();
    expect(posted[0]?.fields).toEqual({ merchant: 'newsstand', item: 'tides', quantity: '3' });
  });

  it('in popup mode, posts into the payment window with mode=popup and settles the result as for a ticket', async () => {
    const posted = captureForms();
    const popup = fakePopup();
    quote({ mode: 'popup', verifyUrl: VERIFY_URL });
    payButton().click();
    const [, name] = vi.mocked(window.open).mock.calls[0] ?? [];
    expect(posted).toEqual([
      {
        action: `${SERVER}/quote`,
        method: 'post',
        target: name,
        fields: { merchant: 'newsstand', item: 'tides', quantity: '1', state: STATE, lang: 'en', mode: 'popup' },
        connected: true,
      },
    ]);
    expect(handle?.state).toBe('waiting');
    const paid = next(host, 'caisse:paid');
    deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { source: popup.window });
    expect((await paid).detail.voucher).toEqual(VOUCHER);
    // The amount is the voucher's: the widget never saw the quoted ticket.
    expect(status()).toBe('Payment of €15.90 received. Thank you!');
  });

  it('asks again after the window was closed: each press is a new quote', () => {
    const posted = captureForms();
    const popup = fakePopup();
    quote({ mode: 'popup', verifyUrl: VERIFY_URL });
    payButton().click();
    popup.closed = true;
    vi.advanceTimersByTime(1000);
    expect(handle?.state).toBe('cancelled');
    payButton().click();
    expect(posted.map(({ action }) => action)).toEqual([`${SERVER}/quote`, `${SERVER}/quote`]);
  });

  it('offers "Reload the page" after a refusal, as for a ticket: no dead end', async () => {
    captureForms();
    const popup = fakePopup();
    verify.answer(() => HttpResponse.json({ status: 'refused', reason: 'bank_declined' }));
    quote({ mode: 'popup', verifyUrl: VERIFY_URL });
    payButton().click();
    const refused = next(host, 'caisse:refused');
    deliver({ type: 'caisse:result', kind: 'refusal', token: TOKEN }, { source: popup.window });
    await refused;
    expect(status()).toBe('Payment refused. Your bank declined it.');
    expect(payButton().disabled).toBe(true);
    expect(button(host, 'Reload the page')).toBeDefined();
  });

  it('pays the ticket when it has one: a ticket wins over merchant and item', () => {
    const posted = captureForms();
    start({ merchant: 'newsstand', item: 'tides' });
    expect(payButton().textContent).toBe('Pay €15.90');
    payButton().click();
    expect(posted[0]).toMatchObject({ action: `${SERVER}/pay`, fields: { ticket: makeTicket() } });
  });

  it('starts over when the item changes, or when the ticket gives way to a quote', () => {
    const posted = captureForms();
    vi.spyOn(console, 'error').mockImplementation(() => {});
    start();
    handle?.update({ ticket: undefined, merchant: 'newsstand', item: 'tides' });
    expect(payButton().textContent).toBe('See the price and pay');
    handle?.update({ item: undefined });
    expect(handle?.state).toBe('error');
    handle?.update({ item: 'almanac' });
    expect(handle?.state).toBe('idle');
    payButton().click();
    expect(posted[0]?.fields.item).toBe('almanac');
  });
});

describe('offline', () => {
  it('goes offline and back with the browser, and will not post while offline', () => {
    const posted = captureForms();
    start();
    window.dispatchEvent(new Event('offline'));
    expect(handle?.state).toBe('offline');
    expect(status()).toBe('You are offline. Reconnect to pay.');
    expect(payButton().disabled).toBe(true);
    payButton().click();
    expect(posted).toEqual([]);
    window.dispatchEvent(new Event('online'));
    expect(handle?.state).toBe('idle');
  });

  it('starts offline when the browser is', () => {
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false);
    start();
    expect(handle?.state).toBe('offline');
  });
});

describe('setup mistakes', () => {
  it.each([
    ['ticket', { ticket: 'not-a-ticket' }],
    ['ticket', { ticket: makeTicket({ currency: 'euro' }) }],
    ['server', { server: 'http://pay.example' }],
    ['server', { server: 'https://pay.example/?x=1' }],
    ['mode', { mode: 'tab' as 'popup' }],
    ['verify-url', { mode: 'popup' as const }],
    ['ticket', { ticket: undefined }],
    ['ticket', { ticket: undefined, merchant: 'newsstand' }],
    ['ticket', { ticket: undefined, item: 'tides' }],
    ['server', { ticket: undefined, merchant: 'newsstand', item: 'tides', server: undefined }],
    ['verify-url', { ticket: undefined, merchant: 'newsstand', item: 'tides', mode: 'popup' as const }],
  ])('names the %s in a config_invalid error', (name, options) => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const failed = vi.fn();
    host.addEventListener('caisse:error', (event) => failed((event as CustomEvent).detail));
    start(options);
    const message = `caisse: the ${name} is missing or invalid`;
    expect(failed).toHaveBeenCalledWith({ code: 'config_invalid', retryable: false, message });
    expect(error).toHaveBeenCalledWith(message);
    expect(handle?.state).toBe('error');
    expect(status()).toBe('This payment button is not set up correctly.');
    expect(buttons(host)).toEqual([]);
  });

  it('accepts http for a payment server on the developer machine', () => {
    const posted = captureForms();
    start({ server: 'http://127.0.0.1:4000' });
    payButton().click();
    expect(posted[0]?.action).toBe('http://127.0.0.1:4000/pay');
  });
});

describe('update and destroy', () => {
  it('starts over with a new ticket, and changes language in place', () => {
    start();
    handle?.update({
      ticket: makeTicket({ amount: 2500, items: [{ id: 'x', label: 'Atlas', quantity: 1, unitAmount: 2500, vatRate: 550 }] }),
    });
    expect(payButton().textContent).toBe('Pay €25.00');
    handle?.update({ lang: 'fr' });
    expect(payButton().textContent).toBe('Payer 25,00\u00a0€');
  });

  it('applies a ticket that changed during a payment once the button can be pressed again', () => {
    const { popup, posted } = openPopup();
    const newer = makeTicket({ amount: 2500, items: [{ id: 'x', label: 'Atlas', quantity: 1, unitAmount: 2500, vatRate: 550 }] });
    handle?.update({ ticket: newer });
    expect(handle?.state).toBe('waiting');
    expect(payButton().textContent).toBe('Pay €15.90');
    popup.closed = true;
    vi.advanceTimersByTime(1000);
    expect(handle?.state).toBe('idle');
    expect(payButton().textContent).toBe('Pay €25.00');
    payButton().click();
    expect(posted[1]?.fields.ticket).toBe(newer);
  });

  it('leaves no listener, timer or node behind', () => {
    const { popup } = openPopup();
    handle?.destroy();
    handle = undefined;
    expect(shadow(host).childNodes).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
    const events = recordEvents(host);
    deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { source: popup.window });
    window.dispatchEvent(new Event('offline'));
    expect(events).toEqual([]);
    expect(verify.requests).toHaveLength(0);
  });
});
