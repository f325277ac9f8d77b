/** Test support: a real payment server over HTTP with the merchant API, and merchants that can call it. Not exported from the package. */

import { decodeJws, type GeneratedKey, generateKey } from '@caisse/server-kit';
import { freshDatabase, requirePostgres } from '@caisse/testing';
import { afterAll, beforeAll } from 'vitest';
import { ScriptedBrowser } from '../../__fixtures__/browser.js';
import { startTestServer } from '../../__fixtures__/payment-server.js';
import type { Queryable } from '../../storage/database.js';
import { apiRoutes } from '../routes.js';
import { authorization, signAssertion } from './assertions.js';

/** A storage driver to run a suite on: `url()` makes it a database of its own (none for PGlite, in memory). */
export interface ServerDriver {
  name: string;
  url: () => Promise<{ url?: string; drop: () => Promise<void> }>;
}

/** PGlite always; PostgreSQL when reachable (a missing one fails under CI=true). Each `url()` makes a fresh database. */
export async function serverDrivers(suite: string): Promise<ServerDriver[]> {
  const drivers: ServerDriver[] = [{ name: 'pglite', url: async () => ({ drop: async () => {} }) }];
  if (await requirePostgres(suite)) {
    drivers.push({ name: 'postgres', url: () => freshDatabase(suite.replace(/\W+/g, '_').toLowerCase()) });
  }
  return drivers;
}

export interface ApiCaller {
  merchantId: string;
  key: GeneratedKey;
}

export interface CallOptions {
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  /** Who signs; default the test server's own merchant. */
  as?: ApiCaller;
  /** Passed to the assertion (`claims`, `iat`, `exp`, `jti`, `url` …). */
  assertion?: Partial<Parameters<typeof signAssertion>[0]>;
}

let merchants = 0;

/**
 * `startTestServer` with the merchant API mounted (until `server.ts` mounts it itself:
 * then it is used as it is) and a second key registered for the test server's merchant,
 * whose private half the tests hold to sign assertions.
 */
