import { randomUUID } from 'node:crypto';
import { paymentSerial } from '@caisse/protocol';
import { freshDatabase } from '@caisse/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { authorization, signAssertion } from '../api/__fixtures__/assertions.js';
import { generateSecret } from '../secrets.js';
import { testDrivers } from '../storage/test-support.js';
import { startHoldingProxy } from './__fixtures__/holding-proxy.js';
import { sandboxAcquirerEntry, startServerProcess } from './__fixtures__/server-process.js';
import { type AfterPaymentWorld, afterPaymentWorld } from './__fixtures__/world.js';

const hasPostgres = (await testDrivers('after-payment processes killed with SIGKILL')).includes('postgres');

/** A cut-off 20 minutes ahead: the day it closes holds every payment of the test. */
const cutoffAt = new Date(Math.floor((Date.now() + 20 * 60_000) / 60_000) * 60_000);
const DATE = cutoffAt.toISOString().slice(0, 10);
/** Server processes run this far ahead: past the cut-off (and its 5 minutes of grace). */
const PAST_CUTOFF = cutoffAt.getTime() + 6 * 60_000 - Date.now();
/** Each restart moves on by this much, past the leases and retry delays of the process before. */
const LATER = 10 * 60_000;

describe.runIf(hasPostgres)('payment server processes killed with SIGKILL in the middle of after-payment work', () => {
  let world: AfterPaymentWorld;
  let proxy: Awaited<ReturnType<typeof startHoldingProxy>>;
  let database: { url: string; drop: () => Promise<void> };
  const secret = generateSecret();
  const processes: Awaited<ReturnType<typeof startServerProcess>>[] = [];

  beforeAll(async () => {
    database = await freshDatabase('after_payment_crash');
    let bankUrl = '';
    world = await afterPaymentWorld({
      databaseUrl: database.url,
      env: { CAISSE_SECRET: secret, CAISSE_SETTLEMENT_CUTOFF: cutoffAt.toISOString().slice(11, 16) },
      bankUrl: (sandbox) => {
        bankUrl = sandbox.url;
        return sandbox.url;
      },
    });
    proxy = await startHoldingProxy(bankUrl);
    await world.server.db.query(`UPDATE merchants SET bank_ref = 'test_approve' WHERE id = $1`, [world.merchantId]);
  });
  afterAll(async () => {
    for (const process of processes) await process.stop().catch(() => undefined);
    await proxy?.close();
    await world?.close();
    await database?.drop();
  });

  /** Another instance of the payment server, in its own process, on the same database, reaching the bank through the proxy. */
  async function instance(offsetMs: number) {
    world.clock.offset = offsetMs; // the merchant's receiver reads the same time
    const started = await startServerProcess({
      DATABASE_URL: database.url,
      CAISSE_SECRET: secret,
      CAISSE_ISSUER: world.server.issuer,
      // The acquirer the first server recorded its operations with, reached through the proxy.
      CAISSE_ACQUIRERS: JSON.stringify([sandboxAcquirerEntry('sandbox', proxy.url)]),
      CAISSE_SETTLEMENT_CUTOFF: cutoffAt.toISOString().slice(11, 16),
      CLOCK_OFFSET_MS: String(offsetMs),
      LOG_LEVEL: 'error',
    });
    processes.push(started);
    return started;
  }

  it('settlement: a payout killed at the bank is paid once after a restart, booked once, notified once', async () => {
    const alice = await world.customer();
    await world.pay(alice, 2_500);
    await world.pay(alice, 1_200);

    const first = await instance(PAST_CUTOFF);
    const atBank = proxy.holdNext(/\/v1\/payouts$/);
    first.send(`settle ${DATE}`);
    await atBank;
    expect(await first.kill()).toEqual({ code: null, signal: 'SIGKILL' });

    // Killed between the bank's decision and its answer: recorded, sent, not booked.
    const { rows } = await world.server.db.query<{ id: string; status: string }>(
      'SELECT id, status FROM settlements WHERE merchant_id = $1 AND date = $2::date',
      [world.merchantId, DATE],
    );
    expect(rows).toMatchObject([{ status: 'pending' }]);
    const settlement = rows[0]?.id as string;
    expect(await world.count(`SELECT count(*) AS n FROM ledger_transfers WHERE idempotency_key = $1`, [`payout:${settlement}`])).toBe(0);

    const second = await instance(PAST_CUTOFF + LATER);
    await second.run('reconcile');
    await second.run(`settle ${DATE}`);
    await second.run('after');

    const payouts = world.sandbox.bank
      .statement('test_approve')
      .filter((op) => op.kind === 'payout' && op.idempotencyKey.includes(world.merchantId));
    expect(payouts.map((op) => op.amount)).toEqual([3_700]);
    expect(await world.count(`SELECT count(*) AS n FROM ledger_transfers WHERE idempotency_key = $1`, [`payout:${settlement}`])).toBe(1);
    expect(await world.count(`SELECT count(*) AS n FROM settlements WHERE merchant_id = $1 AND status = 'paid'`, [world.merchantId])).toBe(
      1,
    );
    expect(
      await world.count(`SELECT count(*) AS n FROM notifications WHERE merchant_id = $1 AND event = 'settlement.paid'`, [world.merchantId]),
    ).toBe(1);
    expect(await world.till()).toBe(0n);
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
    await second.stop();
  }, 120_000);

  it('refund and notifications: a refund killed at the bank is refunded once; a dispatcher killed mid-send loses nothing', async () => {
    world.clock.offset = 0;
    const bob = await world.customer({ funded: 0n });
    const { id } = await world.pay(bob, 7_000);
    const key = randomUUID();
    const body = JSON.stringify({ amount: 2_500 });
    const path = `/v1/payments/${id}/refunds`;

    /** The merchant's request, to one instance or another: the same key and body, a fresh assertion each time. */
    function refundAt(instanceUrl: string) {
      const token = signAssertion({
        key: world.self.key.signingKey,
        merchantId: world.merchantId,
        audience: world.server.issuer,
        url: `${world.server.issuer}${path}`,
        method: 'POST',
        body,
        iat: Math.floor(world.clock.now().getTime() / 1000),
      });
      return fetch(`${instanceUrl}${path}`, {
        method: 'POST',
        headers: { authorization: authorization(token), 'content-type': 'application/json', 'idempotency-key': key },
        body,
      });
    }

    const first = await instance(0);
    const atBank = proxy.holdNext(/\/refunds$/);
    const lost = refundAt(first.url).catch((error: unknown) => error);
    await atBank;
    expect(await first.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await lost).toBeInstanceOf(Error);
    expect(
      await world.count(`SELECT count(*) AS n FROM refunds WHERE payment_serial = $1 AND status = 'pending'`, [paymentSerial(id)]),
    ).toBe(1);

    // Restart: reconciliation learns what the bank did and books it once; the merchant's retry gets that refund.
    const second = await instance(LATER);
    await second.run('reconcile');
    const retried = await refundAt(second.url);
    expect(retried.status).toBe(201);
    const refund = await retried.json();
    expect(refund).toMatchObject({ amount: 2_500, status: 'succeeded', funding: 'bank' });
    const refunds = world.sandbox.bank
      .statement('test_approve')
      .filter((op) => op.kind === 'refund' && op.idempotencyKey.includes(refund.id));
    expect(refunds).toHaveLength(1);
    expect(await world.count('SELECT count(*) AS n FROM refunds WHERE payment_serial = $1', [paymentSerial(id)])).toBe(1);
    expect(await world.count('SELECT count(*) AS n FROM ledger_transfers WHERE idempotency_key LIKE $1', [`refund:%:${refund.id}`])).toBe(
      1,
    );

    // Every event so far goes out; the first to reach the merchant is held there while the dispatcher dies.
    const events = (await world.outbox()).filter((row) => row.status === 'pending').map((row) => row.id);
    expect(events.length).toBeGreaterThanOrEqual(2);
    const held = world.receiver.hold();
    second.send('dispatch');
    const inFlight = await held.arrived;
    expect(await second.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    held.release();
    await vi.waitFor(() => expect(world.receiver.processed.map((event) => event.jti)).toContain(inFlight.jti));

    // Later than every instance so far (the settlement's notification was written at the first test's time).
    const third = await instance(PAST_CUTOFF + 2 * LATER);
    for (let pass = 0; pass < 5; pass++) {
      await third.run('dispatch');
      if ((await world.count(`SELECT count(*) AS n FROM notifications WHERE status <> 'delivered'`)) === 0) break;
    }
    for (const id of events) {
      expect(
        world.receiver.processed.filter((event) => event.jti === id),
        id,
      ).toHaveLength(1);
    }
    expect(await world.count(`SELECT count(*) AS n FROM notifications WHERE status <> 'delivered'`)).toBe(0);
    expect(
      world.receiver.processed.filter(
        (event) => event.event === 'refund.succeeded' && (event as { refund?: { id: string } }).refund?.id === refund.id,
      ),
    ).toHaveLength(1);
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
    await third.stop();
  }, 120_000);
});
