import { createMerchantClient, isMerchantApiError } from '@caisse/server-kit/client';
import { freshDatabase } from '@caisse/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess } from '../after-payment/__fixtures__/server-process.js';
import { checkLedgerInvariants } from '../ledger/invariants.js';
import { generateSecret } from '../secrets.js';
import { testDrivers } from '../storage/test-support.js';
import { type AllowanceWorld, startAllowanceWorld } from './__fixtures__/world.js';

const hasPostgres = (await testDrivers('allowances on two instances')).includes('postgres');
/** The second instance's clock runs this far ahead: past the one-hour allowances of the test, which are then due. */
const PAST_EXPIRY = 2 * 3_600_000;

/**
 * DESIGN.md, "Security properties": charges under an allowance never exceed its maximum
 * under any concurrency and across instances; and a crash between the charges and their
 * settlement settles them exactly once. Two payment servers on one PostgreSQL: this
 * process and another one, killed with SIGKILL in the middle of a settlement. Real clocks
 * throughout (the other process cannot share a frozen one), so nothing here depends on the date.
 */
describe.runIf(hasPostgres)('allowances on two instances of the payment server', () => {
  let world: AllowanceWorld;
  let database: { url: string; drop: () => Promise<void> };
  const secret = generateSecret();
  const processes: Awaited<ReturnType<typeof startServerProcess>>[] = [];

  beforeAll(async () => {
    database = await freshDatabase('allowance_instances');
    world = await startAllowanceWorld(database.url, () => new Date(), { CAISSE_SECRET: secret });
  });
  afterAll(async () => {
    for (const process of processes) await process.stop().catch(() => undefined);
    await world?.close();
    await database?.drop();
  });

  async function instance(offsetMs = 0) {
    const started = await startServerProcess({
      DATABASE_URL: database.url,
      CAISSE_SECRET: secret,
      CAISSE_ISSUER: world.server.issuer,
      CLOCK_OFFSET_MS: String(offsetMs),
      LOG_LEVEL: 'error',
    });
    processes.push(started);
    return started;
  }

  it('concurrent charges through both instances take exactly what fits under the maximum', { timeout: 90_000 }, async () => {
    const other = await instance();
    // Charges are authenticated by their tickets, not by an assertion bound to a URL: this client sends them to the other instance.
    const otherClient = createMerchantClient({
      server: world.server.issuer,
      merchantId: world.shop.merchantId,
      key: world.shop.merchantKey.privateJwk,
      retry: 0,
      fetch: (input, init) => {
        const url = String(input instanceof Request ? input.url : input).replace(world.server.issuer, other.url);
        return fetch(input instanceof Request ? new Request(url, input) : url, init);
      },
    });
    const alice = await world.customer(5_000);
    const { id } = await world.grant(alice, 1_000);
    const outcomes = await Promise.all(
      Array.from({ length: 80 }, (_, n) =>
        (n % 2 === 0 ? world.client : otherClient).allowances.charge(world.chargeTicket(id, 30)).then(
          (charged) => charged.payment.amount,
          (error: unknown) => (isMerchantApiError(error) ? error.code : Promise.reject(error)),
        ),
      ),
    );
    expect(outcomes.filter((outcome) => outcome === 30)).toHaveLength(33);
    expect(outcomes.filter((outcome) => outcome === 'allowance_exhausted')).toHaveLength(47);
    expect(await world.client.allowances.get(id)).toMatchObject({ used: 990, remaining: 10 });
    const closed = await world.client.allowances.close(id);
    expect(closed).toMatchObject({ state: 'ended', used: 990 });
    expect(closed.charges).toHaveLength(33);
    expect(await world.remittances(id)).toEqual([{ period: 0, reason: 'closed', used: 990, charges: 33, transferred: true }]);
    expect(await world.wallet(alice.id)).toEqual({ balance: 4_010, available: 4_010 });
    await other.stop();
  });

  it('an instance killed in the middle of a settlement: after a restart, the period is settled exactly once', {
    timeout: 90_000,
  }, async () => {
    const bob = await world.customer(5_000);
    const { id } = await world.grant(bob, 800);
    for (const amount of [100, 200]) await world.client.allowances.charge(world.chargeTicket(id, amount));

    // Our own transaction holds the period's remittance row: the instance's settlement
    // voids the reservation and books the remittance, then waits on that row.
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(
      `INSERT INTO allowance_remittances (allowance_id, period_no, reason, period_start, period_end, used, charge_count, settled_at)
       VALUES ($1, 0, 'closed', now(), now(), 0, 0, now())`,
      [id],
    );
    const doomed = await instance(PAST_EXPIRY);
    doomed.send('allowances');
    // Read outside the blocker's transaction, whose view of pg_stat_activity stays as it first read it.
    const waiting = async () =>
      Number(
        (
          await world.server.db.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity
              WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO allowance_remittances%'`,
          )
        ).rows[0]?.n,
      );
    await expect.poll(waiting, { timeout: 20_000, interval: 50 }).toBe(1);
    await doomed.kill();
    await blocker.query('ROLLBACK');
    await blocker.end();

    // Nothing of the killed settlement remains: still reserved, nothing remitted.
    expect(await world.remittances(id)).toEqual([]);
    expect(await world.wallet(bob.id)).toEqual({ balance: 5_000, available: 4_200 });

    const restarted = await instance(PAST_EXPIRY);
    expect(await restarted.run('allowances')).toBeGreaterThanOrEqual(1);
    expect(await restarted.run('allowances')).toBe(0);
    expect(await world.remittances(id)).toEqual([{ period: 0, reason: 'expired', used: 300, charges: 2, transferred: true }]);
    expect(await world.settledNotifications(id)).toHaveLength(1);
    expect(await world.wallet(bob.id)).toEqual({ balance: 4_700, available: 4_700 });
    expect(await checkLedgerInvariants(world.server.db)).toMatchObject({ ok: true });
    await restarted.stop();
  });
});
