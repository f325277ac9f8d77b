import { PROTOCOL_VERSION, type QuoteRequestClaims, type TicketClaims, TOKEN_TYPES } from '@caisse/protocol';
import { beforeEach, describe, expect, it } from 'vitest';
import { ISSUER, MERCHANT_ID, NOW, NOW_SECONDS, parties } from '../__fixtures__/parties.js';
import { verifyJws } from '../jws/verify.js';
import { generateKey } from '../keys/generate.js';
import { staticKeySet } from '../keys/import.js';
import { createMerchant, type Merchant } from '../merchant.js';
import type { QuoteRequest } from '../quote/verify-request.js';
import { createState } from '../state.js';
import type { CreatedTicket } from '../ticket/create.js';
import type { Problem } from './problem.js';
import { createQuoteHandler, type QuoteHandlerOptions, type QuoteTicketInput, type QuoteUnavailable } from './quote.js';

const party = parties();
const ENDPOINT = 'https://news.example/caisse/quote';

let merchant: Merchant;
let asked: QuoteRequest[];
let stored: CreatedTicket[];
let errors: unknown[];

function claims(overrides: Partial<QuoteRequestClaims> = {}): QuoteRequestClaims {
  return {
    ver: PROTOCOL_VERSION,
    iss: ISSUER,
    aud: MERCHANT_ID,
    jti: 'q_7f3a',
    iat: NOW_SECONDS,
    exp: NOW_SECONDS + 60,
    item: 'article-42',
    quantity: 2,
    ...overrides,
  };
}

const quoteRequest = (overrides: Partial<QuoteRequestClaims> = {}) => party.sign(TOKEN_TYPES.quote, claims(overrides));

/** The newsstand's answer: 2.50 a copy, the price holding two minutes, three copies left. */
function priced(request: QuoteRequest): QuoteTicketInput {
  return {
    serial: `N-${request.jti}`,
    currency: 'EUR',
    items: [{ id: request.item, label: 'The tide tables', quantity: request.quantity, unitAmount: 250, vatRate: 210 }],
    returnUrl: 'https://news.example/caisse/return',
    cancelUrl: 'https://news.example/caisse/return',
    lifetime: 120,
    stock: 3,
  };
}

function handler(overrides: Partial<QuoteHandlerOptions> = {}) {
  return createQuoteHandler({
    merchant,
    quote: (request) => {
      asked.push(request);
      return priced(request);
    },
    onTicket: (ticket) => {
      stored.push(ticket);
    },
    onError: (error) => {
      errors.push(error);
    },
    ...overrides,
  });
}

/** The payment server's POST; with `headers` null, bytes with no content type at all (a string body would get text/plain). */
function post(token: string, headers: Record<string, string> | null = { 'content-type': 'application/jwt' }): Request {
  if (headers === null) return new Request(ENDPOINT, { method: 'POST', body: new TextEncoder().encode(token) });
  return new Request(ENDPOINT, { method: 'POST', headers, body: token });
}

async function ticketOf(response: Response): Promise<{ token: string; claims: TicketClaims }> {
  const body = (await response.json()) as { available: true; ticket: string };
  expect(body.available).toBe(true);
  const { payload } = await verifyJws(body.ticket, [TOKEN_TYPES.ticket], staticKeySet(party.merchant.jwks));
  return { token: body.ticket, claims: payload as TicketClaims };
}

beforeEach(() => {
  merchant = createMerchant({
    merchantId: MERCHANT_ID,
    signingKey: party.merchant.signingKey,
    paymentServer: { issuer: ISSUER, payEndpoint: `${ISSUER}/pay`, keys: party.serverKeys },
    now: () => NOW,
  });
  asked = [];
  stored = [];
  errors = [];
});

