import { createState } from '@caisse/server-kit';
import { freshDatabase } from '@caisse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { startHoldingProxy } from '../after-payment/__fixtures__/holding-proxy.js';
import { sandboxAcquirerEntry, startServerProcess } from '../after-payment/__fixtures__/server-process.js';
import { type AfterPaymentWorld, afterPaymentWorld } from '../after-payment/__fixtures__/world.js';
import { generateSecret } from '../secrets.js';
import { testDrivers } from '../storage/test-support.js';

const hasPostgres = (await testDrivers('failover between acquirers with SIGKILL')).includes('postgres');

/** Each restart moves on by this much, past the acquirer's retry delay of the process before. */
const LATER = 10 * 60_000;

/**
 * Two acquirers: the first bank processes only euros, so it refuses a payment in pounds
 * before acting, and the payment is handed over to the second, behind a proxy that can
 * hold a request or its answer while the payment server process is killed.
 */
describe.runIf(hasPostgres)('failover between acquirers, with the payment server killed in between', () => {
  let world: AfterPaymentWorld;
  let proxy: Awaited<ReturnType<typeof startHoldingProxy>>;
  let database: { url: string; drop: () => Promise<void> };
  let firstUrl = '';
  const secret = generateSecret();
  const processes: Awaited<ReturnType<typeof startServerProcess>>[] = [];

  beforeAll(async () => {
    database = await freshDatabase('failover_crash');
    let secondUrl = '';
    world = await afterPaymentWorld({
      databaseUrl: database.url,
      env: { CAISSE_SECRET: secret },
      bank: { currencies: ['EUR'] },
      routing: {
        first: [{}],
        second: [{}],
        secondUrl: (second) => {
          secondUrl = second.url;
          return second.url;
        },
      },
    });
    firstUrl = world.sandbox.url;
    proxy = await startHoldingProxy(secondUrl);
  });
  afterAll(async () => {
    for (const process of processes) await process.stop().catch(() => undefined);
    await proxy?.close();
    await world?.close();
    await database?.drop();
  });

  /** Another instance of the payment server, in its own process, on the same database; the second bank through the proxy. */
  async function instance(offsetMs: number) {
    world.clock.offset = offsetMs;
    const started = await startServerProcess({
      DATABASE_URL: database.url,
      CAISSE_SECRET: secret,
      CAISSE_ISSUER: world.server.issuer,
      CAISSE_WALLET_THRESHOLDS: '*:5000',
      CAISSE_ACQUIRERS: JSON.stringify([sandboxAcquirerEntry('first', firstUrl), sandboxAcquirerEntry('second', proxy.url)]),
      CLOCK_OFFSET_MS: String(offsetMs),
      LOG_LEVEL: 'error',
    });
    processes.push(started);
    return started;
  }

  /** The customer's browser on one instance: pages of the payment server, whose origin is its issuer's, served by that process. */
  async function payThrough(instanceUrl: string, ticket: string, customer: string) {
    const browser = new ScriptedBrowser(instanceUrl);
    const origin = world.server.issuer;
    const summary = await browser.go('/pay', { form: { ticket }, origin });
    return browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(summary.html), account: customer, accessKey: 'correct horse battery' },
      origin,
    });
  }

  it.each([
    ['after the second bank charged, before its answer came back', true],
    ['while the request to the second bank was on its way', false],
  ])(
    'a payment handed over and killed %s is charged once, by the second bank, after a restart',
    async (_when, forward) => {
      world.clock.offset = 0;
      const customer = await world.customer({ funded: 0n });
      const ticket = world.merchant.createTicket({
        serial: `order-failover-${forward}`,
        currency: 'GBP',
        items: [{ id: 'kettle', label: 'A kettle', quantity: 1, unitAmount: 9_000, vatRate: 2_000 }],
        returnUrl: 'https://shop.example/paid',
        cancelUrl: 'https://shop.example/basket',
        state: createState(),
      });
      const authorisations = () =>
        (world.second?.bank.statement() ?? []).filter((op) => op.kind === 'authorise' && op.idempotencyKey.includes(ticket.reference.id));

      const first = await instance(0);
      const atSecond = proxy.holdNext(/\/v1\/authorisations$/, { forward });
      const paying = payThrough(first.url, ticket.token, customer).catch((error: unknown) => error);
      // The payment must reach the second bank; if it ends before, say how (and what the process logged).
      const ended = await Promise.race([atSecond.then(() => undefined), paying.then((outcome) => ({ outcome }))]);
      if (ended !== undefined)
        throw new Error(`the payment ended before reaching the second bank: ${String(ended.outcome)} ${first.stderr()}`);
      expect(await first.kill()).toEqual({ code: null, signal: 'SIGKILL' });
      expect(await paying).toBeInstanceOf(Error);

      // Killed between the two acquirers: the first refused and handed over, the second's operation is pending, nothing is booked.
      const { rows } = await world.server.db.query<{ acquirer: string; status: string; decline_reason: string | null }>(
        `SELECT acquirer, status, decline_reason FROM acquirer_operations WHERE idempotency_key LIKE $1 ORDER BY created_at, acquirer`,
        [`%${ticket.reference.id}%`],
      );
      expect(rows).toEqual([
        { acquirer: 'first', status: 'declined', decline_reason: 'request_rejected' },
        { acquirer: 'second', status: 'pending', decline_reason: null },
      ]);
      expect(await world.count('SELECT count(*) AS n FROM payments WHERE ticket_jti = $1', [ticket.reference.id])).toBe(0);
      expect(authorisations()).toHaveLength(forward ? 1 : 0);

      const second = await instance(LATER);
      expect(await second.run('reconcile')).toMatchObject({ examined: 1, approved: 1 });
      await second.run('reconcile');

      expect(authorisations().map((op) => [op.amount, op.currency, op.status])).toEqual([[9_000, 'GBP', 'approved']]);
      expect(world.sandbox.bank.statement().filter((op) => op.idempotencyKey.includes(ticket.reference.id))).toEqual([]);
      const { rows: payments } = await world.server.db.query('SELECT funding, acquirer FROM payments WHERE ticket_jti = $1', [
        ticket.reference.id,
      ]);
      expect(payments).toEqual([{ funding: 'bank', acquirer: 'second' }]);
      expect(
        await world.count('SELECT count(*) AS n FROM ledger_transfers WHERE idempotency_key LIKE $1', [`%${ticket.reference.id}`]),
      ).toBe(1);
      expect(
        await world.count(`SELECT count(*) AS n FROM checkout_sessions WHERE ticket_jti = $1 AND state = 'paid'`, [ticket.reference.id]),
      ).toBe(1);
      expect(await world.invariants()).toEqual({ ok: true, findings: [] });
      await second.stop();
    },
    120_000,
  );
});
