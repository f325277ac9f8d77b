import { createHash, verify } from 'node:crypto';
import { isCaisseError, ticketHash } from '@caisse/protocol';
import { describe, expect, it } from 'vitest';
import { ISSUER, MERCHANT_ID, NOW, NOW_SECONDS, parties } from '../__fixtures__/parties.js';
import { verifyJws } from '../jws/verify.js';
import { generateKey } from '../keys/generate.js';
import { staticKeySet } from '../keys/import.js';
import { createState } from '../state.js';
import { createTicket, type TicketInput } from './create.js';

const checkout = parties();
const config = {
  merchantId: MERCHANT_ID,
  paymentServer: ISSUER,
  payEndpoint: `${ISSUER}/pay`,
  signingKey: checkout.merchant.signingKey,
  now: () => NOW,
};
const base: TicketInput = {
  serial: 'order-42',
  currency: 'EUR',
  items: [{ id: 'book-1', label: 'Le Petit Prince', quantity: 2, unitAmount: 1290, vatRate: 550 }],
  returnUrl: 'https://shop.example/paid',
  cancelUrl: 'https://shop.example/basket',
  state: createState(),
};

function failure(input: Partial<TicketInput>) {
  try {
    createTicket({ ...base, ...input } as TicketInput, config);
  } catch (error) {
    if (isCaisseError(error)) return { code: error.code, paths: error.issues.map((issue) => issue.path) };
    throw error;
  }
  throw new Error('expected createTicket to throw');
}

