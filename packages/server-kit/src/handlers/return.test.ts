import { type CaisseError, ERROR_CODES, LIMITS } from '@caisse/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ISSUER, MERCHANT_ID, NOW, parties } from '../__fixtures__/parties.js';
import { generateKey } from '../keys/generate.js';
import { createMerchant, type Merchant } from '../merchant.js';
import { toNodeHandler } from '../node.js';
import { memoryReplayStore } from '../replay/memory.js';
import type { ReplayStore } from '../replay/store.js';
import { createState, STATE_COOKIE, stateOf } from '../state.js';
import type { CreatedTicket, TicketReference } from '../ticket/create.js';
import type { PaymentRefusedError, Voucher } from '../voucher/verify.js';
import { type Listening, listen } from './__fixtures__/listen.js';
import { ERROR_HTTP_STATUS } from './problem.js';
import { createReturnHandler, hasReturnToken, type ReturnHandlerOptions, type ReturnResult } from './return.js';

const party = parties();
let replayStore: ReplayStore;
let merchant: Merchant;
let server: Listening;
let tickets: Map<string, TicketReference>;
let paid: Voucher[];
let refused: PaymentRefusedError[];
let errors: unknown[];
let state: string;
/** The browser secret in the state cookie; the ticket carries its hash, `state`. */
let cookieSecret: string;
let created: CreatedTicket;

function start(overrides: Partial<ReturnHandlerOptions> = {}): Promise<Listening> {
  const handler = createReturnHandler({
    merchant,
    findTicket: (id) => tickets.get(id),
    onPaid: (voucher) => {
      paid.push(voucher);
    },
    onRefused: (error) => {
      refused.push(error);
    },
    onError: (error) => {
      errors.push(error);
    },
    ...overrides,
  } as ReturnHandlerOptions);
  return listen(toNodeHandler(handler));
}

beforeEach(async () => {
  replayStore = memoryReplayStore({ now: () => NOW.getTime() });
  merchant = createMerchant({
    merchantId: MERCHANT_ID,
    signingKey: party.merchant.signingKey,
    paymentServer: { issuer: ISSUER, payEndpoint: `${ISSUER}/pay`, keys: party.serverKeys },
    replayStore,
    now: () => NOW,
  });
  cookieSecret = createState();
  state = stateOf(cookieSecret);
  created = party.ticket({ state });
  tickets = new Map([[created.id, created.reference]]);
  paid = [];
  refused = [];
  errors = [];
  server = await start();
});
afterEach(() => server.close());

/** A browser holding `cookieState` in its state cookie (the checkout's by default), or no state cookie for `null`. */
function browser(path: string, cookieState: string | null = cookieSecret): Promise<Response> {
  return fetch(`${server.origin}${path}`, {
    redirect: 'manual',
    headers: cookieState === null ? { cookie: 'theme=dark' } : { cookie: `theme=dark; ${STATE_COOKIE}=${cookieState}` },
  });
}

