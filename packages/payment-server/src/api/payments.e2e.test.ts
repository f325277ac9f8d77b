import { paymentSerial } from '@caisse/protocol';
import { decodeJws } from '@caisse/server-kit';
import { describe, expect, it } from 'vitest';
import { type ApiCaller, type ApiTestServer, apiServerPerSuite, insertPayment, serverDrivers } from './__fixtures__/api-server.js';
import type { ApiPayment, PaymentPage } from './payments.js';

const drivers = await serverDrivers('api payments');

interface Problem {
  status: number;
  code: string;
  issues?: { path: string; message: string }[];
  /** The ids of the payments a `payment_ambiguous` order serial names. */
  payments?: string[];
}

async function problem(response: Response): Promise<Problem> {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return { status: response.status, ...((await response.json()) as Omit<Problem, 'status'>) };
}

const FROM = '2026-03-01T00:00:00.000Z';
const TO = '2026-03-02T00:00:00.000Z';
const at = (offset: number) => new Date(Date.parse(FROM) + offset);
const HOUR = 3_600_000;

describe.each(drivers)('merchant API payments over real HTTP on $name', (driver) => {
  let shop: ApiTestServer;
  let lister: ApiCaller;
  let other: ApiCaller;

  apiServerPerSuite(driver.url, async (started) => {
    shop = started;
    lister = await shop.addMerchant();
    other = await shop.addMerchant();
    const db = shop.server.db;
    // Listed, in this order: from is inclusive, ties on time go by id, to is exclusive.
    await insertPayment(db, { serial: 8_000_000_010n, merchantId: lister.merchantId, createdAt: at(0) });
    await insertPayment(db, { serial: 8_000_000_011n, merchantId: lister.merchantId, createdAt: at(HOUR) });
    await insertPayment(db, { serial: 8_000_000_013n, merchantId: lister.merchantId, createdAt: at(2 * HOUR) });
    await insertPayment(db, { serial: 8_000_000_012n, merchantId: lister.merchantId, createdAt: at(2 * HOUR) });
    await insertPayment(db, {
      serial: 8_000_000_014n,
      merchantId: lister.merchantId,
      createdAt: at(3 * HOUR),
      amount: 0n,
      funding: null,
      status: 'authenticated',
    });
    await insertPayment(db, { serial: 8_000_000_015n, merchantId: lister.merchantId, createdAt: at(24 * HOUR - 1) });
    // Not listed: at `to`, before `from`, another merchant's.
    await insertPayment(db, { serial: 8_000_000_016n, merchantId: lister.merchantId, createdAt: at(24 * HOUR) });
    await insertPayment(db, { serial: 8_000_000_009n, merchantId: lister.merchantId, createdAt: at(-1) });
    await insertPayment(db, { serial: 8_000_000_020n, merchantId: other.merchantId, createdAt: at(HOUR), orderSerial: 'theirs-20' });
  });

  describe('GET /v1/payments/:id', () => {
    it('returns a payment made through the hosted pages, with the voucher the server signed', async () => {
      const { ticket, id } = await shop.pay(1290);
      expect(id).toMatch(/^pay_[1-9][0-9]*$/);
      const response = await shop.call(`/v1/payments/${id}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const payment = (await response.json()) as ApiPayment;
      expect(payment).toEqual({
        id,
        ticket: { jti: ticket.id, sha256: ticket.sha256 },
        serial: ticket.claims.serial,
        amount: 1290,
        vat: ticket.claims.vat,
        currency: 'EUR',
        funding: 'wallet',
        status: 'authorised',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        voucher: expect.any(String),
      });
      expect(Math.abs(Date.parse(payment.createdAt) - Date.now())).toBeLessThan(60_000);
      const voucher = JSON.parse(Buffer.from(decodeJws(payment.voucher, ['caisse-voucher+jwt']).encodedPayload, 'base64url').toString());
      expect(voucher).toMatchObject({ jti: id, aud: shop.merchantId, ticket: { jti: ticket.id, sha256: ticket.sha256 }, amount: 1290 });
    });

    it("answers payment_unknown for another merchant's payment exactly as for one that does not exist", async () => {
      // One request id for both, so the bodies (which name it) can be compared byte for byte.
      const headers = { 'x-request-id': 'same-request' };
      const theirs = await shop.call('/v1/payments/pay_8000000020', { headers });
      const nobodys = await shop.call('/v1/payments/pay_8999999999', { headers });
      expect(theirs.status).toBe(404);
      expect(await theirs.text()).toBe(await nobodys.text());
      expect(await problem(await shop.call('/v1/payments/pay_8000000020'))).toMatchObject({ status: 404, code: 'payment_unknown' });
      expect((await shop.call('/v1/payments/pay_8000000020', { as: other })).status).toBe(200);
    });

    it('shows an authentication without funding as null', async () => {
      const payment = (await (await shop.call('/v1/payments/pay_8000000014', { as: lister })).json()) as ApiPayment;
      expect(payment).toMatchObject({
        id: 'pay_8000000014',
        serial: 'order-8000000014',
        amount: 0,
        funding: null,
        status: 'authenticated',
        createdAt: at(3 * HOUR).toISOString(),
      });
    });

    it('refuses an id that is not one', async () => {
      for (const id of [
        'pay_0',
        'pay_-1',
        'pay_abc',
        'pay_1e3',
        'pay_0042',
        'pay_',
        'PAY_42',
        'pay_42x',
        'payment_42',
        'abc',
        'pay_9223372036854775808',
        'pay_99999999999999999999',
      ]) {
        expect(await problem(await shop.call(`/v1/payments/${id}`)), id).toMatchObject({
          status: 400,
          code: 'request_invalid',
          issues: [{ path: 'id', message: expect.any(String) }],
        });
      }
      expect(await problem(await shop.call('/v1/payments/pay_9223372036854775807'))).toMatchObject({ code: 'payment_unknown' });
    });

    it('refuses a bare number, which may be an order serial, and points to by-serial', async () => {
      // The merchant's order 5 is paid: GET /v1/payments/5 must not answer with whichever payment has the register serial 5.
      const { id } = await shop.pay(500, { serial: '5' });
      for (const bare of ['5', paymentSerial(id)?.toString() as string, '9223372036854775807']) {
        const refused = await problem(await shop.call(`/v1/payments/${bare}`));
        expect(refused, bare).toMatchObject({ status: 400, code: 'request_invalid', issues: [{ path: 'id' }] });
        expect(refused.issues?.[0]?.message, bare).toContain('/v1/payments/by-serial/');
      }
    });
  });

  describe('GET /v1/payments/by-serial/:serial', () => {
    it("finds the merchant's one payment of an order serial, as GET /v1/payments/:id shows it", async () => {
      const { ticket, id } = await shop.pay(750, { serial: '42' });
      const response = await shop.call('/v1/payments/by-serial/42');
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const payment = (await response.json()) as ApiPayment;
      expect(payment).toMatchObject({ id, serial: '42', ticket: { jti: ticket.id, sha256: ticket.sha256 }, amount: 750 });
      expect(payment).toEqual(await (await shop.call(`/v1/payments/${id}`)).json());
      // Another order whose serial is this payment's register serial: each name finds its own payment.
      const register = paymentSerial(id)?.toString() as string;
      expect(register).not.toBe('42');
      await insertPayment(shop.server.db, { serial: 8_000_000_040n, merchantId: shop.merchantId, createdAt: at(0), orderSerial: register });
      expect(await (await shop.call(`/v1/payments/by-serial/${register}`)).json()).toMatchObject({
        id: 'pay_8000000040',
        serial: register,
      });
      expect(await (await shop.call('/v1/payments/by-serial/42')).json()).toMatchObject({ id, serial: '42' });
      // The order serial is a path segment, escaped: any printable ASCII, even one naming another endpoint.
      const odd = await shop.addMerchant();
      for (const [serial, orderSerial] of [
        [8_000_000_030n, 'refunds'],
        [8_000_000_031n, 'a/b?c#d%e'],
      ] as const) {
        await insertPayment(shop.server.db, { serial, merchantId: odd.merchantId, createdAt: at(0), orderSerial });
        const found = await shop.call(`/v1/payments/by-serial/${encodeURIComponent(orderSerial)}`, { as: odd });
        expect(found.status, orderSerial).toBe(200);
        expect(((await found.json()) as ApiPayment).serial).toBe(orderSerial);
      }
    });

    it('answers payment_ambiguous (409) with both ids when two paid tickets have the same order serial', async () => {
      const first = await shop.pay(300, { serial: 'order-twice' });
      const second = await shop.pay(400, { serial: 'order-twice' });
      expect(first.ticket.id).not.toBe(second.ticket.id);
      const refused = await problem(await shop.call('/v1/payments/by-serial/order-twice'));
      expect(refused).toMatchObject({ status: 409, code: 'payment_ambiguous', payments: [first.id, second.id] });
      // Each stays reachable by its own id.
      for (const { id } of [first, second]) {
        expect(((await (await shop.call(`/v1/payments/${id}`)).json()) as ApiPayment).serial).toBe('order-twice');
      }
    });

    it("answers payment_unknown for another merchant's order serial exactly as for one nobody has", async () => {
      const theirs = await shop.call('/v1/payments/by-serial/theirs-20');
      const nobodys = await shop.call('/v1/payments/by-serial/nobody-has-this');
      expect(await problem(theirs.clone())).toMatchObject({ status: 404, code: 'payment_unknown' });
      expect(await problem(nobodys.clone())).toMatchObject({ status: 404, code: 'payment_unknown' });
      expect((await theirs.json()).payments).toBeUndefined();
      const mine = await shop.call('/v1/payments/by-serial/theirs-20', { as: other });
      expect(mine.status).toBe(200);
      expect(await mine.json()).toMatchObject({ id: 'pay_8000000020', serial: 'theirs-20' });
    });
  });

  describe('GET /v1/payments', () => {
    const list = async (query: string, caller?: ApiCaller) => {
      const response = await shop.call(`/v1/payments?${query}`, caller ? { as: caller } : {});
      expect(response.status).toBe(200);
      return (await response.json()) as PaymentPage;
    };
    const ids = (page: PaymentPage) => page.payments.map((payment) => payment.id);

    it("lists the merchant's payments of [from, to), oldest first, ties by id", async () => {
      const page = await list(`from=${FROM}&to=${TO}`, lister);
      expect(ids(page)).toEqual([
        'pay_8000000010',
        'pay_8000000011',
        'pay_8000000012',
        'pay_8000000013',
        'pay_8000000014',
        'pay_8000000015',
      ]);
      expect(page.nextAfter).toBeNull();
      expect(page.payments[0]).toEqual({
        id: 'pay_8000000010',
        ticket: { jti: 'ticket-8000000010', sha256: 'A'.repeat(43) },
        serial: 'order-8000000010',
        amount: 1000,
        vat: 100,
        currency: 'EUR',
        funding: 'wallet',
        status: 'authorised',
        createdAt: FROM,
        voucher: 'voucher.8000000010.signature',
      });
      expect(ids(await list(`from=${FROM}&to=${TO}`, other))).toEqual(['pay_8000000020']);
    });

    it('pages by keyset: nextAfter, a payment id, leads to the next page, and is null on the last', async () => {
      const pages: string[][] = [];
      const cursors: (string | null)[] = [];
      let query = `from=${FROM}&to=${TO}&limit=2`;
      for (;;) {
        const page = await list(query, lister);
        pages.push(ids(page));
        cursors.push(page.nextAfter);
        if (page.nextAfter === null) break;
        query = `from=${FROM}&to=${TO}&limit=2&after=${page.nextAfter}`;
      }
      expect(pages).toEqual([
        ['pay_8000000010', 'pay_8000000011'],
        ['pay_8000000012', 'pay_8000000013'],
        ['pay_8000000014', 'pay_8000000015'],
      ]);
      expect(cursors).toEqual(['pay_8000000011', 'pay_8000000013', null]);
      const four = await list(`from=${FROM}&to=${TO}&limit=4`, lister);
      expect(four.nextAfter).toBe('pay_8000000013');
      expect(ids(await list(`from=${FROM}&to=${TO}&limit=4&after=pay_8000000013`, lister))).toEqual(['pay_8000000014', 'pay_8000000015']);
    });

    it('reads times with an offset (a + written %2B) and any precision', async () => {
      const page = await list('from=2026-03-01T01:00:00%2B01:00&to=2026-03-01T02:00:00.000001Z', lister);
      expect(ids(page)).toEqual(['pay_8000000010', 'pay_8000000011']);
    });

    it('takes a period of up to 366 days', async () => {
      expect((await list('from=2026-01-01T00:00:00Z&to=2027-01-02T00:00:00Z', lister)).payments).toHaveLength(8);
    });

    it('refuses a query it cannot read, naming the parameter', async () => {
      const cases: [string, string][] = [
        ['', 'from'],
        [`to=${TO}`, 'from'],
        [`from=${FROM}`, 'to'],
        [`from=2026-03-01&to=${TO}`, 'from'],
        [`from=2026-03-01T00:00:00&to=${TO}`, 'from'],
        [`from=${TO}&to=${FROM}`, 'to'],
        [`from=${FROM}&to=${FROM}`, 'to'],
        ['from=2026-01-01T00:00:00Z&to=2027-01-02T00:00:00.001Z', 'to'],
        [`from=${FROM}&to=${TO}&limit=0`, 'limit'],
        [`from=${FROM}&to=${TO}&limit=501`, 'limit'],
        [`from=${FROM}&to=${TO}&limit=abc`, 'limit'],
        [`from=${FROM}&to=${TO}&limit=1.5`, 'limit'],
        [`from=${FROM}&to=${TO}&after=abc`, 'after'],
        [`from=${FROM}&to=${TO}&after=pay_0`, 'after'],
        // A bare register serial, the cursor's old form: it could be an order serial.
        [`from=${FROM}&to=${TO}&after=8000000011`, 'after'],
        [`from=${FROM}&to=${TO}&start=${FROM}`, 'start'],
        [`from=${FROM}&from=${FROM}&to=${TO}`, 'from'],
      ];
      for (const [query, path] of cases) {
        const body = await problem(await shop.call(`/v1/payments?${query}`, { as: lister }));
        expect(body, query).toMatchObject({ status: 400, code: 'request_invalid' });
        expect(body.issues?.[0]?.path, query).toBe(path);
      }
    });

    it("refuses as a cursor an id that is not one of the merchant's payments", async () => {
      for (const after of ['pay_8000000020', 'pay_8999999999']) {
        expect(await problem(await shop.call(`/v1/payments?from=${FROM}&to=${TO}&after=${after}`, { as: lister }))).toMatchObject({
          status: 400,
          code: 'request_invalid',
          issues: [{ path: 'after' }],
        });
      }
    });
  });
});
