import { paymentSerial } from '@caisse/protocol';
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
    const { ticket, id } = await shop.pay(1290);
    const client = createMerchantClient(options);
    const payment = await client.payments.get({ id });
    expect(payment).toEqual({
      id,
      ticket: { jti: ticket.id, sha256: ticket.sha256 },
      serial: ticket.claims.serial,
      amount: 1290,
      vat: ticket.claims.vat,
      currency: 'EUR',
      funding: 'wallet',
      status: 'authorised',
      createdAt: expect.any(String),
      voucher: expect.any(String),
    });
    // Its order serial names the same payment; every call signs a fresh assertion, so the repeat is not a replay.
    expect(await client.payments.get({ serial: ticket.claims.serial })).toEqual(payment);
    expect(await client.payments.get({ id })).toEqual(payment);
  });

  it('answers an unknown payment, and another merchant’s, with payment_unknown and does not retry', async () => {
    const other = await shop.addMerchant();
    await insertPayment(shop.server.db, { serial: 7_000_000_001n, merchantId: other.merchantId, createdAt: at(0) });
    const client = createMerchantClient(options);
    await insertPayment(shop.server.db, {
      serial: 7_000_000_002n,
      merchantId: other.merchantId,
      createdAt: at(0),
      orderSerial: 'theirs-2',
    });
    for (const lookup of [{ id: 'pay_6999999999' }, { id: 'pay_7000000001' }, { serial: 'theirs-2' }, { serial: 'nobody-has-it' }]) {
      const error = await rejection(client.payments.get(lookup));
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
    expect(first.payments.map((p) => p.id)).toEqual(['pay_7100000001', 'pay_7100000002']);
    expect(first.payments.map((p) => p.serial)).toEqual(['order-7100000001', 'order-7100000002']);
    expect(first.nextAfter).toBe('pay_7100000002');
    const second = await client.payments.list({ ...query, after: first.nextAfter as string });
    expect(second.payments.map((p) => p.id)).toEqual(['pay_7100000003', 'pay_7100000004']);

    const all: string[] = [];
    for await (const payment of client.payments.listAll(query)) all.push(payment.id);
    expect(all).toEqual(serials.map((serial) => `pay_${serial}`));

    // Starting after a given payment, and stopping early without fetching the remaining pages.
    const rest: string[] = [];
    for await (const payment of client.payments.listAll({ ...query, after: 'pay_7100000003' })) {
      rest.push(payment.id);
      break;
    }
    expect(rest).toEqual(['pay_7100000004']);
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
    const { id } = await shop.pay(500);
    await client.payments.get({ id });
    const error = await rejection(client.payments.get({ id }));
    expect(error).toMatchObject({ status: 409, code: 'token_replayed', attempts: 1 });
  });

  it('tells a key the payment server does not know from a merchant it does not know', async () => {
    const stranger = generateKey();
    const unknownKey = createMerchantClient({ ...options, key: stranger.privateJwk });
    expect(await rejection(unknownKey.payments.get({ id: 'pay_1' }))).toMatchObject({ status: 401, code: 'key_unknown' });
    const unknownMerchant = createMerchantClient({ ...options, merchantId: 'nobody-here', key: stranger.privateJwk });
    expect(await rejection(unknownMerchant.payments.get({ id: 'pay_1' }))).toMatchObject({ status: 400, code: 'merchant_unknown' });
  });

  it('takes the server as discovered, or as { issuer, apiBase }, and refuses an API base on another origin', async () => {
    const { id } = await shop.pay(300);
    for (const server of [await discoverPaymentServer(shop.url), { issuer: shop.url, apiBase: `${shop.url}/v1` }]) {
      expect((await createMerchantClient({ ...options, server }).payments.get({ id })).id).toBe(id);
    }
    expect(() => createMerchantClient({ ...options, server: { issuer: shop.url, apiBase: 'https://evil.example/v1' } })).toThrow(
      expect.objectContaining({ code: 'message_invalid' }),
    );
  });

  describe('naming a payment by its id or by your order serial (issue 16)', () => {
    /** The refunds of a payment, read from the server's own table rather than through the client under test. */
    async function refundedAmounts(id: string): Promise<number[]> {
      const { rows } = await shop.server.db.query<{ amount: bigint }>(
        'SELECT amount FROM refunds WHERE payment_serial = $1 ORDER BY created_at, id',
        [paymentSerial(id)],
      );
      return rows.map((row) => Number(row.amount));
    }

    it('refunds order 6 by its serial, and no other payment: not order 5, not the payments the register numbers 5 and 6', async () => {
      const db = shop.server.db;
      // Register serials 5 and 6 are other orders of this shop, as a shop's first payments are; the two orders below come later.
      await db.query(`SELECT setval('ledger_register_serial', greatest(1000, (SELECT last_value FROM ledger_register_serial)))`);
      for (const serial of [5n, 6n]) {
        const { rows } = await db.query('SELECT 1 FROM payments WHERE serial = $1', [serial]);
        if (rows.length === 0) {
          await insertPayment(db, { serial, merchantId: shop.self.merchantId, createdAt: at(0), orderSerial: `earlier-${serial}` });
        }
      }
      const five = await shop.pay(1_000, { serial: '5' });
      const six = await shop.pay(1_200, { serial: '6' });
      // The payment ids differ from the order numbers, and pay_5 and pay_6 are other orders.
      expect([five.id, six.id]).not.toContain('pay_5');
      expect([five.id, six.id]).not.toContain('pay_6');
      const client = createMerchantClient(options);
      for (const [id, order] of [
        ['pay_5', '5'],
        ['pay_6', '6'],
      ] as const) {
        expect((await client.payments.get({ id })).serial).not.toBe(order);
      }
      expect(await client.payments.get({ serial: '5' })).toMatchObject({ id: five.id, serial: '5', amount: 1_000 });
      expect(await client.payments.get({ serial: '6' })).toMatchObject({ id: six.id, serial: '6', amount: 1_200 });

      const refund = await client.refunds.create({ serial: '6' }, { amount: 200, reason: 'one book short' });
      expect(refund).toMatchObject({ payment: six.id, amount: 200, status: 'succeeded' });
      expect(await client.refunds.list({ serial: '6' })).toEqual([refund]);
      expect(await client.refunds.list({ id: six.id })).toEqual([refund]);
      expect(await client.refunds.list({ serial: '5' })).toEqual([]);
      // Order 6's payment was refunded; order 5's, and the payments the register numbers 5 and 6, were not.
      expect(await refundedAmounts(six.id)).toEqual([200]);
      for (const id of [five.id, 'pay_5', 'pay_6']) expect(await refundedAmounts(id), id).toEqual([]);
    });

    it('refuses a bare number, or an id that is one, with a TypeError, sending no request', async () => {
      let sent = 0;
      const counting: typeof fetch = (input, init) => {
        sent++;
        return fetch(input, init);
      };
      const client = createMerchantClient({ ...options, fetch: counting });
      await expect(client.payments.get('5' as never)).rejects.toThrow(TypeError);
      await expect(client.payments.get(5 as never)).rejects.toThrow(TypeError);
      await expect(client.payments.get({ id: '5' })).rejects.toThrow(TypeError);
      await expect(client.refunds.create('6' as never, { amount: 1 })).rejects.toThrow(TypeError);
      await expect(client.refunds.create({ id: '6' }, { amount: 1 })).rejects.toThrow(TypeError);
      await expect(client.deliveries.create(6n as never)).rejects.toThrow(TypeError);
      await expect(client.payments.cancel({ id: '6' })).rejects.toThrow(TypeError);
      await expect(client.refunds.list('6' as never)).rejects.toThrow(TypeError);
      expect(sent).toBe(0);
    });

    it('refuses to refund by an order serial two payments share (payment_ambiguous), refunding nothing', async () => {
      const order = `order-twice-${Math.random().toString(36).slice(2, 8)}`;
      const first = await shop.pay(800, { serial: order });
      const second = await shop.pay(900, { serial: order });
      const client = createMerchantClient(options);
      const error = await rejection(client.refunds.create({ serial: order }, { amount: 100 }));
      expect(error).toMatchObject({ name: 'MerchantApiError', status: 409, code: 'payment_ambiguous', attempts: 1 });
      expect(error.detail).toContain(first.id);
      expect(error.detail).toContain(second.id);
      expect(await rejection(client.payments.get({ serial: order }))).toMatchObject({ status: 409, code: 'payment_ambiguous' });
      expect(await refundedAmounts(first.id)).toEqual([]);
      expect(await refundedAmounts(second.id)).toEqual([]);
      // Each is still refunded by its id.
      expect(await client.refunds.create({ id: second.id }, { amount: 100 })).toMatchObject({ payment: second.id, amount: 100 });
      expect(await refundedAmounts(first.id)).toEqual([]);
      expect(await refundedAmounts(second.id)).toEqual([100]);
    });
  });
});
