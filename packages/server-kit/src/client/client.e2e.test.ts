import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverPaymentServer } from '../keys/discovery.js';
import { generateKey } from '../keys/generate.js';
import { insertPayment, startApiTestServer } from './__fixtures__/payment-server.js';
import { createMerchantClient, type MerchantClientOptions } from './client.js';
import { isMerchantApiError, type MerchantApiError } from './errors.js';

const FROM = '2026-03-01T00:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(FROM) + minutes * 60_000);

async function rejection(promise: Promise<unknown>): Promise<MerchantApiError> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  if (!isMerchantApiError(error)) throw new Error(`expected a MerchantApiError, got ${String(error)}`);
  return error;
}

describe('merchant API client against a real payment server over HTTP', { timeout: 30_000 }, () => {
  let shop: Awaited<ReturnType<typeof startApiTestServer>>;
  let options: MerchantClientOptions;

  beforeAll(async () => {
    shop = await startApiTestServer();
    options = { server: shop.url, merchantId: shop.self.merchantId, key: shop.self.key.privateJwk, retry: { backoff: 1 } };
  }, 60_000);
  afterAll(async () => {
    await shop?.close();
  });

  it('finds the API through the discovery document and gets a payment made through the hosted pages', async () => {
    const { ticket, serial } = await shop.pay(1290);
    const client = createMerchantClient(options);
    const payment = await client.payments.get(serial);
    expect(payment).toEqual({
      serial,
      ticket: { jti: ticket.id, sha256: ticket.sha256 },
      orderSerial: ticket.claims.serial,
      amount: 1290,
      vat: ticket.claims.vat,
      currency: 'EUR',
      funding: 'wallet',
      status: 'authorised',
      createdAt: expect.any(String),
      voucher: expect.any(String),
    });
    // A serial as a bigint names the same payment; every call signs a fresh assertion, so the repeat is not a replay.
    expect(await client.payments.get(BigInt(serial))).toEqual(payment);
  });

  it('answers an unknown payment, and another merchant’s, with payment_unknown and does not retry', async () => {
    const other = await shop.addMerchant();
    await insertPayment(shop.server.db, { serial: 7_000_000_001n, merchantId: other.merchantId, createdAt: at(0) });
    const client = createMerchantClient(options);
    for (const serial of ['6999999999', '7000000001']) {
      const error = await rejection(client.payments.get(serial));
      expect(error).toMatchObject({ name: 'MerchantApiError', status: 404, code: 'payment_unknown', attempts: 1 });
      expect(error.detail).toBeTypeOf('string');
    }
  });

  it('lists one page, then every payment of the period page after page', async () => {
    const lister = await shop.addMerchant();
    const serials = [7_100_000_001n, 7_100_000_002n, 7_100_000_003n, 7_100_000_004n, 7_100_000_005n];
    for (const [index, serial] of serials.entries()) {
      await insertPayment(shop.server.db, { serial, merchantId: lister.merchantId, createdAt: at(index) });
    }
    // Outside the period: at `to` (exclusive).
    await insertPayment(shop.server.db, { serial: 7_100_000_006n, merchantId: lister.merchantId, createdAt: at(60) });
    const client = createMerchantClient({ ...options, merchantId: lister.merchantId, key: lister.key.privateJwk });
    const query = { from: new Date(FROM), to: at(60), limit: 2 };

    const first = await client.payments.list(query);
    expect(first.payments.map((p) => p.serial)).toEqual(['7100000001', '7100000002']);
    expect(first.nextAfter).toBe('7100000002');
    const second = await client.payments.list({ ...query, after: first.nextAfter as string });
    expect(second.payments.map((p) => p.serial)).toEqual(['7100000003', '7100000004']);

    const all: string[] = [];
    for await (const payment of client.payments.listAll(query)) all.push(payment.serial);
    expect(all).toEqual(serials.map(String));

    // Starting after a given payment, and stopping early without fetching the remaining pages.
    const rest: string[] = [];
    for await (const payment of client.payments.listAll({ ...query, after: '7100000003' })) {
      rest.push(payment.serial);
      break;
    }
    expect(rest).toEqual(['7100000004']);
  });

  it('gives the server’s issues for a bad query', async () => {
    const client = createMerchantClient(options);
    const error = await rejection(client.payments.list({ from: at(60), to: at(0) }));
    expect(error).toMatchObject({ status: 400, code: 'request_invalid', attempts: 1 });
    expect(error.issues).toEqual([{ path: 'to', message: 'must be after from' }]);
  });

  it('is refused with token_replayed when an assertion is sent twice, and does not retry', async () => {
    // A network path that repeats the first request's assertion, as an attacker replaying a captured one would.
    let captured: string | undefined;
    const replaying: typeof fetch = (input, init) => {
      const request = new Request(input, init);
      captured ??= request.headers.get('authorization') ?? undefined;
      request.headers.set('authorization', captured as string);
      return fetch(request);
    };
    const client = createMerchantClient({ ...options, fetch: replaying, retry: 3 });
    const { serial } = await shop.pay(500);
    await client.payments.get(serial);
    const error = await rejection(client.payments.get(serial));
    expect(error).toMatchObject({ status: 409, code: 'token_replayed', attempts: 1 });
  });

  it('tells a key the payment server does not know from a merchant it does not know', async () => {
    const stranger = generateKey();
    const unknownKey = createMerchantClient({ ...options, key: stranger.privateJwk });
    expect(await rejection(unknownKey.payments.get('1'))).toMatchObject({ status: 401, code: 'key_unknown' });
    const unknownMerchant = createMerchantClient({ ...options, merchantId: 'nobody-here', key: stranger.privateJwk });
    expect(await rejection(unknownMerchant.payments.get('1'))).toMatchObject({ status: 400, code: 'merchant_unknown' });
  });

  it('takes the server as discovered, or as { issuer, apiBase }, and refuses an API base on another origin', async () => {
    const { serial } = await shop.pay(300);
    for (const server of [await discoverPaymentServer(shop.url), { issuer: shop.url, apiBase: `${shop.url}/v1` }]) {
      expect((await createMerchantClient({ ...options, server }).payments.get(serial)).serial).toBe(serial);
    }
    expect(() => createMerchantClient({ ...options, server: { issuer: shop.url, apiBase: 'https://evil.example/v1' } })).toThrow(
      expect.objectContaining({ code: 'message_invalid' }),
    );
  });
});
