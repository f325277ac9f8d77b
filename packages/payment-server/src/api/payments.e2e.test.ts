import { decodeJws } from '@caisse/server-kit';
import { describe, expect, it } from 'vitest';
import { type ApiCaller, type ApiTestServer, apiServerPerSuite, insertPayment, serverDrivers } from './__fixtures__/api-server.js';
import type { ApiPayment, PaymentPage } from './payments.js';

const drivers = await serverDrivers('api payments');

interface Problem {
  status: number;
  code: string;
  issues?: { path: string; message: string }[];
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
    // Listed, in this order: from is inclusive, ties on time go by serial, to is exclusive.
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
    await insertPayment(db, { serial: 8_000_000_020n, merchantId: other.merchantId, createdAt: at(HOUR) });
  });

  describe('GET /v1/payments/:serial', () => {
    it('returns a payment made through the hosted pages, with the voucher the server signed', async () => {
      const { ticket, serial } = await shop.pay(1290);
      const response = await shop.call(`/v1/payments/${serial}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const payment = (await response.json()) as ApiPayment;
      expect(payment).toEqual({
        serial,
        ticket: { jti: ticket.id, sha256: ticket.sha256 },
        orderSerial: ticket.claims.serial,
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
      expect(voucher).toMatchObject({ jti: serial, aud: shop.merchantId, ticket: { jti: ticket.id, sha256: ticket.sha256 }, amount: 1290 });
    });

    it("answers payment_unknown for another merchant's payment exactly as for one that does not exist", async () => {
      const theirs = await shop.call('/v1/payments/8000000020');
      const nobodys = await shop.call('/v1/payments/8999999999');
      expect(theirs.status).toBe(404);
      expect(await theirs.text()).toBe(await nobodys.text());
      expect(await problem(await shop.call('/v1/payments/8000000020'))).toMatchObject({ status: 404, code: 'payment_unknown' });
      expect((await shop.call('/v1/payments/8000000020', { as: other })).status).toBe(200);
    });

    it('shows an authentication without funding as null', async () => {
      const payment = (await (await shop.call('/v1/payments/8000000014', { as: lister })).json()) as ApiPayment;
      expect(payment).toMatchObject({
        serial: '8000000014',
        amount: 0,
        funding: null,
        status: 'authenticated',
        createdAt: at(3 * HOUR).toISOString(),
      });
    });

    it('refuses a serial that is not one', async () => {
      for (const serial of ['0', '-1', 'abc', '1e3', '0042', '9223372036854775808', '99999999999999999999']) {
        expect(await problem(await shop.call(`/v1/payments/${serial}`))).toMatchObject({
          status: 400,
          code: 'request_invalid',
          issues: [{ path: 'serial', message: expect.any(String) }],
        });
      }
      expect(await problem(await shop.call('/v1/payments/9223372036854775807'))).toMatchObject({ code: 'payment_unknown' });
    });
  });

  describe('GET /v1/payments', () => {
    const list = async (query: string, caller?: ApiCaller) => {
      const response = await shop.call(`/v1/payments?${query}`, caller ? { as: caller } : {});
      expect(response.status).toBe(200);
      return (await response.json()) as PaymentPage;
    };
    const serials = (page: PaymentPage) => page.payments.map((payment) => payment.serial);

    it("lists the merchant's payments of [from, to), oldest first, ties by serial", async () => {
      const page = await list(`from=${FROM}&to=${TO}`, lister);
      expect(serials(page)).toEqual(['8000000010', '8000000011', '8000000012', '8000000013', '8000000014', '8000000015']);
      expect(page.nextAfter).toBeNull();
      expect(page.payments[0]).toEqual({
        serial: '8000000010',
        ticket: { jti: 'ticket-8000000010', sha256: 'A'.repeat(43) },
        orderSerial: 'order-8000000010',
        amount: 1000,
        vat: 100,
        currency: 'EUR',
        funding: 'wallet',
        status: 'authorised',
        createdAt: FROM,
        voucher: 'voucher.8000000010.signature',
      });
      expect(serials(await list(`from=${FROM}&to=${TO}`, other))).toEqual(['8000000020']);
    });

    it('pages by keyset: nextAfter leads to the next page, and is null on the last', async () => {
      const pages: string[][] = [];
      let query = `from=${FROM}&to=${TO}&limit=2`;
      for (;;) {
        const page = await list(query, lister);
        pages.push(serials(page));
        if (page.nextAfter === null) break;
        query = `from=${FROM}&to=${TO}&limit=2&after=${page.nextAfter}`;
      }
      expect(pages).toEqual([
        ['8000000010', '8000000011'],
        ['8000000012', '8000000013'],
        ['8000000014', '8000000015'],
      ]);
      const four = await list(`from=${FROM}&to=${TO}&limit=4`, lister);
      expect(four.nextAfter).toBe('8000000013');
      expect(serials(await list(`from=${FROM}&to=${TO}&limit=4&after=8000000013`, lister))).toEqual(['8000000014', '8000000015']);
    });

    it('reads times with an offset (a + written %2B) and any precision', async () => {
      const page = await list('from=2026-03-01T01:00:00%2B01:00&to=2026-03-01T02:00:00.000001Z', lister);
      expect(serials(page)).toEqual(['8000000010', '8000000011']);
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
        [`from=${FROM}&to=${TO}&after=0`, 'after'],
        [`from=${FROM}&to=${TO}&start=${FROM}`, 'start'],
        [`from=${FROM}&from=${FROM}&to=${TO}`, 'from'],
      ];
      for (const [query, path] of cases) {
        const body = await problem(await shop.call(`/v1/payments?${query}`, { as: lister }));
        expect(body, query).toMatchObject({ status: 400, code: 'request_invalid' });
        expect(body.issues?.[0]?.path, query).toBe(path);
      }
    });

    it("refuses as a cursor a serial that is not one of the merchant's payments", async () => {
      for (const after of ['8000000020', '8999999999']) {
        expect(await problem(await shop.call(`/v1/payments?from=${FROM}&to=${TO}&after=${after}`, { as: lister }))).toMatchObject({
          status: 400,
          code: 'request_invalid',
          issues: [{ path: 'after' }],
        });
      }
    });
  });
});
