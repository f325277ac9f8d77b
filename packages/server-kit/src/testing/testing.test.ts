import { itemsDigest, type NotificationClaims, type TicketClaims, TOKEN_TYPES, type VoucherClaims } from '@caisse/protocol';
import { describe, expect, it } from 'vitest';
import { createNotificationHandler } from '../handlers/notification.js';
import { createQuoteHandler } from '../handlers/quote.js';
import { createReturnHandler } from '../handlers/return.js';
import { decodeJws, decodePart } from '../jws/decode.js';
import { generateKey } from '../keys/generate.js';
import { createMerchant, type Merchant } from '../merchant.js';
import { memoryReplayStore } from '../replay/memory.js';
import { createState, STATE_COOKIE, stateOf } from '../state.js';
import type { CreatedTicket } from '../ticket/create.js';
import { PaymentRefusedError, verifyVoucher } from '../voucher/verify.js';
import { createTestPaymentServer, TEST_ISSUER, type TestPaymentServer, testMerchant } from './index.js';

const NOW = new Date('2026-11-22T10:00:00Z');
const NOW_SECONDS = NOW.getTime() / 1000;
const clock = () => NOW;
const SHOP = 'https://shop.example';

function payload<T>(token: string): T {
  return JSON.parse(decodePart(token.split('.')[1] as string, 'payload').toString('utf8')) as T;
}

/** A merchant with the given key against the test server, on the frozen clock. */
function merchantOf(server: TestPaymentServer, signingKey: Record<string, unknown>, asLive = false): Merchant {
  return createMerchant({
    merchantId: 'bookshop',
    signingKey,
    // A live merchant wrongly trusting the test server's keys: the case the test marker exists for.
    paymentServer: asLive ? { issuer: server.issuer, payEndpoint: server.payEndpoint, keys: server.keys } : server,
    replayStore: memoryReplayStore(),
    now: clock,
  });
}

function book(
  merchant: Merchant,
  state = stateOf(createState()),
  extra: Partial<Parameters<Merchant['createTicket']>[0]> = {},
): CreatedTicket {
  return merchant.createTicket({
    serial: 'order-42',
    currency: 'EUR',
    state,
    items: [{ id: 'b1', label: 'Le Petit Prince', quantity: 1, unitAmount: 1290, vatRate: 550 }],
    returnUrl: `${SHOP}/caisse/return`,
    cancelUrl: `${SHOP}/basket`,
    ...extra,
  });
}

