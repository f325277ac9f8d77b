import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Transaction } from '../storage/database.js';
import { sqlState } from '../storage/errors.js';
import { barrier, openTestDatabase, type TestDatabase, testDrivers } from '../storage/test-support.js';
import { isLedgerError } from './errors.js';
import { credit, debit } from './model.js';
import { createLedger, type Ledger } from './service.js';
import { openShop } from './test-fixtures.js';

const drivers = await testDrivers('payment-server ledger concurrency');

/** Real concurrency needs several connections: PostgreSQL with a pool of 16. */
describe.runIf(drivers.includes('postgres'))('ledger under concurrency on postgres (pool of 16)', () => {
  let handle: TestDatabase;
  let db: Database;
  let ledger: Ledger;

  beforeAll(async () => {
    handle = await openTestDatabase('postgres', 'ledger_concurrency', { poolSize: 16 });
    db = handle.db;
    ledger = createLedger(db);
  });
  afterAll(() => handle.close());

  it('pays exactly 50 of 100 parallel 10.00 payments from a 500.00 wallet', async () => {
    const { wallet, till, tag } = await openShop(ledger, { funded: 50_000n });
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, n) =>
        ledger.transfer({ idempotencyKey: `ticket:${tag}:${n}`, lines: [debit(wallet.id, 1_000n), credit(till.id, 1_000n)] }),
      ),
    );
    const paid = results.filter((result) => result.status === 'fulfilled');
    const refused = results.filter((result) => result.status === 'rejected');
    expect(paid).toHaveLength(50);
    expect(refused).toHaveLength(50);
    for (const refusal of refused) expect(isLedgerError(refusal.reason, 'insufficient_funds'), String(refusal.reason)).toBe(true);
    expect(await ledger.balance(wallet.id)).toMatchObject({ balance: 0n, available: 0n });
    expect((await ledger.balance(till.id)).balance).toBe(50_000n);

    const { rows } = await db.query<{ debits: bigint; credits: bigint; transfers: bigint; unbalanced: bigint }>(
      `SELECT coalesce(sum(-amount) FILTER (WHERE amount < 0), 0)::bigint AS debits,
              coalesce(sum(amount) FILTER (WHERE amount > 0), 0)::bigint AS credits,
              count(DISTINCT serial) AS transfers,
              (SELECT count(*) FROM (SELECT serial FROM ledger_entries GROUP BY serial, currency HAVING sum(amount) <> 0) u) AS unbalanced
       FROM ledger_entries`,
    );
    expect(rows[0]?.debits).toBe(rows[0]?.credits);
    expect(rows[0]?.unbalanced).toBe(0n);
    const serials = paid.map((result) => result.value.serial);
    expect(new Set(serials).size).toBe(50);
  });

  it('moves money once when the same ticket arrives 20 times at once', async () => {
    const { wallet, till, tag } = await openShop(ledger, { funded: 50_000n });
    const request = { idempotencyKey: `ticket:${tag}:same`, requestHash: 'h', lines: [debit(wallet.id, 1_000n), credit(till.id, 1_000n)] };
    const results = await Promise.all(Array.from({ length: 20 }, () => ledger.transfer(request)));
    expect(new Set(results.map((result) => result.serial)).size).toBe(1);
    expect(results.filter((result) => !result.replayed)).toHaveLength(1);
    expect((await ledger.balance(wallet.id)).balance).toBe(49_000n);
  });

  /**
   * Proof that payments to one merchant do not serialise: N payments from N customers to
   * one till are all written and held uncommitted at the same time. Each transaction sets
   * lock_timeout; if any payment had to update (or lock) a row another payment holds, it
   * would wait for a transaction that cannot end before it does, hit the timeout and
   * fail. The control case (two payments from the same wallet, whose balance row both
   * must update) shows the method does catch a shared row.
   */
  async function holdTogether(payments: ((tx: Transaction) => Promise<unknown>)[]): Promise<PromiseSettledResult<unknown>[]> {
    const allWritten = barrier(payments.length);
    return Promise.allSettled(
      payments.map((pay) =>
        db.transaction(
          async (tx) => {
            await tx.query(`SET LOCAL lock_timeout = '500ms'`);
            try {
              await pay(tx);
            } catch (error) {
              allWritten.fail(error);
              throw error;
            }
            await allWritten.arrive();
          },
          { maxRetries: 0 },
        ),
      ),
    );
  }

  it('holds 15 payments to one till in flight at once: no payment waits for another', async () => {
    const { till, funding, tag } = await openShop(ledger, { funded: 0n });
    const wallets = await Promise.all(
      Array.from({ length: 15 }, async (_, n) => {
        const wallet = await ledger.openAccount({ type: 'customer_wallet', ownerId: `c-${tag}-${n}`, currency: 'EUR', cap: 100_000n });
        await ledger.transfer({ idempotencyKey: `fund:${tag}:${n}`, lines: [debit(funding.id, 5_000n), credit(wallet.id, 5_000n)] });
        return wallet;
      }),
    );
    const results = await holdTogether(
      wallets.map(
        (wallet, n) => (tx: Transaction) =>
          createLedger(tx).transfer({ idempotencyKey: `hot:${tag}:${n}`, lines: [debit(wallet.id, 1_000n), credit(till.id, 1_000n)] }),
      ),
    );
    expect(results.map((result) => result.status)).toEqual(Array(15).fill('fulfilled'));
    expect((await ledger.balance(till.id)).balance).toBe(15_000n);
  });

  it('control: two payments from one wallet cannot be in flight together (the method sees a shared row)', async () => {
    const { wallet, till, tag } = await openShop(ledger, { funded: 5_000n });
    const results = await holdTogether(
      [1, 2].map(
        (n) => (tx: Transaction) =>
          createLedger(tx).transfer({
            idempotencyKey: `same-wallet:${tag}:${n}`,
            lines: [debit(wallet.id, 1_000n), credit(till.id, 1_000n)],
          }),
      ),
    );
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    expect(failures.map((failure) => sqlState((failure as Error).cause) ?? sqlState(failure))).toContain('55P03'); // lock_not_available
    expect((await ledger.balance(wallet.id)).balance).toBe(5_000n);
  });
});
