import { HttpResponse } from 'msw';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fr } from './locales/fr.js';
import { handleReturn } from './return.js';
import { button, next, recordEvents, TOKEN, text, VERIFY_URL, VOUCHER, verifyEndpoint } from './test-support.js';

const verify = verifyEndpoint();
let element: HTMLElement;

beforeEach(() => {
  element = document.body.appendChild(document.createElement('div'));
});

afterEach(() => {
  element.remove();
  history.replaceState(null, '', '/checkout');
  vi.restoreAllMocks();
});

/** Arrives on the return page with this query. */
function arrive(query: string): void {
  history.replaceState({ page: 'return' }, '', `/caisse/return?order=42&${query}#top`);
}

describe('handleReturn', () => {
  it('removes the token from the address bar before posting it, and resolves "paid"', async () => {
    arrive(`caisse_voucher=${TOKEN}`);
    const replace = vi.spyOn(history, 'replaceState');
    const result = await handleReturn({ verifyUrl: '/caisse/return' });
    expect(result).toEqual({ status: 'paid', voucher: VOUCHER, redirectTo: undefined });
    expect(replace).toHaveBeenCalledWith({ page: 'return' }, '', new URL('https://shop.example/caisse/return?order=42#top'));
    expect(verify.requests).toEqual([
      { body: { token: TOKEN }, contentType: 'application/json', href: 'https://shop.example/caisse/return?order=42#top' },
    ]);
    expect(location.href).toBe('https://shop.example/caisse/return?order=42#top');
  });

  it('shows the outcome in the element, with the events of the checkout button', async () => {
    arrive(`caisse_voucher=${TOKEN}`);
    const events = recordEvents(element);
    const result = await handleReturn({ verifyUrl: VERIFY_URL, element, lang: 'fr', locales: { fr } });
    expect(result.status).toBe('paid');
    expect(text(element, '[role=status]')).toBe('Paiement de 15,90\u00a0€ reçu. Merci\u00a0!');
    expect(events.map((event) => event.type)).toEqual(['caisse:state', 'caisse:state', 'caisse:paid']);
    expect(element.shadowRoot?.querySelectorAll('button')).toHaveLength(0);
  });

  it('shows a refusal with its reason in words', async () => {
    verify.answer(() => HttpResponse.json({ status: 'refused', reason: 'bank_declined' }));
    arrive(`caisse_refusal=${TOKEN}`);
    const result = await handleReturn({ verifyUrl: VERIFY_URL, element });
    expect(result).toEqual({ status: 'refused', reason: 'bank_declined', redirectTo: undefined });
    expect(text(element, '[role=status]')).toBe('Payment refused. Your bank declined it.');
  });

  it('shows a customer_declined refusal as cancelled and a ticket_expired one as expired', async () => {
    verify.answer(() => HttpResponse.json({ status: 'refused', reason: 'customer_declined' }));
    arrive(`caisse_refusal=${TOKEN}`);
    expect(await handleReturn({ verifyUrl: VERIFY_URL, element })).toEqual({
      status: 'cancelled',
      reason: 'customer_declined',
      redirectTo: undefined,
    });
    expect(text(element, '[role=status]')).toBe('Payment cancelled.');

    verify.answer(() => HttpResponse.json({ status: 'refused', reason: 'ticket_expired' }));
    arrive(`caisse_refusal=${TOKEN}`);
    const other = document.body.appendChild(document.createElement('div'));
    expect(await handleReturn({ verifyUrl: VERIFY_URL, element: other })).toEqual({
      status: 'expired',
      reason: 'ticket_expired',
      redirectTo: undefined,
    });
    expect(text(other, '[role=status]')).toBe('This payment link has expired, reload the page.');
    other.remove();
  });

  it('offers "Try again" for a server error, and resolves with a retry function', async () => {
    let calls = 0;
    verify.answer(() =>
      ++calls === 1 ? new HttpResponse(null, { status: 502 }) : HttpResponse.json({ status: 'paid', voucher: VOUCHER }),
    );
    arrive(`caisse_voucher=${TOKEN}`);
    const result = await handleReturn({ verifyUrl: VERIFY_URL, element });
    expect(result).toMatchObject({ status: 'error', code: 'server_error', retryable: true });
    expect(text(element, '[role=status]')).toBe('The payment could not be checked.');
    const paid = next(element, 'caisse:paid');
    button(element, 'Try again').click();
    await paid;
    expect(text(element, '[role=status]')).toBe('Payment of €15.90 received. Thank you!');
    if (!('retry' in result)) throw new Error('no retry');
    expect(await result.retry()).toMatchObject({ status: 'paid' });
    expect(verify.requests).toHaveLength(3);
  });

  it('reads a refusal the return handler already verified (caisse_error=payment_refused)', async () => {
    arrive('caisse_error=payment_refused&caisse_reason=insufficient_funds');
    expect(await handleReturn({ verifyUrl: VERIFY_URL, element })).toEqual({ status: 'refused', reason: 'insufficient_funds' });
    expect(text(element, '[role=status]')).toBe('Payment refused. Not enough money in your wallet.');
    expect(location.search).toBe('?order=42');
    expect(verify.requests).toEqual([]);
  });

  it('reads any other caisse_error as a final error, without a request', async () => {
    arrive('caisse_error=token_replayed');
    expect(await handleReturn({ verifyUrl: VERIFY_URL })).toEqual({ status: 'error', code: 'token_replayed', retryable: false });
    arrive('caisse_error=%3Cscript%3E');
    expect(await handleReturn({ verifyUrl: VERIFY_URL })).toEqual({ status: 'error', code: 'server_error', retryable: false });
    expect(verify.requests).toEqual([]);
  });

  it('refuses two tokens at once', async () => {
    arrive(`caisse_voucher=${TOKEN}&caisse_refusal=${TOKEN}`);
    expect(await handleReturn({ verifyUrl: VERIFY_URL })).toEqual({ status: 'error', code: 'token_malformed', retryable: false });
    expect(location.search).toBe('?order=42');
    expect(verify.requests).toEqual([]);
  });

  it('resolves "none" and touches nothing when the address carries no result', async () => {
    arrive('');
    const replace = vi.spyOn(history, 'replaceState');
    expect(await handleReturn({ verifyUrl: VERIFY_URL, element })).toEqual({ status: 'none' });
    expect(replace).not.toHaveBeenCalled();
    expect(element.shadowRoot).toBeNull();
  });

  it('still removes the token when the verifyUrl is unusable, and says the setup is wrong', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    arrive(`caisse_voucher=${TOKEN}`);
    expect(await handleReturn({ verifyUrl: 'javascript:alert(1)', element })).toEqual({
      status: 'error',
      code: 'config_invalid',
      retryable: false,
    });
    expect(location.search).toBe('?order=42');
    expect(text(element, '[role=status]')).toBe('This payment button is not set up correctly.');
    expect(error).toHaveBeenCalledOnce();
    expect(verify.requests).toEqual([]);
  });
});