describe('@caisse/server-kit/testing: a test merchant accepts what the test payment server makes', () => {
  const server = createTestPaymentServer({ now: clock });
  const key = testMerchant();

  it('gives a test key and a server in test mode', () => {
    expect(key.kid).toMatch(/^test_[0-9a-f]{32}$/);
    expect(key.mode).toBe('test');
    expect(server).toMatchObject({ issuer: TEST_ISSUER, payEndpoint: `${TEST_ISSUER}/pay`, mode: 'test' });
    expect(server.jwks.keys).toHaveLength(1);
    const merchant = merchantOf(server, key.privateJwk);
    expect(merchant.mode).toBe('test');
    expect(payload<{ test?: boolean }>(book(merchant).token).test).toBe(true);
  });

  it('makes the voucher of a ticket, from the ticket, its token or its reference, marked test', async () => {
    const merchant = merchantOf(server, key.privateJwk);
    for (const from of ['ticket', 'token', 'reference'] as const) {
      const ticket = book(merchant);
      const token =
        from === 'ticket'
          ? server.voucherFor(ticket)
          : from === 'token'
            ? server.voucherFor(ticket.token)
            : server.voucherFor(ticket.reference, { aud: 'bookshop' });
      const voucher = await merchant.verifyVoucher(token, { ticket: ticket.reference, state: ticket.claims.state });
      expect(voucher).toMatchObject({
        iss: TEST_ISSUER,
        aud: 'bookshop',
        jti: expect.stringMatching(/^pay_\d+$/),
        iat: NOW_SECONDS,
        exp: NOW_SECONDS + 60,
        ticket: { jti: ticket.id, sha256: ticket.sha256 },
        serial: 'order-42',
        amount: 1290,
        currency: 'EUR',
        status: 'authorised',
        funding: 'wallet',
        test: true,
      });
      expect(decodeJws(token, [TOKEN_TYPES.voucher]).kid).toBe(server.jwks.keys[0]?.kid);
      expect(voucher.items).toBe(await itemsDigest(from === 'reference' ? [] : ticket.claims.items));
    }
  });

  it('follows the ticket: held for deferred delivery, authenticated for amount 0, the data it requested', async () => {
    const merchant = merchantOf(server, key.privateJwk);
    const held = book(merchant, undefined, { fulfilment: 'deferred', requested: ['email', 'shipping_address'] });
    expect(await merchant.verifyVoucher(server.voucherFor(held), { ticket: held.reference })).toMatchObject({
      status: 'held',
      shared: { email: 'ada@example.com', shippingAddress: { country: 'FR' } },
    });
    const login = book(merchant, undefined, { items: [] });
    const voucher = await merchant.verifyVoucher(server.voucherFor(login), { ticket: login.reference });
    expect(voucher).toMatchObject({ status: 'authenticated', amount: 0 });
    expect(voucher.funding).toBeUndefined();
  });

  it('takes overrides, but never drops the test marker', async () => {
    const merchant = merchantOf(server, key.privateJwk);
    const ticket = book(merchant);
    const expired = server.voucherFor(ticket, { iat: NOW_SECONDS - 120, exp: NOW_SECONDS - 60 });
    await expect(merchant.verifyVoucher(expired, { ticket: ticket.reference })).rejects.toMatchObject({ code: 'token_expired' });
    const cheaper = server.voucherFor(ticket, { amount: 1 });
    await expect(merchant.verifyVoucher(cheaper, { ticket: ticket.reference })).rejects.toMatchObject({ code: 'ticket_mismatch' });
    const unmarked = server.voucherFor(ticket, { test: undefined } as never);
    expect(payload<VoucherClaims>(unmarked).test).toBe(true);
    expect(() => server.voucherFor(ticket, { exp: NOW_SECONDS - 1 })).toThrow(expect.objectContaining({ code: 'claims_invalid' }));
  });

  it('makes refusals the merchant reads as PaymentRefusedError with their reason', async () => {
    const merchant = merchantOf(server, key.privateJwk);
    const ticket = book(merchant);
    const refusal = server.refusalFor(ticket, 'insufficient_funds');
    const error = await merchant.verifyVoucher(refusal, { ticket: ticket.reference }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PaymentRefusedError);
    expect(error).toMatchObject({ reason: 'insufficient_funds', refusal: { test: true } });
  });

  it('refuses a ticket signed with a live key, as a payment server in test mode does', () => {
    const live = createMerchant({
      merchantId: 'bookshop',
      signingKey: generateKey().privateJwk,
      paymentServer: { issuer: server.issuer, payEndpoint: server.payEndpoint, keys: server.keys },
    });
    const ticket = book(live);
    expect(() => server.voucherFor(ticket)).toThrow(/signed with a live key/);
    expect(() => server.voucherFor(ticket.token)).toThrow(/signed with a live key/);
    expect(() => server.notificationFor({ event: 'payment.authorised', ticket })).toThrow(/signed with a live key/);
  });

  it("passes a merchant's return handler: the paid page, onPaid called once with the voucher", async () => {
    const merchant = merchantOf(server, key.privateJwk);
    const secret = createState();
    const ticket = book(merchant, stateOf(secret));
    const paid: VoucherClaims[] = [];
    const handler = createReturnHandler({
      merchant,
      findTicket: (id) => (id === ticket.id ? ticket.reference : undefined),
      onPaid: (voucher) => {
        paid.push(voucher);
        return '/orders/order-42';
      },
    });
    const url = new URL(`${SHOP}/caisse/return`);
    url.searchParams.set('caisse_voucher', server.voucherFor(ticket));
    const response = await handler(new Request(url, { headers: { cookie: `${STATE_COOKIE}=${secret}` } }));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toContain('/orders/order-42');
    expect(paid).toMatchObject([{ ticket: { jti: ticket.id }, test: true }]);
  });

  it("passes a merchant's notification handler: the payment id is the voucher's, a redelivery is not processed again", async () => {
    const merchant = merchantOf(server, key.privateJwk);
    const ticket = book(merchant);
    const voucher = payload<VoucherClaims>(server.voucherFor(ticket));
    const events: NotificationClaims[] = [];
    const handler = createNotificationHandler({
      merchant,
      onNotification: (event) => {
        events.push(event);
      },
    });
    const post = (body: string) =>
      handler(new Request(`${SHOP}/caisse/notify`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body }));
    const authorised = server.notificationFor({ event: 'payment.authorised', ticket });
    expect(await (await post(authorised)).json()).toEqual({ status: 'processed' });
    expect(await (await post(authorised)).json()).toEqual({ status: 'duplicate' });
    expect(await (await post(server.notificationFor({ event: 'refund.succeeded', ticket, amount: 500 }))).json()).toEqual({
      status: 'processed',
    });
    const settled = server.notificationFor(
      { event: 'settlement.paid', settlement: { id: 'st_1', date: '2026-11-22', amount: 1290, currency: 'EUR' } },
      { aud: 'bookshop' },
    );
    expect((await post(settled)).status).toBe(200);
    expect(events).toMatchObject([
      { event: 'payment.authorised', aud: 'bookshop', test: true, payment: { id: voucher.jti, ticket: { jti: ticket.id }, amount: 1290 } },
      { event: 'refund.succeeded', payment: { id: voucher.jti }, refund: { amount: 500, currency: 'EUR' } },
      { event: 'settlement.paid', test: true },
    ]);
  });

  it("passes a merchant's quote endpoint: the ticket answers the request, for its browser", async () => {
    const merchant = merchantOf(server, key.privateJwk);
    const handler = createQuoteHandler({
      merchant,
      quote: ({ item, quantity }) => ({
        serial: 'Q-1',
        currency: 'EUR',
        items: [{ id: item, label: 'The tide tables', quantity, unitAmount: 300, vatRate: 550 }],
        returnUrl: `${SHOP}/paid`,
        cancelUrl: `${SHOP}/basket`,
      }),
      onTicket: () => {},
    });
    const state = createState();
    const request = server.quoteRequestFor({ item: 'tides', quantity: 2, state, merchantId: 'bookshop' });
    const answer = await handler(
      new Request(`${SHOP}/caisse/quote`, { method: 'POST', headers: { 'content-type': 'application/jwt' }, body: request }),
    );
    const { ticket } = (await answer.json()) as { ticket: string };
    expect(payload<TicketClaims>(ticket)).toMatchObject({
      amount: 600,
      state,
      test: true,
      quote: { request: payload<{ jti: string }>(request).jti, item: 'tides', quantity: 2 },
    });
    expect(payload<{ exp: number; iat: number }>(request)).toMatchObject({ exp: payload<{ iat: number }>(request).iat + 60 });
  });

  it('needs an audience for what names no ticket', () => {
    expect(() =>
      server.notificationFor({ event: 'settlement.paid', settlement: { id: 'st_1', date: '2026-11-22', amount: 1, currency: 'EUR' } }),
    ).toThrow(/Whose token is this/);
    const withMerchant = createTestPaymentServer({ now: clock, merchantId: 'bookshop' });
    const token = withMerchant.notificationFor({
      event: 'settlement.paid',
      settlement: { id: 'st_1', date: '2026-11-22', amount: 1, currency: 'EUR' },
    });
    expect(payload<NotificationClaims>(token)).toMatchObject({ aud: 'bookshop', test: true, iat: NOW_SECONDS, exp: NOW_SECONDS + 300 });
  });
});

