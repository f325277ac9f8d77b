import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiTestServer, startApiTestServer } from '../api/__fixtures__/api-server.js';
import { JOB_INTERVALS_MS, startPaymentServerJobs } from './schedule.js';

/**
 * The payment server's periodic jobs as `startPaymentServer` starts them, on a real
 * server with real payments, the scheduler's interval timers faked so that a tick is an
 * event the test makes happen.
 */
describe("the payment server's periodic jobs", () => {
  let shop: ApiTestServer;
  beforeAll(async () => {
    shop = await startApiTestServer();
  });
  afterAll(() => shop?.close());

  it('are all in one list, each once, with its interval; the balance roll-ups among them', async () => {
    const jobs = startPaymentServerJobs(shop.server, { config: { CAISSE_NOTIFICATION_RETENTION_DAYS: 30 }, now: () => new Date() });
    await jobs.stop();
    expect(jobs.scheduled).toEqual([
      { name: 'bank.reconcile', intervalMs: 15_000 },
      { name: 'checkout.settle_confirmations', intervalMs: 5_000 },
      { name: 'allowances.settle_due', intervalMs: 15_000 },
      { name: 'disputes.deadlines', intervalMs: 60_000 },
      { name: 'audit.seal', intervalMs: 5_000 },
      { name: 'ledger.roll_up', intervalMs: 60_000 },
      { name: 'after_payment', intervalMs: 60_000 },
      { name: 'housekeeping.prune', intervalMs: 5 * 60_000 },
      { name: 'receipts.send', intervalMs: 5_000 },
    ]);
  });

  it("roll up the derived accounts' balances a minute after start, to the sum of their entries", async () => {
    await shop.pay(1_250);
    await shop.pay(800);
    const rollups = () =>
      shop.server.db.query<{ type: string; owner_id: string; balance: bigint; summed: bigint; as_of_serial: bigint }>(
        `SELECT a.type, a.owner_id, r.balance, r.as_of_serial,
                (SELECT sum(e.amount) FROM ledger_entries e WHERE e.account_id = r.account_id AND e.serial <= r.as_of_serial)::bigint AS summed
           FROM ledger_rollups r JOIN ledger_accounts a ON a.id = r.account_id`,
      );
    expect((await rollups()).rows).toEqual([]);

    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const jobs = startPaymentServerJobs(shop.server, { config: { CAISSE_NOTIFICATION_RETENTION_DAYS: 30 }, now: () => new Date() });
      await vi.advanceTimersByTimeAsync(JOB_INTERVALS_MS.ledgerRollUp);
      // The roll-up started on that tick; stopping waits for it.
      await jobs.stop();
    } finally {
      vi.useRealTimers();
    }

    const { rows } = await rollups();
    const { rows: last } = await shop.server.db.query<{ serial: bigint }>('SELECT max(serial) AS serial FROM ledger_entries');
    expect(rows).toContainEqual(expect.objectContaining({ type: 'merchant_till', owner_id: shop.merchantId, balance: 2_050n }));
    for (const row of rows) {
      expect(row.balance).toBe(row.summed);
      expect(row.as_of_serial).toBe(last[0]?.serial);
    }
  });
});
