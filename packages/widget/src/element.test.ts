import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CaisseCheckoutElement, defineCheckoutElement } from './element.js';
import { fr } from './locales/fr.js';
import {
  captureForms,
  deliver,
  fakePopup,
  makeTicket,
  next,
  SERVER,
  shadow,
  TOKEN,
  text,
  useTestClock,
  VERIFY_URL,
  VOUCHER,
  verifyEndpoint,
} from './test-support.js';

verifyEndpoint();
useTestClock();
let element: CaisseCheckoutElement;

beforeAll(() => defineCheckoutElement('caisse-checkout', { fr }));

afterEach(() => {
  element?.remove();
});

/** Inserts `<caisse-checkout>` (or another registered name) with these attributes, as a page's HTML would. */
async function insert(attributes: Record<string, string>, name = 'caisse-checkout'): Promise<CaisseCheckoutElement> {
  element = document.createElement(name) as CaisseCheckoutElement;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  document.body.append(element);
  await Promise.resolve();
  return element;
}

const payButton = () => shadow(element).querySelector<HTMLButtonElement>('.pay') as HTMLButtonElement;

describe('<caisse-checkout>', () => {
  it('is registered once, however often defineCheckoutElement is called', () => {
    const first = customElements.get('caisse-checkout');
    defineCheckoutElement();
    expect(customElements.get('caisse-checkout')).toBe(first);
  });

  it('reads ticket, server, mode and lang from its attributes', async () => {
    const posted = captureForms();
    await insert({ ticket: makeTicket(), server: SERVER, lang: 'fr' });
    expect(payButton().textContent).toBe('Payer 15,90\u00a0€');
    expect(element.state).toBe('idle');
    payButton().click();
    expect(posted[0]?.action).toBe(`${SERVER}/pay`);
    expect(element.state).toBe('opening');
  });

  it('reads merchant, item, quantity and state for quote mode, and posts them to <server>/quote', async () => {
    const posted = captureForms();
    await insert({ server: SERVER, merchant: 'newsstand', item: 'tides', quantity: '2', state: 'b'.repeat(43), lang: 'fr' });
    expect(payButton().textContent).toBe('Voir le prix et payer');
    payButton().click();
    expect(posted[0]).toMatchObject({
      action: `${SERVER}/quote`,
      fields: { merchant: 'newsstand', item: 'tides', quantity: '2', state: 'b'.repeat(43), lang: 'fr' },
    });
  });

  it('takes the state binding from the state property too (React sets it so), whose reading stays the checkout state', async () => {
    const posted = captureForms();
    await insert({ server: SERVER, merchant: 'newsstand', item: 'tides', lang: 'en' });
    element.state = 'c'.repeat(43);
    expect(element.state).toBe('idle');
    payButton().click();
    expect(posted[0]?.fields.state).toBe('c'.repeat(43));
    expect(element.state).toBe('opening');
  });

  it('takes verify-url for popup mode and dispatches its events from the element', async () => {
    captureForms();
    const popup = fakePopup();
    await insert({ ticket: makeTicket(), server: SERVER, mode: 'popup', 'verify-url': VERIFY_URL, lang: 'en' });
    const states: string[] = [];
    document.body.addEventListener('caisse:state', (event) => states.push((event as CustomEvent).detail.state));
    const paid = next(element, 'caisse:paid');
    payButton().click();
    deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { source: popup.window });
    expect((await paid).detail.voucher).toEqual(VOUCHER);
    expect(states).toEqual(['opening', 'waiting', 'verifying', 'paid']);
  });

  it('takes verify-url spelled verifyUrl too (lowercased by HTML), as a Vue template may write it', async () => {
    captureForms();
    const popup = fakePopup();
    element = document.createElement('caisse-checkout');
    element.setAttribute('verifyUrl', VERIFY_URL);
    for (const [name, value] of Object.entries({ ticket: makeTicket(), server: SERVER, mode: 'popup', lang: 'en' }))
      element.setAttribute(name, value);
    document.body.append(element);
    await Promise.resolve();
    const paid = next(element, 'caisse:paid');
    payButton().click();
    deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { source: popup.window });
    expect((await paid).detail.voucher).toEqual(VOUCHER);
  });

  it('takes its nonce from the nonce property, which React sets and browsers keep when they hide the attribute', async () => {
    vi.spyOn(CSSStyleSheet.prototype, 'replaceSync').mockImplementation(() => {
      throw new TypeError('not supported');
    });
    element = document.createElement('caisse-checkout');
    element.nonce = 'n0nce';
    element.setAttribute('ticket', makeTicket());
    element.setAttribute('server', SERVER);
    document.body.append(element);
    await Promise.resolve();
    expect(shadow(element).querySelector('style')?.nonce).toBe('n0nce');
  });

  it('shows English texts where no French was given to defineCheckoutElement, until its locales property has some', async () => {
    defineCheckoutElement('caisse-english');
    await insert({ ticket: makeTicket(), server: SERVER, lang: 'fr' }, 'caisse-english');
    expect(payButton().textContent).toBe('Pay 15,90\u00a0€');
    element.locales = { fr };
    expect(payButton().textContent).toBe('Payer 15,90\u00a0€');
    expect(element.locales).toEqual({ fr });
  });

  it('takes its texts from the messages property', async () => {
    await insert({ ticket: makeTicket(), server: SERVER, lang: 'en' });
    element.messages = { pay: 'Checkout · {amount}' };
    expect(payButton().textContent).toBe('Checkout · €15.90');
    expect(element.messages).toEqual({ pay: 'Checkout · {amount}' });
  });

  it('uses a messages property set before insertion', async () => {
    element = document.createElement('caisse-checkout');
    element.messages = { pay: 'Go {amount}' };
    element.setAttribute('ticket', makeTicket());
    element.setAttribute('server', SERVER);
    element.setAttribute('lang', 'en');
    document.body.append(element);
    await Promise.resolve();
    expect(payButton().textContent).toBe('Go €15.90');
  });

  it('follows attribute changes: a new ticket, another language', async () => {
    await insert({ ticket: makeTicket(), server: SERVER, lang: 'en' });
    element.setAttribute(
      'ticket',
      makeTicket({ currency: 'JPY', amount: 500, items: [{ id: 'a', label: 'Tea', quantity: 1, unitAmount: 500, vatRate: 800 }] }),
    );
    expect(payButton().textContent).toBe('Pay ¥500');
    element.setAttribute('lang', 'fr');
    expect(payButton().textContent).toBe('Payer 500\u00a0JPY');
  });

  it('shows a setup error for a missing attribute', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const failed = vi.fn();
    document.body.addEventListener('caisse:error', failed, { once: true });
    await insert({ ticket: makeTicket(), lang: 'en' });
    expect(text(element, '[role=status]')).toBe('This payment button is not set up correctly.');
    expect(failed.mock.calls[0]?.[0].detail).toEqual({
      code: 'config_invalid',
      retryable: false,
      message: 'caisse: the server is missing or invalid',
    });
  });

  it('cleans up when removed, and starts again when put back', async () => {
    await insert({ ticket: makeTicket(), server: SERVER, lang: 'en' });
    expect(vi.getTimerCount()).toBe(1);
    element.remove();
    expect(vi.getTimerCount()).toBe(0);
    expect(element.state).toBe('idle');
    document.body.append(element);
    await Promise.resolve();
    expect(payButton().textContent).toBe('Pay €15.90');
    expect(shadow(element).querySelectorAll('.pay')).toHaveLength(1);
  });
});
