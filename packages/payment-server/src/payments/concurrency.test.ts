import type { AddressInfo } from 'node:net';
import { createMerchant, createState, generateKey, memoryReplayStore, staticKeySet } from '@caisse/server-kit';
import { freshDatabase, requirePostgres } from '@caisse/testing';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { SHOP_ORIGIN } from '../__fixtures__/payment-server.js';
import { configSchema } from '../config.js';
import { createLogger } from '../log.js';
import { generateSecret } from '../secrets.js';
import { createPaymentServer, type PaymentServer } from '../server.js';

const hasPostgres = await requirePostgres('payment-server: two instances on one database');

const TICKETS = 100;
const PRICE = 1_000; // 10.00 EUR: below the default wallet threshold (50.00), so paid from the wallet.
const FUNDED = 50_000n; // 500.00 EUR: exactly 50 tickets.
const ACCESS_KEY = 'correct horse battery';

/**
 * Two payment server instances on one PostgreSQL database, the way an operator runs them
 * behind a load balancer: one public issuer (instance A's address), the same
 * CAISSE_SECRET, each instance listening on its own port. A browser always talks to "the
 * issuer"; here the load balancer is played by the test, which sends each request to one
 * port or the other and gives POSTs the `Origin` a browser on the issuer's pages would
 * send. Each ticket opens its checkout on one instance and is identified (and so
 * authorised) on the other, so the 100 payments race on one wallet from both instances
 * and every step depends on state in the database only.
 */
