import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase, testDrivers } from '../storage/test-support.js';
import { checkLedgerInvariants } from './invariants.js';
import { credit, debit } from './model.js';
import { createLedger } from './service.js';
import { openShop } from './test-fixtures.js';

describe.each(await testDrivers('ledger invariants'))('checkLedgerInvariants on %s', (driver) => {
  let handle: TestDatabase;
  beforeAll(async () => {
    handle = await openTestDatabase(driver, 'ledger_invariants');
  });
  afterAll(async () => handle?.close());

  it('holds after transfers and pending transfers posted and voided', async () => {
    const ledger = createLedger(handle.db);
    const shop = await openShop(ledger);
    await ledger.transfer({ idempotencyKey: `pay:${shop.tag}`, lines: [debit(shop.wallet.id, 1000n), credit(shop.till.id, 1000n)] });
    const posted = await ledger.createPending({
      idempotencyKey: `held:${shop.tag}:1`,
      lines: [debit(shop.wallet.id, 500n), credit(shop.till.id, 500n)],
    });
    const voided = await ledger.createPending({
      idempotencyKey: `held:${shop.tag}:2`,
      lines: [debit(shop.wallet.id, 700n), credit(shop.till.id, 700n)],
    });
    await ledger.createPending({ idempotencyKey: `held:${shop.tag}:3`, lines: [debit(shop.wallet.id, 300n), credit(shop.till.id, 300n)] });
    await ledger.postPending(posted.id);
    await ledger.voidPending(voided.id);
    expect(await checkLedgerInvariants(handle.db)).toEqual({ ok: true, findings: [] });
  });

  it('reports a broken journal: an unbalanced transfer slipped in with the triggers off', async () => {
    if (driver !== 'postgres') return; // needs session_replication_role, a superuser setting of a real server
    const ledger = createLedger(handle.db);
    const shop = await openShop(ledger);
    await handle.db.transaction(async (tx) => {
      await tx.query(`SET LOCAL session_replication_role = replica`);
      const { rows } = await tx.query<{ serial: bigint }>(
        `INSERT INTO ledger_transfers (serial, idempotency_key, request_hash) VALUES (nextval('ledger_register_serial'), $1, 'x') RETURNING serial`,
        [`broken:${shop.tag}`],
      );
      await tx.query(`INSERT INTO ledger_entries (serial, account_id, currency, amount) VALUES ($1, $2, 'EUR', 5)`, [
        rows[0]?.serial,
        shop.till.id,
      ]);
    });
    const report = await checkLedgerInvariants(handle.db);
    expect(report.ok).toBe(false);
    expect(report.findings.map((finding) => finding.invariant)).toEqual(
      expect.arrayContaining(['currency_unbalanced', 'transfer_unbalanced']),
    );
  });
});
