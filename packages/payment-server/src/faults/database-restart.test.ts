import type { ConfirmationRequest } from '@caisse/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { createTestDevice } from '../__fixtures__/device.js';
import { sandboxAcquirerEntry, startServerProcess } from '../after-payment/__fixtures__/server-process.js';
import { type AfterPaymentWorld, afterPaymentWorld } from '../after-payment/__fixtures__/world.js';
import { eventReader, PIN } from '../checkout/__fixtures__/phone.js';
import { generateSecret } from '../secrets.js';
import { testDrivers } from '../storage/test-support.js';
import { bookOrder, expectBooksWhole, payPatiently, type Refusal } from './__fixtures__/load.js';
import { startPostgresCluster } from './__fixtures__/postgres-cluster.js';

const hasPostgres = (await testDrivers('faults: PostgreSQL restarted')).includes('postgres');

const SHOPPERS = 6;
const ORDERS_EACH = 4;

/**
 * A payment server started as an operator starts it (every background job on its timer),
 * in its own process, on a PostgreSQL server of the test's own that the test stops and
 * starts again while shoppers pay.
 */
describe.runIf(hasPostgres)('PostgreSQL restarted while payments run', () => {
  let cluster: Awaited<ReturnType<typeof startPostgresCluster>>;
  let world: AfterPaymentWorld;
  let instance: Awaited<ReturnType<typeof startServerProcess>>;
  const secret = generateSecret();

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    world = await afterPaymentWorld({ databaseUrl: cluster.url(), env: { CAISSE_SECRET: secret } });
    instance = await startServerProcess({
      DATABASE_URL: cluster.url(),
      CAISSE_SECRET: secret,
      CAISSE_ISSUER: world.server.issuer,
      CAISSE_WALLET_THRESHOLDS: '*:5000',
      CAISSE_ACQUIRERS: JSON.stringify([sandboxAcquirerEntry('sandbox', world.sandbox.url)]),
      SERVER_JOBS: 'true',
      LOG_LEVEL: 'error',
    });
  });
  afterAll(async () => {
    await instance?.stop();
    await world?.close();
    await cluster?.remove();
  });

  const ready = async () => {
    const response = await fetch(`${instance.url}/health/ready`);
    return { status: response.status, body: (await response.json()) as { status: string; checks: Record<string, string> } };
  };

  it('refuses what the outage reaches with a retryable 503, recovers by itself, and loses or doubles nothing', async () => {
    const issuer = world.server.issuer;
    expect(await ready()).toEqual({
      status: 200,
      body: { status: 'ready', checks: { database: 'ok', migrations: 'ok', listener: expect.any(String), acquirers: 'ok' } },
    });
    const shoppers = await Promise.all(Array.from({ length: SHOPPERS }, () => world.customer({ funded: 20_000n })));
    const orders = shoppers.map((customer, shopper) =>
      Array.from({ length: ORDERS_EACH }, (_, order) => ({
        customer,
        ticket: bookOrder(world, `restart-${shopper}-${order}`, 1_200 + order),
      })),
    );

    const paid = new Map<string, string>();
    const refusals: Refusal[] = [];
    let firstRoundPaid!: () => void;
    const firstRound = new Promise<void>((resolve) => {
      firstRoundPaid = resolve;
    });
    // Each shopper pays their orders one after another; the database goes down once every shopper has paid one.
    const paying = orders.map(async (queue) => {
      for (const { customer, ticket } of queue) {
        const result = await payPatiently(instance.url, ticket.token, customer, issuer);
        paid.set(ticket.reference.id, result.id as string);
        refusals.push(...result.refusals);
        if (paid.size === SHOPPERS) firstRoundPaid();
      }
    });
    await firstRound;

    // A phone with its stream open, on the other instance (the world's), across the outage.
    const phone = await enrolledPhone();
    const stream = eventReader(await phone.device.call('/device/requests', { headers: { accept: 'text/event-stream' } }));

    await cluster.down();
    // While it is down: readiness says so, and a shopper is told to come back, at once and not after a hang.
    expect(await ready()).toEqual({
      status: 503,
      body: {
        status: 'unavailable',
        checks: { database: 'unreachable', migrations: 'unknown', listener: expect.any(String), acquirers: 'ok' },
      },
    });
    const late = bookOrder(world, 'restart-late', 1_500);
    expect(await payPatiently(instance.url, late.token, shoppers[0] as string, issuer, { stopAfterRefusal: true })).toEqual({
      refusals: [{ status: 503, retryAfter: '2' }],
    });
    await cluster.up();

    await Promise.all(paying);
    await vi.waitFor(async () => expect(await ready()).toMatchObject({ status: 200 }), { timeout: 20_000, interval: 100 });
    expect(paid.size).toBe(SHOPPERS * ORDERS_EACH);
    // Whoever the outage reached was told to retry, and nothing else.
    for (const refusal of refusals) expect(refusal).toEqual({ status: 503, retryAfter: '2' });

    // The phone's stream, opened before the outage, brings the next request: the instance listens again by itself.
    const ticket = bookOrder(world, 'restart-phone', 1_700, phone.account);
    const browser = new ScriptedBrowser(world.url);
    const summary = await browser.go('/pay', { form: { ticket: ticket.token } });
    const asked = await browser.go(ScriptedBrowser.action(summary.html, '/phone'), { form: { csrf: ScriptedBrowser.csrf(summary.html) } });
    expect(asked.html).toContain('Confirm on your phone');
    let event = await stream.next();
    while (event?.event !== 'request') event = await stream.next();
    const request = JSON.parse(event.data) as ConfirmationRequest;
    expect(request.ticket.jti).toBe(ticket.claims.jti);
    expect((await phone.device.send(request, 'approve', PIN)).status).toBe(200);
    const done = await browser.go(new URL(asked.page?.url ?? '').pathname);
    const voucher = done.leftTo?.searchParams.get('caisse_voucher');
    expect(voucher).toBeTruthy();
    const { rows } = await world.server.db.query<{ id: string }>(`SELECT 'pay_' || serial AS id FROM payments WHERE ticket_jti = $1`, [
      ticket.claims.jti,
    ]);
    paid.set(ticket.claims.jti, rows[0]?.id as string);
    // A phone's stream lasts until it hangs up; the world's server waits for it to close.
    await stream.cancel();

    await expectBooksWhole(world, paid);
    // A restart of PostgreSQL, the listener noticing it (a heartbeat every 10 s, 5 s to answer) and the notifications
    // that failed meanwhile waiting out their backoff, on a machine the rest of the suite keeps busy: seconds alone,
    // over the default 30 s in a full run.
  }, 180_000);

  /** A customer of the world's with a funded wallet and an enrolled phone. */
  async function enrolledPhone() {
    const account = await world.customer({ funded: 20_000n });
    const device = createTestDevice(world.url);
    const { code } = await world.server.devices.createCode(account);
    expect((await device.enroll(code, { pin: PIN })).status).toBe(201);
    return { account, device };
  }
});
