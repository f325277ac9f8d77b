import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credit, debit, type Transfer } from '../ledger/model.js';
import { createLedger, type Ledger } from '../ledger/service.js';
import { openShop } from '../ledger/test-fixtures.js';
import type { Database } from '../storage/database.js';
import { openTestDatabase, type TestDatabase, testDrivers } from '../storage/test-support.js';
import { sealAudit } from './seal.js';
import { verifyAudit } from './verify.js';

const drivers = await testDrivers('payment-server audit concurrency');

describe.runIf(drivers.includes('postgres'))('audit register under concurrency on postgres', () => {
  let handle: TestDatabase;
  let db: Database;
  let ledger: Ledger;

  beforeAll(async () => {
    handle = await openTestDatabase('postgres', 'audit_concurrency', { poolSize: 16 });
    db = handle.db;
    ledger = createLedger(db);
  });
  afterAll(() => handle.close());

  it('never seals past a transfer still in flight, even when a later serial has committed', async () => {
    const { wallet, till, tag } = await openShop(ledger);
    const other = await openShop(ledger); // another customer: the fast payment must not wait on the slow one's wallet row
    await sealAudit(db);
    let written!: () => void;
    const slowWritten = new Promise<void>((resolve) => {
      written = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The slow payment draws its serial first and stays open; the fast one draws a later
    // serial and commits.
    const slow = db.transaction(async (tx) => {
      const transfer = await createLedger(tx).transfer({
        idempotencyKey: `slow:${tag}`,
        lines: [debit(wallet.id, 100n), credit(till.id, 100n)],
      });
      written();
      await released;
      return transfer;
    });
    await Promise.race([slowWritten, slow]);
    const fast = await ledger.transfer({ idempotencyKey: `fast:${tag}`, lines: [debit(other.wallet.id, 100n), credit(till.id, 100n)] });

    const whileInFlight = await sealAudit(db, { timeoutMs: 50 });
    expect(whileInFlight).toEqual({ busy: true, highWater: null, batches: [] });

    release();
    const committed: Transfer = await slow;
    expect(committed.serial).toBeLessThan(fast.serial);
    const after = await sealAudit(db);
    expect(after.busy).toBe(false);
    expect(after.highWater).toBeGreaterThanOrEqual(fast.serial);
    expect(await verifyAudit(db)).toMatchObject({ ok: true, unsealedTransfers: 0 });
  });

  it('seals repeatedly while 200 payments run, and the register verifies clean', async () => {
    const { till, funding, tag } = await openShop(ledger, { funded: 0n });
    const wallets = await Promise.all(
      Array.from({ length: 20 }, async (_, n) => {
        const wallet = await ledger.openAccount({ type: 'customer_wallet', ownerId: `c-${tag}-${n}`, currency: 'EUR', cap: 100_000n });
        await ledger.transfer({ idempotencyKey: `fund:${tag}:${n}`, lines: [debit(funding.id, 10_000n), credit(wallet.id, 10_000n)] });
        return wallet;
      }),
    );
    let done = false;
    const payments = Promise.all(
      Array.from({ length: 200 }, (_, n) => {
        const wallet = wallets[n % wallets.length];
        if (wallet === undefined) throw new Error('no wallet');
        return ledger.transfer({ idempotencyKey: `pay:${tag}:${n}`, lines: [debit(wallet.id, 10n), credit(till.id, 10n)] });
      }),
    ).finally(() => {
      done = true;
    });
    let rounds = 0;
    while (!done) {
      await sealAudit(db, { timeoutMs: 1_000, maxBatchSize: 25 });
      rounds++;
    }
    await payments;
    expect((await sealAudit(db)).busy).toBe(false);
    const report = await verifyAudit(db);
    expect(report).toMatchObject({ ok: true, findings: [], unsealedTransfers: 0 });
    const { rows } = await db.query<{ count: bigint }>('SELECT count(*) AS count FROM ledger_transfers');
    expect(BigInt(report.sealedTransfers)).toBe(rows[0]?.count);
    expect(rounds).toBeGreaterThan(0);
    expect((await ledger.balance(till.id)).balance).toBe(2_000n);
  });
});