function post(body: unknown, options: { cookieState?: string | undefined; contentType?: string } = {}): Promise<Response> {
  const cookieState = 'cookieState' in options ? options.cookieState : cookieSecret;
  return fetch(`${server.origin}/caisse/verify`, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      ...(cookieState === undefined ? {} : { cookie: `${STATE_COOKIE}=${cookieState}` }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function expectSecurityHeaders(response: Response): void {
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
}

describe('return handler, browser redirect (GET)', () => {
  it('verifies the voucher, delivers once, and answers 303 to the same URL without the token', async () => {
    const token = party.voucher(created);
    const response = await browser(`/paid?order=42&caisse_voucher=${token}&lang=fr`);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/paid?order=42&lang=fr&caisse_result=paid');
    expectSecurityHeaders(response);
    expect(paid).toHaveLength(1);
    expect(paid[0]?.ticket).toEqual({ jti: created.id, sha256: created.sha256 });
    expect(errors).toEqual([]);
  });

  it('answers a reload of the token URL with token_replayed and does not deliver again', async () => {
    const token = party.voucher(created);
    await browser(`/paid?caisse_voucher=${token}`);
    const reload = await browser(`/paid?caisse_voucher=${token}`);
    expect(reload.status).toBe(303);
    expect(reload.headers.get('location')).toBe('/paid?caisse_result=failed&caisse_error=token_replayed');
    expectSecurityHeaders(reload);
    expect(paid).toHaveLength(1);
    expect(errors.map((error) => (error as CaisseError).code)).toEqual(['token_replayed']);
  });

  it('refuses a voucher brought by another browser (state_mismatch), leaving it usable by the right one', async () => {
    const token = party.voucher(created);
    const stolen = await browser(`/paid?caisse_voucher=${token}`, createState());
    expect(stolen.headers.get('location')).toBe('/paid?caisse_result=failed&caisse_error=state_mismatch');
    const cookieless = await browser(`/paid?caisse_voucher=${token}`, null);
    expect(cookieless.headers.get('location')).toBe('/paid?caisse_result=failed&caisse_error=state_mismatch');
    // The thief can read the voucher's state, but it is a hash of the cookie, not the cookie.
    const readState = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).state;
    const copied = await browser(`/paid?caisse_voucher=${token}`, readState);
    expect(copied.headers.get('location')).toBe('/paid?caisse_result=failed&caisse_error=state_mismatch');
    expect(paid).toHaveLength(0);

    const rightful = await browser(`/paid?caisse_voucher=${token}`);
    expect(rightful.headers.get('location')).toBe('/paid?caisse_result=paid');
    expect(paid).toHaveLength(1);
  });

  it('hands a signed refusal to onRefused with its reason and redirects with the reason', async () => {
    const token = party.refusal(created, 'insufficient_funds');
    const response = await browser(`/basket?caisse_refusal=${token}`);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(
      '/basket?caisse_result=refused&caisse_error=payment_refused&caisse_reason=insufficient_funds',
    );
    expectSecurityHeaders(response);
    expect(refused.map((error) => error.reason)).toEqual(['insufficient_funds']);
    expect(refused[0]?.refusal.ticket.jti).toBe(created.id);
    expect(paid).toHaveLength(0);
  });

  it('without onRefused, logs the reason and the detail code and message with console.warn, never the token', async () => {
    await server.close();
    server = await start({ onRefused: undefined });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const message = `The key kid ${'3f'.repeat(8)} is not registered for merchant ${MERCHANT_ID}: register its public key, or sign with a registered key.`;
      const token = party.refusal(created, 'ticket_invalid', { code: 'key_unknown', message });
      const response = await browser(`/basket?caisse_refusal=${token}`);
      expect(response.headers.get('location')).toBe(
        '/basket?caisse_result=refused&caisse_error=payment_refused&caisse_reason=ticket_invalid',
      );
      expect(warn.mock.calls).toEqual([[`caisse: payment refused ticket_invalid (key_unknown): ${message}`]]);

      const other = party.ticket({ state });
      tickets.set(other.id, other.reference);
      const plain = party.refusal(other, 'customer_declined');
      await browser(`/basket?caisse_refusal=${plain}`);
      expect(warn.mock.calls[1]).toEqual(['caisse: payment refused customer_declined']);
      expect(JSON.stringify(warn.mock.calls)).not.toContain(token.split('.')[2]);
      expect(JSON.stringify(warn.mock.calls)).not.toContain(plain.split('.')[1]);
    } finally {
      warn.mockRestore();
    }
  });

  it('redirects where onPaid, onRefused or onError say', async () => {
    await server.close();
    server = await start({
      onPaid: (voucher) => `/orders/${voucher.serial}`,
      onRefused: (error) => new URL(`https://shop.example/basket?why=${error.reason}`),
      onError: () => '/oops',
    });
    expect((await browser(`/paid?caisse_voucher=${party.voucher(created)}`)).headers.get('location')).toBe('/orders/order-42');
    const other = party.ticket({ state });
    tickets.set(other.id, other.reference);
    expect((await browser(`/basket?caisse_refusal=${party.refusal(other, 'customer_declined')}`)).headers.get('location')).toBe(
      'https://shop.example/basket?why=customer_declined',
    );
    expect((await browser('/paid?caisse_voucher=not-a-token')).headers.get('location')).toBe('/oops');
  });

  it('redirects to the configured redirectTo when no hook says', async () => {
    await server.close();
    server = await start({ redirectTo: (request) => `/done${new URL(request.url).pathname}` });
    expect((await browser(`/paid?caisse_voucher=${party.voucher(created)}`)).headers.get('location')).toBe('/done/paid?caisse_result=paid');
    expect((await browser('/paid?caisse_voucher=x.y.z')).headers.get('location')).toBe(
      '/done/paid?caisse_result=failed&caisse_error=token_malformed',
    );
  });

  it.each([
    ['a malformed token', () => 'abc', 'token_malformed'],
    [
      'a voucher signed by another key',
      () => party.sign('caisse-voucher+jwt', party.voucherClaims(created), generateKey({ kid: party.server.kid }).signingKey),
      'signature_invalid',
    ],
    [
      'an expired voucher',
      () => party.voucher(created, { iat: Math.floor(NOW.getTime() / 1000) - 120, exp: Math.floor(NOW.getTime() / 1000) - 60 }),
      'token_expired',
    ],
    ['a voucher for another amount', () => party.voucher(created, { amount: 1 }), 'ticket_mismatch'],
    ['a voucher for an unknown ticket', () => party.voucher(party.ticket({ state })), 'ticket_mismatch'],
    ['the ticket itself', () => created.token, 'type_mismatch'],
  ])('sends %s back to the clean URL with its code, never echoing the token', async (_what, mint, code) => {
    const token = mint();
    const response = await browser(`/paid?order=42&caisse_voucher=${token}`);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/paid?order=42&caisse_result=failed&caisse_error=${code}`);
    expectSecurityHeaders(response);
    expect(await response.text()).toBe('');
    expect(paid).toHaveLength(0);
  });

  it('refuses a URL carrying two tokens', async () => {
    const response = await browser(
      `/paid?caisse_voucher=${party.voucher(created)}&caisse_refusal=${party.refusal(created, 'bank_declined')}`,
    );
    expect(response.headers.get('location')).toBe('/paid?caisse_result=failed&caisse_error=token_malformed');
    expect(paid).toHaveLength(0);
    expect(refused).toHaveLength(0);
  });

  it('answers a GET without a token with a problem, not a redirect loop', async () => {
    const response = await browser('/paid?order=42');
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expectSecurityHeaders(response);
    expect(await response.json()).toMatchObject({ status: 400, code: 'token_malformed' });
  });

  it('never redirects to another site through a path starting with //', async () => {
    const response = await browser(`//evil.example/paid?caisse_voucher=${party.voucher(created)}`);
    expect(response.headers.get('location')).toBe('/evil.example/paid?caisse_result=paid');
  });

  it('strips stale caisse_error and caisse_reason from the clean URL', async () => {
    const response = await browser(`/paid?caisse_result=failed&caisse_error=token_replayed&caisse_voucher=${party.voucher(created)}`);
    expect(response.headers.get('location')).toBe('/paid?caisse_result=paid');
  });

  it('answers 303 with server_error when onPaid throws, and reports it', async () => {
    await server.close();
    server = await start({
      onPaid: () => {
        throw new Error('database down');
      },
    });
    const response = await browser(`/paid?caisse_voucher=${party.voucher(created)}`);
    expect(response.headers.get('location')).toBe('/paid?caisse_result=failed&caisse_error=server_error');
    expect((errors[0] as Error).message).toBe('database down');
  });

  it('works with the verification options instead of a merchant', async () => {
    await server.close();
    server = await listen(
      toNodeHandler(
        createReturnHandler({
          issuer: ISSUER,
          keys: party.serverKeys,
          replayStore,
          audience: MERCHANT_ID,
          now: () => NOW,
          findTicket: (id) => tickets.get(id),
          onPaid: (voucher) => void paid.push(voucher),
        }),
      ),
    );
    const token = party.voucher(created);
    expect((await browser(`/paid?caisse_voucher=${token}`)).headers.get('location')).toBe('/paid?caisse_result=paid');
    // The same browser back with its voucher (Back, reload) paid already: the paid page again, never an error.
    expect((await browser(`/paid?caisse_voucher=${token}`)).headers.get('location')).toBe('/paid?caisse_result=paid');
    expect(paid).toHaveLength(1);
  });

  it('reads the state from readState when given', async () => {
    await server.close();
    server = await start({ readState: (request) => request.headers.get('x-session-state') ?? undefined });
    const response = await fetch(`${server.origin}/paid?caisse_voucher=${party.voucher(created)}`, {
      redirect: 'manual',
      headers: { 'x-session-state': state },
    });
    expect(response.headers.get('location')).toBe('/paid?caisse_result=paid');
  });

  it('runs on a plain Request, without Node', async () => {
    const handler = createReturnHandler({ merchant, findTicket: (id) => tickets.get(id), onPaid: (voucher) => void paid.push(voucher) });
    const response = await handler(
      new Request(`https://shop.example/paid?caisse_voucher=${party.voucher(created)}`, {
        headers: { cookie: `${STATE_COOKIE}=${cookieSecret}` },
      }),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/paid?caisse_result=paid');
    expect(paid).toHaveLength(1);
  });
});

describe('return handler, the quick start as written (returnUrl = the handler, onPaid returns nothing)', () => {
  let warn: ReturnType<typeof vi.spyOn>;
  beforeEach(async () => {
    await server.close();
    warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    server = await listen(
      toNodeHandler(
        createReturnHandler({
          merchant,
          findTicket: (id) => tickets.get(id),
          async onPaid(voucher) {
            paid.push(voucher);
          },
        }),
      ),
    );
  });
  afterEach(() => warn.mockRestore());

  /** Follows the handler's redirect as a browser would, with the same cookies. */
  async function land(path: string, cookieState: string | null = cookieSecret): Promise<{ location: string; page: Response }> {
    const response = await browser(path, cookieState);
    expect(response.status).toBe(303);
    const location = response.headers.get('location') ?? '';
    return { location, page: await browser(location, cookieState) };
  }

  it('shows a paid customer a page saying so, and again on Back or reload: never an error page', async () => {
    const token = party.voucher(created);
    for (const attempt of [1, 2]) {
      const { location, page } = await land(`/caisse/return?caisse_voucher=${token}`);
      expect(location, `attempt ${attempt}`).toBe('/caisse/return?caisse_result=paid');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await page.text();
      expect(html).toContain('Payment received');
      expect(html).not.toContain(token);
    }
    expect(paid).toHaveLength(1);
  });

  it('shows a refused customer the reason in words, and logs the reason', async () => {
    const { location, page } = await land(`/caisse/return?caisse_refusal=${party.refusal(created, 'insufficient_funds')}`);
    expect(location).toBe('/caisse/return?caisse_result=refused&caisse_error=payment_refused&caisse_reason=insufficient_funds');
    const html = await page.text();
    expect(html).toContain('Payment not completed');
    expect(html).toContain('The wallet does not hold enough money for this payment.');
    expect(warn).toHaveBeenCalledWith('caisse: payment refused insufficient_funds');
  });

  it('after a failure, tells the customer a payment made still reaches the shop, and logs the real code', async () => {
    const token = party.voucher(created);
    const { page } = await land(`/caisse/return?caisse_voucher=${token}`, createState());
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('If you paid, the payment server still tells the shop');
    expect(html).toContain('Reference: state_mismatch');
    expect(warn.mock.calls.flat().join('\n')).toContain('state_mismatch');
    expect(warn.mock.calls.flat().join('\n')).not.toContain(token);
    expect(paid).toEqual([]);
  });

  it('keeps its result page to our own site and our own words', async () => {
    const page = await browser('/caisse/return?caisse_result=refused&caisse_reason=<script>&caisse_error=<b>x</b>');
    const html = await page.text();
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});

describe('return handler, widget verification (POST JSON)', () => {
  it('answers { status: "paid", voucher } once, then 409 token_replayed', async () => {
    const token = party.voucher(created);
    const response = await post({ token });
    expect(response.status).toBe(200);
    expectSecurityHeaders(response);
    const result = (await response.json()) as ReturnResult;
    expect(result.status).toBe('paid');
    expect(result).not.toHaveProperty('redirectTo');
    if (result.status === 'paid') {
      expect(result.voucher.ticket.jti).toBe(created.id);
      // The state is the value of an HttpOnly cookie: the page gets the voucher without it.
      expect(result.voucher).not.toHaveProperty('state');
    }
    expect(paid).toHaveLength(1);

    const replay = await post({ token });
    expect(replay.status).toBe(409);
    expect(replay.headers.get('content-type')).toBe('application/problem+json');
    expectSecurityHeaders(replay);
    const problem = await replay.json();
    expect(problem).toMatchObject({ type: 'about:blank', status: 409, code: 'token_replayed' });
    expect(JSON.stringify(problem)).not.toContain(token);
    expect(paid).toHaveLength(1);
  });

  it('answers { status: "refused", reason } for a refusal', async () => {
    const response = await post({ token: party.refusal(created, 'customer_declined') });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'refused', reason: 'customer_declined' });
    expect(refused).toHaveLength(1);
  });

  it('includes redirectTo when a hook returns one', async () => {
    await server.close();
    server = await start({ onPaid: () => '/orders/42' });
    expect(await (await post({ token: party.voucher(created) })).json()).toMatchObject({ status: 'paid', redirectTo: '/orders/42' });
  });

  it.each([
    ['another browser', () => post({ token: party.voucher(created) }, { cookieState: createState() }), 403, 'state_mismatch'],
    ['no state cookie', () => post({ token: party.voucher(created) }, { cookieState: undefined }), 403, 'state_mismatch'],
    ['a body that is not JSON', () => post('token=abc'), 400, 'message_invalid'],
    ['JSON without a token', () => post({ voucher: 'abc' }), 400, 'message_invalid'],
    ['a form post', () => post('token=abc', { contentType: 'application/x-www-form-urlencoded' }), 415, 'message_invalid'],
    ['a malformed token', () => post({ token: 'abc' }), 400, 'token_malformed'],
    ['a token over the size limit', () => post({ token: 'a'.repeat(LIMITS.tokenLength + 1) }), 413, 'token_too_large'],
    ['a body over the size limit', () => post({ token: 'a', padding: 'b'.repeat(LIMITS.tokenLength + 2048) }), 413, 'token_too_large'],
    [
      'an expired voucher',
      () =>
        post({
          token: party.voucher(created, { iat: Math.floor(NOW.getTime() / 1000) - 120, exp: Math.floor(NOW.getTime() / 1000) - 60 }),
        }),
      401,
      'token_expired',
    ],
    ['a voucher for another merchant', () => post({ token: party.voucher(created, { aud: 'newsstand' }) }), 401, 'audience_mismatch'],
  ])('answers %s with a problem and its code', async (_what, send, status, code) => {
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expectSecurityHeaders(response);
    expect(await response.json()).toMatchObject({ status, code });
    expect(paid).toHaveLength(0);
  });

  it('answers 500 without details when onPaid throws', async () => {
    await server.close();
    server = await start({
      onPaid: () => {
        throw new Error('database down at 10.0.0.5');
      },
    });
    const response = await post({ token: party.voucher(created) });
    expect(response.status).toBe(500);
    expectSecurityHeaders(response);
    expect(await response.json()).toEqual({ type: 'about:blank', title: 'Internal Server Error', status: 500 });
  });

  it('answers other methods with 405 and Allow', async () => {
    const response = await fetch(`${server.origin}/paid`, { method: 'PUT', body: '{}' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, POST');
    expectSecurityHeaders(response);
  });
});

describe('hasReturnToken', () => {
  it('tells return requests from plain visits of the page', () => {
    expect(hasReturnToken(new Request('https://shop.example/paid?caisse_voucher=x'))).toBe(true);
    expect(hasReturnToken(new Request('https://shop.example/basket?caisse_refusal=x'))).toBe(true);
    expect(hasReturnToken(new Request('https://shop.example/paid?caisse_result=failed&caisse_error=token_replayed'))).toBe(false);
  });
});

it('gives every error code an HTTP status', () => {
  expect(Object.keys(ERROR_HTTP_STATUS).sort()).toEqual(Object.keys(ERROR_CODES).sort());
});