describe('quote handler', () => {
  it('answers a signed request with a ticket bound to it, after storing its reference', async () => {
    const state = createState();
    const response = await handler()(post(quoteRequest({ state })));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const { token, claims: ticket } = await ticketOf(response);
    expect(ticket).toMatchObject({
      iss: MERCHANT_ID,
      aud: ISSUER,
      kind: 'purchase',
      serial: 'N-q_7f3a',
      amount: 500,
      state,
      quote: { request: 'q_7f3a', item: 'article-42', quantity: 2, stock: 3 },
    });
    expect(ticket.iat).toBe(NOW_SECONDS);
    expect(ticket.exp).toBe(ticket.iat + 120);
    expect(asked).toEqual([claims({ state })]);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.token).toBe(token);
    expect(stored[0]?.reference).toMatchObject({ id: ticket.jti, serial: 'N-q_7f3a', amount: 500, state });
    expect(errors).toEqual([]);
  });

  it('holds the price 300 s unless told otherwise, and gives a request from no browser a fresh state of its own', async () => {
    const { lifetime: _, stock: __, ...rest } = priced(claims());
    const first = await ticketOf(await handler({ quote: () => rest })(post(quoteRequest())));
    const second = await ticketOf(await handler({ quote: () => rest })(post(quoteRequest())));
    expect(first.claims.exp).toBe(NOW_SECONDS + 300);
    expect(first.claims.quote).toEqual({ request: 'q_7f3a', item: 'article-42', quantity: 2 });
    expect(first.claims.state).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(second.claims.state).not.toBe(first.claims.state);
  });

  it.each(['application/jwt', 'application/jose', 'text/plain; charset=utf-8', null])('takes the token as %s', async (type) => {
    const request = post(quoteRequest(), type === null ? null : { 'content-type': type });
    expect(request.headers.get('content-type')).toBe(type);
    expect((await handler()(request)).status).toBe(200);
  });

  it('passes on that the item is not available, with the merchant’s message', async () => {
    const unavailable: QuoteUnavailable = { available: false, message: 'Sold out until Monday' };
    const response = await handler({ quote: () => unavailable })(post(quoteRequest()));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ available: false, message: 'Sold out until Monday' });
    const silent = await handler({ quote: () => ({ available: false }) })(post(quoteRequest()));
    expect(await silent.json()).toEqual({ available: false });
    expect(stored).toEqual([]);
  });

  it.each([
    [
      'signed with another key',
      () => party.sign(TOKEN_TYPES.quote, claims(), generateKey({ kid: party.server.kid }).signingKey),
      401,
      'signature_invalid',
    ],
    ['signed by the merchant itself', () => party.sign(TOKEN_TYPES.quote, claims(), party.merchant.signingKey), 401, 'key_unknown'],
    ['for another merchant', () => quoteRequest({ aud: 'newsstand' }), 401, 'audience_mismatch'],
    ['expired', () => quoteRequest({ iat: NOW_SECONDS - 120, exp: NOW_SECONDS - 60 }), 401, 'token_expired'],
    ['of the other mode', () => quoteRequest({ test: true }), 401, 'token_test_mode'],
    ['a ticket', () => party.ticket().token, 400, 'type_mismatch'],
    ['not a token', () => 'hello', 400, 'token_malformed'],
  ])('refuses a request %s with a problem, asking nothing and storing nothing', async (_what, token, status, code) => {
    const response = await handler()(post(token()));
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect((await response.json()) as Problem).toMatchObject({ status, code });
    expect(asked).toEqual([]);
    expect(stored).toEqual([]);
    // The sender's fault is answered, not reported as the merchant's failure.
    expect(errors).toEqual([]);
  });

  it('answers 405 to anything but POST, and 415 to a body that is not a token', async () => {
    const get = await handler()(new Request(ENDPOINT));
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const json = await handler()(post(JSON.stringify({ token: quoteRequest() }), { 'content-type': 'application/json' }));
    expect(json.status).toBe(415);
    expect(asked).toEqual([]);
  });

  it('refuses a body over the limit before reading it all: token_too_large', async () => {
    const response = await handler({ maxBodyBytes: 100 })(post(quoteRequest()));
    expect(response.status).toBe(413);
    expect(((await response.json()) as Problem).code).toBe('token_too_large');
  });

  it('answers 500, without the ticket and with nothing about the failure, when onTicket throws, and reports it', async () => {
    const response = await handler({
      onTicket: () => {
        throw new Error('database down');
      },
    })(post(quoteRequest()));
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const text = await response.text();
    expect(text).not.toContain('database down');
    expect(text).not.toContain('ticket"');
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('database down');
  });

  it('answers 500 and reports it when quote throws, or answers a ticket it cannot make', async () => {
    const failing = handler({
      quote: async () => {
        throw new Error('catalogue unreachable');
      },
    });
    expect((await failing(post(quoteRequest()))).status).toBe(500);
    const noItems = handler({ quote: (request) => ({ ...priced(request), items: [] }) });
    expect((await noItems(post(quoteRequest()))).status).toBe(500);
    const badLine = handler({ quote: (request) => ({ ...priced(request), currency: 'EUX' }) });
    expect((await badLine(post(quoteRequest()))).status).toBe(500);
    const longMessage = handler({ quote: () => ({ available: false, message: 'x'.repeat(201) }) });
    expect((await longMessage(post(quoteRequest()))).status).toBe(500);
    expect(errors.map((error) => (error as Error).constructor.name)).toEqual(['Error', 'TypeError', 'CaisseError', 'CaisseError']);
    expect(errors[1]).toBeInstanceOf(TypeError);
    expect(stored).toEqual([]);
  });

  it('keeps its own claims over anything an untyped quote() slips in', async () => {
    const state = createState();
    const sneaky = (request: QuoteRequest) => ({
      ...priced(request),
      state: createState(),
      kind: 'allowance',
      quote: { request: 'other' },
      allowanceId: 'al_AAAAAAAAAAAAAAAAAAAAAA',
    });
    const response = await handler({ quote: sneaky as unknown as QuoteHandlerOptions['quote'] })(post(quoteRequest({ state })));
    const { claims: ticket } = await ticketOf(response);
    expect(ticket).toMatchObject({ kind: 'purchase', state, quote: { request: 'q_7f3a' } });
    expect(ticket).not.toHaveProperty('allowanceId');
  });

  it('signs with a test key for a test payment server, and refuses its live requests', async () => {
    const testKey = generateKey({ test: true });
    merchant = createMerchant({
      merchantId: MERCHANT_ID,
      signingKey: testKey.signingKey,
      paymentServer: { issuer: ISSUER, payEndpoint: `${ISSUER}/pay`, keys: party.serverKeys },
      now: () => NOW,
    });
    const response = await handler()(post(quoteRequest({ test: true })));
    const { payload } = await verifyJws(
      ((await response.json()) as { ticket: string }).ticket,
      [TOKEN_TYPES.ticket],
      staticKeySet(testKey.jwks),
    );
    expect(payload).toMatchObject({ test: true, quote: { request: 'q_7f3a' } });
    expect((await handler()(post(quoteRequest()))).status).toBe(401);
  });
});