describe('createTicket', () => {
  it('signs a ticket the payment server can verify with the merchant JWKS', async () => {
    const ticket = createTicket(base, config);
    const verified = await verifyJws(ticket.token, ['caisse-ticket+jwt'], staticKeySet(checkout.merchant.jwks));
    expect(verified.header).toEqual({ alg: 'EdDSA', typ: 'caisse-ticket+jwt', kid: checkout.merchant.kid });
    expect(verified.payload).toEqual(ticket.claims);
    expect(ticket.claims).toMatchObject({
      iss: MERCHANT_ID,
      aud: ISSUER,
      amount: 2580,
      vat: 135,
      kind: 'purchase',
      fulfilment: 'immediate',
    });
    expect(ticket.claims.iat).toBe(NOW_SECONDS);
    expect(ticket.expiresAt).toBe(NOW_SECONDS + 900);
  });

  it('marks a ticket signed with a test key test: true, and a live ticket not at all (the live wire is unchanged)', () => {
    const live = createTicket(base, config);
    expect(JSON.parse(Buffer.from(live.token.split('.')[1] as string, 'base64url').toString())).not.toHaveProperty('test');
    const testKey = generateKey({ test: true });
    const test = createTicket(base, { ...config, signingKey: testKey.signingKey });
    expect(test.claims.test).toBe(true);
    expect(JSON.parse(Buffer.from(test.token.split('.')[1] as string, 'base64url').toString())).toMatchObject({ test: true });
  });

  it('returns the hash the voucher must carry, the reference to keep and the form the widget posts', async () => {
    const ticket = createTicket(base, config);
    expect(ticket.sha256).toBe(createHash('sha256').update(ticket.token).digest('base64url'));
    expect(ticket.sha256).toBe(await ticketHash(ticket.token));
    expect(ticket.reference).toEqual({
      id: ticket.id,
      sha256: ticket.sha256,
      serial: 'order-42',
      amount: 2580,
      currency: 'EUR',
      state: base.state,
    });
    expect(ticket.form).toEqual({ action: `${ISSUER}/pay`, method: 'POST', fields: { ticket: ticket.token } });
  });

  it('signs with ES256 keys too, as raw r‖s', () => {
    const es = parties({ merchantAlg: 'ES256' });
    const ticket = createTicket(base, { ...config, signingKey: es.merchant.signingKey });
    const [header, payload, signature] = ticket.token.split('.') as [string, string, string];
    const publicKey = es.merchant.signingKey.key;
    expect(
      verify(
        'sha256',
        Buffer.from(`${header}.${payload}`),
        { key: publicKey, dsaEncoding: 'ieee-p1363' },
        Buffer.from(signature, 'base64url'),
      ),
    ).toBe(true);
  });

  it('gives every ticket its own random id unless one is given', () => {
    expect(createTicket(base, config).id).not.toBe(createTicket(base, config).id);
    expect(createTicket({ ...base, id: 'order-42-try-1' }, config).id).toBe('order-42-try-1');
  });

  it('makes an authentication ticket when there are no items', () => {
    const ticket = createTicket({ ...base, items: [] }, config);
    expect(ticket.claims).toMatchObject({ kind: 'authentication', amount: 0, vat: 0, items: [] });
  });

  it('refuses an amount that is not the sum of the items: amount_mismatch', () => {
    expect(failure({ amount: 2579 })).toEqual({ code: 'amount_mismatch', paths: ['amount'] });
  });

  it.each([
    ['a float unit amount', { items: [{ id: 'a', label: 'A', quantity: 1, unitAmount: 12.5, vatRate: 0 }] }, 'items.0.unitAmount'],
    ['a zero quantity', { items: [{ id: 'a', label: 'A', quantity: 0, unitAmount: 100, vatRate: 0 }] }, 'items.0.quantity'],
    ['an unknown currency', { currency: 'EUX' }, 'currency'],
    ['an http return URL', { returnUrl: 'http://shop.example/paid' }, 'returnUrl'],
    ['a cancel URL with credentials', { cancelUrl: 'https://user:pw@shop.example/' }, 'cancelUrl'],
    ['a short state', { state: 'abc' }, 'state'],
    ['a lifetime over a day', { lifetime: 86_401 }, 'exp'],
    ['a serial with spaces', { serial: 'order 42' }, 'serial'],
    [
      '101 items',
      { items: Array.from({ length: 101 }, (_, i) => ({ id: `i${i}`, label: 'x', quantity: 1, unitAmount: 1, vatRate: 0 })) },
      'items',
    ],
  ])('refuses %s: message_invalid naming the field', (_what, input, path) => {
    const { code, paths } = failure(input as Partial<TicketInput>);
    expect(code).toBe('message_invalid');
    expect(paths).toContain(path);
  });

  it('allows http return URLs on localhost for development', () => {
    expect(
      createTicket({ ...base, returnUrl: 'http://localhost:3000/paid', cancelUrl: 'http://127.0.0.1:3000/' }, config).claims.returnUrl,
    ).toBe('http://localhost:3000/paid');
  });

  it('refuses items whose total overflows the largest amount: amount_invalid', () => {
    expect(failure({ items: [{ id: 'a', label: 'A', quantity: 1_000_000, unitAmount: 1_000_000_000, vatRate: 0 }] }).code).toBe(
      'amount_invalid',
    );
  });

  it('carries a quote and a digital good in the signed claims', async () => {
    const ticket = createTicket(
      { ...base, quote: { request: 'q_1', item: 'article-42', quantity: 2, stock: 5 }, delivery: { content: 'article-42' } },
      config,
    );
    const verified = await verifyJws(ticket.token, ['caisse-ticket+jwt'], staticKeySet(checkout.merchant.jwks));
    expect(verified.payload).toMatchObject({
      kind: 'purchase',
      quote: { request: 'q_1', item: 'article-42', quantity: 2, stock: 5 },
      delivery: { content: 'article-42' },
    });
    expect(ticket.claims.quote).toEqual({ request: 'q_1', item: 'article-42', quantity: 2, stock: 5 });
  });

  it('leaves both out of a ticket that has neither (the wire is unchanged)', () => {
    const payload = JSON.parse(Buffer.from(createTicket(base, config).token.split('.')[1] as string, 'base64url').toString());
    expect(payload).not.toHaveProperty('quote');
    expect(payload).not.toHaveProperty('delivery');
  });

  it.each([
    ['a quote on an authentication ticket', { items: [], quote: { request: 'q_1', item: 'a', quantity: 1 } }, 'quote'],
    ['a quote without its request', { quote: { item: 'a', quantity: 1 } }, 'quote.request'],
    ['a quote of no unit', { quote: { request: 'q_1', item: 'a', quantity: 0 } }, 'quote.quantity'],
    ['a negative stock', { quote: { request: 'q_1', item: 'a', quantity: 1, stock: -1 } }, 'quote.stock'],
    ['a good delivered on deferred fulfilment', { fulfilment: 'deferred', delivery: { content: 'article-42' } }, 'delivery'],
    [
      'a good on a charge under an allowance',
      { allowanceId: 'al_AAAAAAAAAAAAAAAAAAAAAA', delivery: { content: 'article-42' } },
      'delivery',
    ],
    ['a good on an authentication ticket', { items: [], delivery: { content: 'article-42' } }, 'delivery'],
    ['a content ref outside the id rule', { delivery: { content: '../secret' } }, 'delivery.content'],
  ])('refuses %s: message_invalid naming the field', (_what, input, path) => {
    const { code, paths } = failure(input as Partial<TicketInput>);
    expect(code).toBe('message_invalid');
    expect(paths).toContain(path);
  });
});