export async function startApiTestServer(options: Parameters<typeof startTestServer>[0] = {}) {
  const shop = await startTestServer(options);
  const { server } = shop;
  if (!server.app.routes.some((route) => route.path === '/v1/payments/:id')) {
    apiRoutes({ issuer: server.issuer, db: server.db, merchants: server.merchants, log: server.log })(server.app);
  }
  const key = generateKey();
  await server.merchants.addKey(shop.merchantId, key.publicJwk);
  const self: ApiCaller = { merchantId: shop.merchantId, key };

  /** Registers another merchant, with its own key. */
  async function addMerchant(): Promise<ApiCaller> {
    const other = { merchantId: `api-${++merchants}-${Math.random().toString(36).slice(2, 6)}`, key: generateKey() };
    await server.merchants.register({
      id: other.merchantId,
      displayName: 'Another shop',
      jwks: other.key.jwks,
      returnOrigins: ['https://other.example'],
    });
    return other;
  }

  /** Calls the API at `path` with a fresh assertion bound to this request (unless `assertion` says otherwise). */
  function call(path: string, init: CallOptions = {}): Promise<Response> {
    const caller = init.as ?? self;
    const method = init.method ?? 'GET';
    const token = signAssertion({
      key: caller.key.signingKey,
      merchantId: caller.merchantId,
      audience: server.issuer,
      url: `${server.issuer}${path}`,
      method,
      ...(init.body === undefined ? {} : { body: init.body }),
      ...init.assertion,
    });
    return fetch(`${shop.url}${path}`, {
      method,
      headers: { authorization: authorization(token), ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
  }

  /**
   * A wallet payment made the way a customer makes it: the kit signs a ticket (with the
   * order serial `serial`, or a random one), a scripted browser walks the hosted pages.
   * Returns the ticket and the payment id (`pay_…`, the voucher's `jti`).
   */
  let customers = 0;
  async function pay(amount: number, options: { serial?: string } = {}) {
    const accountId = `cust-${++customers}`;
    await server.customers.add({
      accountId,
      phone: `+336${String(10_000_000 + customers).padStart(8, '0')}`,
      accessKey: 'correct horse battery',
      limits: { EUR: { walletCap: 50_000n } },
    });
    const customer = await server.customers.identify(accountId, 'correct horse battery');
    await server.customers.walletCredit(customer.id, 'EUR', 20_000n, { idempotencyKey: `top-up-${accountId}` });
    const ticket = shop.ticket(amount, options.serial === undefined ? {} : { serial: options.serial });
    return { ticket, id: await payAs(shop.url, ticket.token, accountId, 'correct horse battery') };
  }

  return { ...shop, self, addMerchant, call, pay };
}

/**
 * Pays a ticket as the customer does: the hosted pages walked by a scripted browser,
 * identified by access key. Returns the payment id (`pay_1042`), read from the voucher's
 * `jti` the browser carries back to the shop.
 * @example const id = await payAs(shop.url, ticket.token, 'cust-1', 'correct horse battery')
 */
export async function payAs(serverUrl: string, ticket: string, accountId: string, accessKey: string): Promise<string> {
  const browser = new ScriptedBrowser(serverUrl);
  const summary = await browser.go('/pay', { form: { ticket } });
  if (!summary.html?.includes('/identify')) {
    throw new Error(`no checkout page (${summary.page?.status}): ${summary.html?.replace(/\s+/g, ' ').slice(0, 600)}`);
  }
  const paid = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
    form: { csrf: ScriptedBrowser.csrf(summary.html), account: accountId, accessKey },
  });
  const voucher = paid.leftTo?.searchParams.get('caisse_voucher');
  if (!voucher) throw new Error(`the payment did not return a voucher (${paid.leftTo?.toString() ?? paid.page?.status})`);
  const { jti } = JSON.parse(Buffer.from(decodeJws(voucher, ['caisse-voucher+jwt']).encodedPayload, 'base64url').toString()) as {
    jti: string;
  };
  return jti;
}

export type ApiTestServer = Awaited<ReturnType<typeof startApiTestServer>>;

/**
 * One API test server for the enclosing `describe`, on the driver's database: `ready`
 * receives it (and seeds it) before the tests, and after them it is closed and its
 * database dropped.
 * @example apiServerPerSuite(driver.url, async (started) => { shop = started; other = await shop.addMerchant(); });
 */
export function apiServerPerSuite(database: ServerDriver['url'], ready: (shop: ApiTestServer) => Promise<void> | void): void {
  let shop: ApiTestServer | undefined;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const made = await database();
    drop = made.drop;
    shop = await startApiTestServer(made.url ? { databaseUrl: made.url } : {});
    await ready(shop);
  });
  afterAll(async () => {
    await shop?.close();
    await drop?.();
  });
}

export interface PaymentRowInput {
  /** The register serial: the payment id is `pay_` and it. */
  serial: bigint;
  merchantId: string;
  /** The merchant's order serial; `order-<serial>` by default. */
  orderSerial?: string;
  createdAt: Date;
  amount?: bigint;
  funding?: 'wallet' | 'bank' | 'allowance' | null;
  status?: 'authorised' | 'authenticated' | 'held';
}

/** Writes a payment row directly, for listing tests that need many payments at chosen times. */
export async function insertPayment(db: Queryable, row: PaymentRowInput): Promise<void> {
  await db.query(
    `INSERT INTO payments (serial, merchant_id, ticket_jti, ticket_sha256, order_serial, customer_id, amount, vat, currency, funding, status, voucher, created_at)
     VALUES ($1, $2, $3, $4, $5, 'customer-x', $6, $7, 'EUR', $8, $9, $10, $11)`,
    [
      row.serial,
      row.merchantId,
      `ticket-${row.serial}`,
      'A'.repeat(43),
      row.orderSerial ?? `order-${row.serial}`,
      row.amount ?? 1000n,
      (row.amount ?? 1000n) / 10n,
      row.funding === undefined ? 'wallet' : row.funding,
      row.status ?? 'authorised',
      `voucher.${row.serial}.signature`,
      row.createdAt,
    ],
  );
}