describe('@caisse/server-kit/testing: a live merchant accepts none of it', () => {
  const server = createTestPaymentServer({ now: clock });
  const testTicket = book(merchantOf(server, testMerchant().privateJwk));

  it('refuses the test server itself at start-up', () => {
    expect(() => createMerchant({ merchantId: 'bookshop', signingKey: generateKey().privateJwk, paymentServer: server })).toThrow(
      expect.objectContaining({ code: 'token_test_mode', message: expect.stringContaining('caisse keys new --test') }),
    );
  });

  it('refuses its vouchers, refusals and notifications with token_test_mode, even trusting its keys', async () => {
    const live = merchantOf(server, generateKey().privateJwk, true);
    expect(live.mode).toBe('live');
    const voucher = server.voucherFor(testTicket);
    await expect(live.verifyVoucher(voucher, { ticket: testTicket.reference })).rejects.toMatchObject({
      code: 'token_test_mode',
      message: expect.stringContaining('deliver nothing'),
    });
    await expect(
      live.verifyVoucher(server.refusalFor(testTicket, 'customer_declined'), { ticket: testTicket.reference }),
    ).rejects.toMatchObject({
      code: 'token_test_mode',
    });
    await expect(
      live.verifyNotification(server.notificationFor({ event: 'payment.authorised', ticket: testTicket })),
    ).rejects.toMatchObject({
      code: 'token_test_mode',
    });
    // The standalone verifier is live unless told otherwise.
    await expect(
      verifyVoucher(voucher, {
        issuer: server.issuer,
        keys: server.keys,
        replayStore: memoryReplayStore(),
        audience: 'bookshop',
        ticket: testTicket.reference,
        now: clock,
      }),
    ).rejects.toMatchObject({ code: 'token_test_mode' });
  });

  it("answers a live merchant's notification handler 401 token_test_mode, and processes nothing", async () => {
    const live = merchantOf(server, generateKey().privateJwk, true);
    const events: unknown[] = [];
    const handler = createNotificationHandler({ merchant: live, onNotification: (event) => void events.push(event) });
    const response = await handler(
      new Request(`${SHOP}/caisse/notify`, {
        method: 'POST',
        headers: { 'content-type': 'application/jose' },
        body: server.notificationFor({ event: 'payment.authorised', ticket: testTicket }),
      }),
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'token_test_mode' });
    expect(events).toEqual([]);
  });
});
