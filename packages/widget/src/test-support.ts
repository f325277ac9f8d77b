/**
 * Test helpers: tickets, a fake payment window, captured form posts, the merchant's
 * verify endpoint (msw) and the widget's shadow DOM. Not part of the package.
 */
import { base64urlEncode } from '@caisse/protocol/base64url';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, vi } from 'vitest';

export const SERVER = 'https://pay.example';
export const VERIFY_URL = 'https://shop.example/caisse/return';
/** 2026-01-15 12:00:00 UTC, in milliseconds. */
export const NOW = Date.UTC(2026, 0, 15, 12);

export const ITEMS = [
  { id: 'b1', label: 'Le Petit Prince', quantity: 1, unitAmount: 1290, vatRate: 550 },
  { id: 'b2', label: 'Bookmark', quantity: 2, unitAmount: 150, vatRate: 2000 },
];

/** A ticket as server-kit signs it (the signature is not checked by the widget). */
export function makeTicket(claims: Record<string, unknown> = {}): string {
  const payload = {
    ver: 1,
    iss: 'bookshop',
    aud: SERVER,
    jti: 'ticket-1',
    iat: NOW / 1000,
    exp: NOW / 1000 + 900,
    serial: 'order-42',
    kind: 'purchase',
    items: ITEMS,
    amount: 1590,
    vat: 117,
    currency: 'EUR',
    returnUrl: 'https://shop.example/caisse/return',
    cancelUrl: 'https://shop.example/basket',
    fulfilment: 'immediate',
    state: 'x'.repeat(43),
    ...claims,
  };
  const header = { alg: 'EdDSA', typ: 'caisse-ticket+jwt', kid: 'k1' };
  return [JSON.stringify(header), JSON.stringify(payload), 'signature'].map((part) => base64urlEncode(part)).join('.');
}

/** A compact JWS-shaped voucher or refusal token. */
export const TOKEN = 'eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJyLTEifQ.c2lnbmF0dXJl';

export const VOUCHER = {
  jti: 'register-7',
  iss: SERVER,
  aud: 'bookshop',
  serial: 'order-42',
  amount: 1590,
  currency: 'EUR',
  status: 'authorised',
  funding: 'wallet',
};

export interface Posted {
  action: string;
  method: string;
  target: string;
  fields: Record<string, string>;
  /** Whether the form was in the document when submitted. */
  connected: boolean;
}

/** Captures form submissions instead of navigating. */
export function captureForms(): Posted[] {
  const posted: Posted[] = [];
  const proto = Object.getPrototypeOf(document.createElement('form')) as HTMLFormElement;
  vi.spyOn(proto, 'submit').mockImplementation(function (this: HTMLFormElement) {
    posted.push({
      action: this.action,
      method: this.method,
      target: this.target,
      fields: Object.fromEntries([...new FormData(this)].map(([name, value]) => [name, String(value)])),
      connected: this.isConnected,
    });
  });
  return posted;
}

export interface FakePopup {
  window: Window;
  closed: boolean;
  focused: number;
  closedByWidget: boolean;
}

/** A stand-in for the window `window.open` returns; `open` is spied to return it. */
export function fakePopup(): FakePopup {
  const state: FakePopup = { window: undefined as unknown as Window, closed: false, focused: 0, closedByWidget: false };
  state.window = {
    get closed() {
      return state.closed;
    },
    focus() {
      state.focused++;
    },
    close() {
      state.closed = true;
      state.closedByWidget = true;
    },
  } as unknown as Window;
  vi.spyOn(window, 'open').mockReturnValue(state.window);
  return state;
}

/**
 * Every test starts at `NOW` with the widget's clock (Date and its countdown interval)
 * faked, and ends with real timers and no spies left.
 */
export function useTestClock(): void {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date', 'setInterval', 'clearInterval'] });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });
}

/** Delivers a `message` event to the merchant page, as `postMessage` would. */
export function deliver(data: unknown, { origin = SERVER, source }: { origin?: string; source: unknown }): void {
  window.dispatchEvent(new MessageEvent('message', { data, origin, source: source as Window }));
}

/** The merchant's verify endpoint; `answer` decides each response. */
export function verifyEndpoint() {
  const requests: { body: unknown; contentType: string | null; href: string }[] = [];
  const paid = () => HttpResponse.json({ status: 'paid', voucher: VOUCHER });
  let answer: () => Response | Promise<Response> = paid;
  const server = setupServer(
    http.post(VERIFY_URL, async ({ request }) => {
      requests.push({ body: await request.json(), contentType: request.headers.get('content-type'), href: location.href });
      return answer();
    }),
  );
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => {
    server.resetHandlers();
    requests.length = 0;
    answer = paid;
  });
  afterAll(() => server.close());
  return {
    requests,
    answer(next: () => Response | Promise<Response>) {
      answer = next;
    },
    server,
  };
}

/** The widget's shadow root inside `host`. */
export function shadow(host: HTMLElement): ShadowRoot {
  if (!host.shadowRoot) throw new Error('no shadow root');
  return host.shadowRoot;
}

/** The visible text of the element matching `selector` in the widget. */
export function text(host: HTMLElement, selector: string): string {
  return shadow(host).querySelector(selector)?.textContent ?? '';
}

export function buttons(host: HTMLElement): HTMLButtonElement[] {
  return [...shadow(host).querySelectorAll('button')];
}

/** The button whose text is `label`. */
export function button(host: HTMLElement, label: string): HTMLButtonElement {
  const found = buttons(host).find((candidate) => candidate.textContent === label);
  if (!found) throw new Error(`no button "${label}" among ${buttons(host).map((b) => `"${b.textContent}"`)}`);
  return found;
}

/** Every event of type `caisse:*` the host dispatched, in order. */
export function recordEvents(host: HTMLElement): { type: string; detail: unknown }[] {
  const events: { type: string; detail: unknown }[] = [];
  for (const type of ['caisse:state', 'caisse:paid', 'caisse:refused', 'caisse:cancelled', 'caisse:error']) {
    host.addEventListener(type, (event) => events.push({ type, detail: (event as CustomEvent).detail }));
  }
  return events;
}

/** Resolves when the host dispatches `type`. */
export function next(host: HTMLElement, type: string): Promise<CustomEvent> {
  return new Promise((resolve) => host.addEventListener(type, (event) => resolve(event as CustomEvent), { once: true }));
}