describe.runIf(hasPostgres)('100 parallel tickets against one wallet, through two server instances', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  const listeners: ReturnType<typeof serve>[] = [];
  const instances: PaymentServer[] = [];
  const urls: string[] = [];
  let issuer: string;

  beforeAll(async () => {
    database = await freshDatabase('payments_two_instances');
    for (let n = 0; n < 2; n++) {
      const http = serve({ fetch: (request) => (instances[n] as PaymentServer).app.fetch(request), port: 0, hostname: '127.0.0.1' });
      await new Promise<void>((resolve) => http.once('listening', () => resolve()));
      listeners.push(http);
      // An address, not `localhost`: resolving a name waits in libuv's thread pool behind the 100
      // access-key hashes (scrypt) this process runs, long enough to hit the client's connect time-out.
      urls.push(`http://127.0.0.1:${(http.address() as AddressInfo).port}`);
    }
    issuer = urls[0] as string;
    const config = configSchema.parse({
      CAISSE_ISSUER: issuer,
      CAISSE_SECRET: generateSecret(),
      DATABASE_URL: database.url,
      LOG_LEVEL: 'error',
    });
    // Started together, as instances of one deployment are: one migrates, the other waits for it.
    instances.push(
      ...(await Promise.all([0, 1].map(() => createPaymentServer(config, { log: createLogger({ level: 'error', write: () => {} }) })))),
    );
  });

  afterAll(async () => {
    await Promise.all(listeners.map((http) => new Promise<void>((resolve) => http.close(() => resolve()))));
    await Promise.all(instances.map((instance) => instance.close()));
    await database?.drop();
  });

  it('pays exactly 50 tickets, refuses 50 with insufficient_funds, empties the wallet and keeps the ledger balanced', async () => {
    const [a, b] = instances as [PaymentServer, PaymentServer];
    expect(a.issuer).toBe(issuer);
    expect(b.issuer).toBe(issuer);

    const merchantKey = generateKey();
    await a.merchants.register({ id: 'bookshop', displayName: 'The Bookshop', jwks: merchantKey.jwks, returnOrigins: [SHOP_ORIGIN] });
    // Both instances publish the same key set: it lives in the shared database, sealed with the shared secret.
    expect(await b.keys.jwks()).toEqual(await a.keys.jwks());
    const merchant = createMerchant({
      merchantId: 'bookshop',
      signingKey: merchantKey.privateJwk,
      paymentServer: { issuer, payEndpoint: `${issuer}/pay`, keys: staticKeySet(await a.keys.jwks()) },
      replayStore: memoryReplayStore(),
    });

    // Ceilings far above what the test spends, so only the wallet's floor can refuse.
    await b.customers.add({
      accountId: 'alice',
      phone: '+33612345678',
      accessKey: ACCESS_KEY,
      limits: { EUR: { walletCap: 100_000n, dailyCeiling: 10_000_000n, monthlyCeiling: 10_000_000n } },
    });
    await a.customers.walletCredit('alice', 'EUR', FUNDED, { idempotencyKey: 'top-up' });

    const tickets = Array.from({ length: TICKETS }, (_, n) =>
      merchant.createTicket({
        serial: `order-${n}`,
        currency: 'EUR',
        items: [{ id: 'book', label: 'A book', quantity: 1, unitAmount: PRICE, vatRate: 550 }],
        returnUrl: `${SHOP_ORIGIN}/paid`,
        cancelUrl: `${SHOP_ORIGIN}/basket`,
        state: createState(),
      }),
    );

    /** One customer's browser for one ticket: the summary from one instance, the identify form answered by the other. */
    async function pay(n: number): Promise<URL> {
      const home = urls[n % 2] as string;
      const other = urls[(n + 1) % 2] as string;
      const browser = new ScriptedBrowser(home);
      const summary = await browser.go('/pay', { form: { ticket: (tickets[n] as (typeof tickets)[number]).token }, origin: SHOP_ORIGIN });
      expect(summary.page?.status, `ticket ${n}: summary`).toBe(200);
      const answered = await browser.go(`${other}${ScriptedBrowser.action(summary.html, '/identify')}`, {
        form: { csrf: ScriptedBrowser.csrf(summary.html), account: 'alice', accessKey: ACCESS_KEY },
        origin: issuer,
      });
      if (answered.leftTo) return answered.leftTo;
      // Refused: the page explains why and links back to the merchant through the issuer.
      expect(answered.page?.status, `ticket ${n}: refusal page`).toBe(200);
      const back = /href="([^"]+\/return)"/.exec(answered.html ?? '')?.[1];
      if (!back) throw new Error(`ticket ${n}: neither a voucher nor a refusal page (status ${answered.page?.status})`);
      const left = await browser.go(new URL(back).pathname);
      if (!left.leftTo) throw new Error(`ticket ${n}: the refusal page's return link did not lead back to the merchant`);
      return left.leftTo;
    }

    const arrivals = await Promise.all(tickets.map((_, n) => pay(n)));

    const vouchers: number[] = [];
    const refusals: number[] = [];
    for (const [n, leftTo] of arrivals.entries()) {
      const ticket = tickets[n] as (typeof tickets)[number];
      const voucher = leftTo.searchParams.get('caisse_voucher');
      const refusal = leftTo.searchParams.get('caisse_refusal');
      if (voucher !== null) {
        expect(leftTo.pathname).toBe('/paid');
        const claims = await merchant.verifyVoucher(voucher, { ticket: ticket.reference, state: ticket.claims.state });
        expect(claims).toMatchObject({ amount: PRICE, currency: 'EUR', status: 'authorised', funding: 'wallet' });
        vouchers.push(n);
      } else {
        expect(leftTo.pathname).toBe('/basket');
        await expect(merchant.verifyVoucher(refusal ?? '', { ticket: ticket.reference, state: ticket.claims.state })).rejects.toMatchObject(
          {
            code: 'payment_refused',
            reason: 'insufficient_funds',
          },
        );
        refusals.push(n);
      }
    }
    expect(vouchers).toHaveLength(50);
    expect(refusals).toHaveLength(50);
    // Both instances paid and both refused: the race really ran across the two.
    for (const outcomes of [vouchers, refusals]) expect(new Set(outcomes.map((n) => (n + 1) % 2)).size).toBe(2);

    const { rows: wallet } = await a.db.query<{ balance: bigint }>(
      `SELECT b.balance FROM ledger_balances b JOIN ledger_accounts a ON a.id = b.account_id
        WHERE a.type = 'customer_wallet' AND a.owner_id = 'alice' AND a.currency = 'EUR'`,
    );
    expect(wallet).toEqual([{ balance: 0n }]);

    const { rows: sides } = await a.db.query<{ currency: string; debits: bigint; credits: bigint }>(
      `SELECT currency, coalesce(sum(-amount) FILTER (WHERE amount < 0), 0)::bigint AS debits,
              coalesce(sum(amount) FILTER (WHERE amount > 0), 0)::bigint AS credits
         FROM ledger_entries GROUP BY currency ORDER BY currency`,
    );
    expect(sides).toHaveLength(1);
    expect(sides[0]?.currency).toBe('EUR');
    expect(sides[0]?.debits).toBe(sides[0]?.credits);
    const { rows: unbalanced } = await a.db.query('SELECT serial FROM ledger_entries GROUP BY serial, currency HAVING sum(amount) <> 0');
    expect(unbalanced).toEqual([]);

    // Money moved once per paid ticket and never for a refused one.
    const { rows: moved } = await a.db.query<{ transfers: bigint; tickets: bigint }>(
      `SELECT count(*) AS transfers, count(DISTINCT metadata->>'ticket') AS tickets FROM ledger_transfers WHERE idempotency_key LIKE 'ticket:%'`,
    );
    expect(moved).toEqual([{ transfers: 50n, tickets: 50n }]);
    const { rows: paidTickets } = await a.db.query<{ jti: string }>(
      `SELECT metadata->>'ticket' AS jti FROM ledger_transfers WHERE idempotency_key LIKE 'ticket:%'`,
    );
    expect(paidTickets.map((row) => row.jti).sort()).toEqual(
      vouchers.map((n) => (tickets[n] as (typeof tickets)[number]).claims.jti).sort(),
    );
    const { rows: till } = await a.db.query<{ balance: bigint }>(
      `SELECT coalesce(sum(e.amount), 0)::bigint AS balance FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
        WHERE a.type = 'merchant_till' AND a.owner_id = 'bookshop'`,
    );
    expect(till).toEqual([{ balance: FUNDED }]);
  }, 60_000);
});
