import { freshDatabase } from '@caisse/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { sandboxAcquirerEntry, startServerProcess } from '../after-payment/__fixtures__/server-process.js';
import { ACCESS_KEY, type AfterPaymentWorld, afterPaymentWorld } from '../after-payment/__fixtures__/world.js';
import { generateSecret } from '../secrets.js';
import { testDrivers } from '../storage/test-support.js';
import { bookOrder, expectBooksWhole, payPatiently } from './__fixtures__/load.js';
import { startTcpProxy } from './__fixtures__/tcp-proxy.js';

const hasPostgres = (await testDrivers('faults: an instance cut off')).includes('postgres');

/** Short time-outs, so the partition is felt within the test's patience; the defaults are 5 s and 8 s. */
const CONNECT_TIMEOUT_MS = 1_000;
const QUERY_TIMEOUT_MS = 2_000;

/** A fault, then every notification it failed waiting out its backoff (see `expectBooksWhole`): over the default 30 s on a busy machine. */
const FAULT_TEST_TIMEOUT = 180_000;

/**
 * Two instances of the payment server on one database: the world's own, in the test's
 * process, and instance A, in a process of its own, started as an operator starts it. A
 * reaches the database and the bank through TCP proxies the test cuts and heals.
 */
describe.runIf(hasPostgres)('an instance cut off from the database or the bank while another keeps working', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let world: AfterPaymentWorld;
  let toDatabase: Awaited<ReturnType<typeof startTcpProxy>>;
  let toBank: Awaited<ReturnType<typeof startTcpProxy>>;
  let instance: Awaited<ReturnType<typeof startServerProcess>>;
  const secret = generateSecret();
  const paid = new Map<string, string>();

  beforeAll(async () => {
    database = await freshDatabase('faults_partition');
    world = await afterPaymentWorld({ databaseUrl: database.url, env: { CAISSE_SECRET: secret } });
    const url = new URL(database.url);
    toDatabase = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    toBank = await startTcpProxy({ port: Number(new URL(world.sandbox.url).port) });
    url.port = String(toDatabase.port);
    instance = await startServerProcess({
      DATABASE_URL: url.toString(),
      DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      DATABASE_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
      CAISSE_SECRET: secret,
      CAISSE_ISSUER: world.server.issuer,
      CAISSE_WALLET_THRESHOLDS: '*:5000',
      CAISSE_ACQUIRERS: JSON.stringify([sandboxAcquirerEntry('sandbox', `http://127.0.0.1:${toBank.port}`)]),
      SERVER_JOBS: 'true',
      LOG_LEVEL: 'error',
    });
  });
  afterAll(async () => {
    await instance?.stop();
    await toDatabase?.close();
    await toBank?.close();
    await world?.close();
    await database?.drop();
  });

  const ready = async () => {
    const response = await fetch(`${instance.url}/health/ready`);
    return { status: response.status, body: (await response.json()) as { status: string; checks: Record<string, string> } };
  };

  const order = (amount: number) => bookOrder(world, `partition-${paid.size}-${Math.random().toString(36).slice(2, 8)}`, amount);

  async function pay(where: string, amount: number, customer: string) {
    const ticket = order(amount);
    const { id } = await payPatiently(where, ticket.token, customer, world.server.issuer);
    paid.set(ticket.reference.id, id as string);
    return id;
  }

  it(
    'cut from the database, it answers 503 within its time-outs while the other instance pays; healed, it serves again by itself',
    async () => {
      const customer = await world.customer({ funded: 40_000n });
      await pay(instance.url, 1_000, customer);

      toDatabase.cut();
      const ticket = order(1_100);
      const cutOff = payPatiently(instance.url, ticket.token, customer, world.server.issuer, { stopAfterRefusal: true });
      // The other instance is not held up by the cut one, even by the row locks its open transactions held.
      for (const amount of [1_200, 1_300, 1_400]) await pay(world.url, amount, customer);
      expect(await cutOff).toEqual({ refusals: [{ status: 503, retryAfter: '2' }] });
      expect(await ready()).toEqual({
        status: 503,
        body: {
          status: 'unavailable',
          checks: { database: 'unreachable', migrations: 'unknown', listener: expect.any(String), acquirers: 'ok' },
        },
      });

      toDatabase.heal();
      await vi.waitFor(
        async () => expect(await ready()).toMatchObject({ status: 200, body: { checks: { listener: expect.not.stringMatching('down') } } }),
        {
          timeout: 20_000,
          interval: 100,
        },
      );
      const { id } = await payPatiently(instance.url, ticket.token, customer, world.server.issuer);
      paid.set(ticket.reference.id, id as string);
      await expectBooksWhole(world, paid);
    },
    FAULT_TEST_TIMEOUT,
  );

  it(
    'cut from the bank, its bank payment is left pending, and charged exactly once when the bank is back',
    async () => {
      const customer = await world.customer({ funded: 0n, bankRef: 'test_approve' });
      const ticket = order(9_000);
      const authorisations = () =>
        world.sandbox.bank.statement().filter((op) => op.kind === 'authorise' && op.idempotencyKey.includes(ticket.reference.id));

      toBank.cut();
      const browser = new ScriptedBrowser(instance.url);
      const origin = world.server.issuer;
      const summary = await browser.go('/pay', { form: { ticket: ticket.token }, origin });
      const waiting = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
        form: { csrf: ScriptedBrowser.csrf(summary.html), account: customer, accessKey: ACCESS_KEY },
        origin,
      });
      expect(waiting.page?.status).toBe(200);
      expect(waiting.html).toContain('Waiting for your bank');
      // Meanwhile the other instance, which reaches the bank, pays by bank.
      await pay(world.url, 8_000, await world.customer({ funded: 0n, bankRef: 'test_approve' }));
      expect(authorisations()).toEqual([]);

      toBank.heal();
      // Any instance's reconciler settles it once its retry is due (30 s after the time-out): here the other's, its clock moved on.
      world.clock.advance(60_000);
      expect(await world.server.bank.reconcile()).toMatchObject({ examined: 1, approved: 1 });
      expect(authorisations().map((op) => [op.amount, op.status])).toEqual([[9_000, 'approved']]);
      // "Check again" takes the shopper back to the shop, with the voucher.
      const refresh = /href="([^"]+)"[^>]*>Check again/.exec(waiting.html ?? '')?.[1] as string;
      const back = await browser.go(refresh.replaceAll('&amp;', '&'));
      const voucher = back.leftTo?.searchParams.get('caisse_voucher');
      expect(voucher).toBeTruthy();
      expect(await world.server.bank.reconcile()).toMatchObject({ examined: 0 });
      expect(authorisations()).toHaveLength(1);
      const { rows } = await world.server.db.query<{ id: string }>(`SELECT 'pay_' || serial AS id FROM payments WHERE ticket_jti = $1`, [
        ticket.reference.id,
      ]);
      paid.set(ticket.reference.id, rows[0]?.id as string);
      // Its notification was written on the moved clock, due a minute from now for the instance's dispatcher: send it on that clock.
      await world.deliverAll();
      await expectBooksWhole(world, paid);
    },
    FAULT_TEST_TIMEOUT,
  );
});
