import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLedgerError } from '../ledger/errors.js';
import { type Account, credit, debit, type Transfer } from '../ledger/model.js';
import { rollUpBalances } from '../ledger/rollups.js';
import { createLedger, type Ledger } from '../ledger/service.js';
import { openShop } from '../ledger/test-fixtures.js';
import type { Database, Transaction } from '../storage/database.js';
import { constraintName } from '../storage/errors.js';
import { openTestDatabase, rolledBack, type TestDatabase, testDrivers } from '../storage/test-support.js';
import { type SealResult, sealAudit } from './seal.js';
import { type AuditFinding, type AuditReport, verifyAudit } from './verify.js';

const drivers = await testDrivers('payment-server audit register');

function has(report: AuditReport, ...expected: Partial<AuditFinding>[]) {
  expect(report.ok).toBe(false);
  expect(report.findings).toEqual(expect.arrayContaining(expected.map((finding) => expect.objectContaining(finding))));
}

describe.each(drivers)('audit register on %s', (driver) => {
  let handle: TestDatabase;
  let db: Database;
  let ledger: Ledger;

  beforeAll(async () => {
    handle = await openTestDatabase(driver, 'audit');
    db = handle.db;
    ledger = createLedger(db);
  });
  afterAll(() => handle.close());

  /**
   * Tampers as someone with direct database access would: with triggers (append-only
   * guards, foreign keys, balance updates) switched off for the session. Verifies inside
   * the same transaction, then rolls everything back.
   */
  function tampered(tamper: (tx: Transaction) => Promise<unknown>): Promise<AuditReport> {
    return rolledBack(db, async (tx) => {
      await tx.query(`SET LOCAL session_replication_role = replica`);
      await tamper(tx);
      return verifyAudit(tx);
    });
  }

  it('verifies an empty register, and sealing it seals nothing', async () => {
    expect(await verifyAudit(db)).toEqual({
      ok: true,
      findings: [],
      batches: 0,
      sealedTransfers: 0,
      unsealedTransfers: 0,
      answers: 0,
      head: null,
    });
    expect(await sealAudit(db)).toEqual({ busy: false, highWater: 0n, batches: [] });
  });

  describe('after payments', () => {
    let wallet: Account;
    let till: Account;
    let payment: Transfer;
    let firstSeal: SealResult;

    beforeAll(async () => {
      const shop = await openShop(ledger, { funded: 10_000n });
      ({ wallet, till } = shop);
      payment = await ledger.transfer({
        idempotencyKey: `ticket:${shop.tag}:1`,
        requestHash: 'ticket-hash',
        lines: [debit(wallet.id, 1_000n), credit(till.id, 1_000n)],
        metadata: { ticket: '1' },
      });
      const refusal = await ledger
        .transfer({ idempotencyKey: `ticket:${shop.tag}:2`, lines: [debit(wallet.id, 99_000n), credit(till.id, 99_000n)] })
        .catch((error: unknown) => error);
      expect(isLedgerError(refusal, 'insufficient_funds')).toBe(true); // leaves a gap in the serials
      await ledger.transfer({ idempotencyKey: `ticket:${shop.tag}:3`, lines: [debit(wallet.id, 500n), credit(till.id, 500n)] });
      const escrow = await ledger.createPending({
        idempotencyKey: `escrow:${shop.tag}`,
        lines: [debit(wallet.id, 700n), credit(till.id, 700n)],
      });
      await ledger.postPending(escrow.id);
      const hold = await ledger.createPending({
        idempotencyKey: `hold:${shop.tag}`,
        lines: [debit(wallet.id, 300n), credit(till.id, 300n)],
      });
      await ledger.voidPending(hold.id);
      await rollUpBalances(db);
      firstSeal = await sealAudit(db, { maxBatchSize: 2 });
    });

    it('seals every committed transfer in hash-linked batches', async () => {
      expect(firstSeal.busy).toBe(false);
      expect(firstSeal.batches.map((batch) => batch.transferCount)).toEqual([2, 2]);
      expect(firstSeal.batches[0]?.prevHash).toBe('0'.repeat(64));
      expect(firstSeal.batches[1]?.prevHash).toBe(firstSeal.batches[0]?.hash);
      const report = await verifyAudit(db);
      expect(report).toMatchObject({ ok: true, findings: [], batches: 2, sealedTransfers: 4, unsealedTransfers: 0 });
      expect(report.head).toEqual({ seq: 2n, hash: firstSeal.batches[1]?.hash });
    });

    it('detects an edited amount: which transfer, which line, what it was', async () => {
      const walletLine = payment.lines.find((line) => line.accountId === wallet.id);
      const report = await tampered((tx) =>
        tx.query('UPDATE ledger_entries SET amount = -9000 WHERE serial = $1 AND account_id = $2', [payment.serial, wallet.id]),
      );
      expect(walletLine?.amount).toBe(-1_000n);
      has(
        report,
        { kind: 'line_edited', serial: payment.serial, accountId: wallet.id, field: 'amount', expected: '-1000', actual: '-9000' },
        { kind: 'transfer_unbalanced', serial: payment.serial, field: 'EUR', actual: '-8000' },
        { kind: 'balance_mismatch', accountId: wallet.id, field: 'balance' },
      );
    });

    it('detects a transfer inserted into a sealed range', async () => {
      const report = await tampered(async (tx) => {
        const { rows } = await tx.query<{ serial: bigint }>(
          `SELECT s AS serial FROM generate_series(1::bigint, $1::bigint) s
           WHERE NOT EXISTS (SELECT 1 FROM ledger_transfers WHERE serial = s) ORDER BY s LIMIT 1`,
          [firstSeal.highWater],
        );
        const serial = rows[0]?.serial;
        if (serial === undefined) throw new Error('expected a gap in the sealed serials');
        await tx.query(`INSERT INTO ledger_transfers (serial, idempotency_key, request_hash) VALUES ($1, 'forged', 'x')`, [serial]);
        await tx.query('INSERT INTO ledger_entries (serial, account_id, currency, amount) VALUES ($1, $2, $4, -100), ($1, $3, $4, 100)', [
          serial,
          till.id,
          wallet.id,
          'EUR',
        ]);
        return serial;
      });
      has(report, { kind: 'transfer_inserted', batch: expect.any(BigInt) });
    });

    it('detects a deleted line and a deleted transfer', async () => {
      has(await tampered((tx) => tx.query('DELETE FROM ledger_entries WHERE serial = $1 AND account_id = $2', [payment.serial, till.id])), {
        kind: 'line_deleted',
        serial: payment.serial,
        accountId: till.id,
        expected: '1000',
      });
      has(
        await tampered(async (tx) => {
          await tx.query('DELETE FROM ledger_entries WHERE serial = $1', [payment.serial]);
          await tx.query('DELETE FROM ledger_transfers WHERE serial = $1', [payment.serial]);
        }),
        { kind: 'transfer_deleted', serial: payment.serial },
      );
    });

    it('detects edited transfer fields and a re-pointed account', async () => {
      has(
        await tampered((tx) =>
          tx.query(
            `UPDATE ledger_transfers SET metadata = '{"ticket":"2"}', created_at = created_at - interval '1 day' WHERE serial = $1`,
            [payment.serial],
          ),
        ),
        { kind: 'transfer_edited', serial: payment.serial, field: 'metadata', expected: '{"ticket": "1"}', actual: '{"ticket": "2"}' },
        { kind: 'transfer_edited', serial: payment.serial, field: 'createdAt' },
      );
      has(await tampered((tx) => tx.query(`UPDATE ledger_accounts SET owner_id = 'merchant-thief' WHERE id = $1`, [till.id])), {
        kind: 'line_edited',
        serial: payment.serial,
        accountId: till.id,
        field: 'owner',
        actual: 'merchant-thief',
      });
    });

    it('detects tampering with the seals themselves', async () => {
      has(
        await tampered((tx) =>
          tx.query(`UPDATE audit_sealed_transfers SET encoding = replace(encoding, '"-1000"', '"-9000"') WHERE serial = $1`, [
            payment.serial,
          ]),
        ),
        { kind: 'batch_tampered', batch: 1n },
      );
      has(
        await tampered((tx) => tx.query(`UPDATE audit_batches SET hash = repeat('a', 64) WHERE seq = 1`)),
        { kind: 'batch_tampered', batch: 1n },
        { kind: 'chain_broken', batch: 2n },
      );
      has(
        await tampered(async (tx) => {
          await tx.query('DELETE FROM audit_sealed_transfers WHERE batch_seq = 1');
          await tx.query('DELETE FROM audit_batches WHERE seq = 1');
        }),
        { kind: 'batch_missing', batch: 2n },
        { kind: 'chain_broken', batch: 2n },
      );
    });

    it('detects the newest batches removed with their rows, given an anchor kept outside', async () => {
      const head = (await verifyAudit(db)).head;
      if (head === null) throw new Error('no head');
      const report = await tampered(async (tx) => {
        const { rows } = await tx.query<{ serial: bigint }>('SELECT serial FROM audit_sealed_transfers WHERE batch_seq = $1', [head.seq]);
        const serials = rows.map((row) => row.serial.toString());
        await tx.query('DELETE FROM ledger_entries WHERE serial = ANY($1::int8[])', [serials]);
        await tx.query('DELETE FROM ledger_transfers WHERE serial = ANY($1::int8[])', [serials]);
        await tx.query('DELETE FROM audit_sealed_transfers WHERE batch_seq = $1', [head.seq]);
        await tx.query('DELETE FROM audit_batches WHERE seq = $1', [head.seq]);
      });
      // Without the anchor the shorter chain is self-consistent; the wallet's balance row
      // still gives the deletion away here, but the anchor is what proves it in general.
      expect(report.findings.filter((finding) => finding.kind.startsWith('batch') || finding.kind === 'chain_broken')).toEqual([]);
      const anchored = await rolledBack(db, async (tx) => {
        await tx.query(`SET LOCAL session_replication_role = replica`);
        await tx.query('DELETE FROM audit_sealed_transfers WHERE batch_seq = $1', [head.seq]);
        await tx.query('DELETE FROM audit_batches WHERE seq = $1', [head.seq]);
        return verifyAudit(tx, { expectedHead: head });
      });
      has(anchored, { kind: 'head_mismatch', batch: head.seq, expected: head.hash, actual: null });
    });

    it('checks transfers not sealed yet: balance, serial issued, lines without a transfer', async () => {
      const report = await tampered(async (tx) => {
        await tx.query(`INSERT INTO ledger_transfers (serial, idempotency_key, request_hash) VALUES (900000000, 'beyond', 'x')`);
        await tx.query(`INSERT INTO ledger_entries (serial, account_id, currency, amount) VALUES (900000000, $1, 'EUR', 5)`, [till.id]);
        await tx.query(`INSERT INTO ledger_entries (serial, account_id, currency, amount) VALUES (900000001, $1, 'EUR', 5)`, [till.id]);
      });
      has(
        report,
        { kind: 'transfer_inserted', serial: 900_000_000n },
        { kind: 'transfer_unbalanced', serial: 900_000_000n, actual: '5' },
        { kind: 'line_inserted', serial: 900_000_001n, accountId: till.id },
      );
    });

    it('detects a balance row or a roll-up that disagrees with the entries', async () => {
      has(await tampered((tx) => tx.query('UPDATE ledger_balances SET balance = balance + 1000 WHERE account_id = $1', [wallet.id])), {
        kind: 'balance_mismatch',
        accountId: wallet.id,
        field: 'balance',
        actual: '8800',
        expected: '7800',
      });
      has(await tampered((tx) => tx.query('UPDATE ledger_rollups SET balance = balance + 1 WHERE account_id = $1', [till.id])), {
        kind: 'rollup_mismatch',
        accountId: till.id,
      });
    });

    it('refuses a batch that does not extend the chain', async () => {
      const error = await db
        .query(
          `INSERT INTO audit_batches (seq, last_serial, transfer_count, prev_hash, hash) VALUES (3, 1000000, 1, repeat('0', 64), repeat('b', 64))`,
        )
        .catch((failure: unknown) => failure);
      expect(constraintName(error)).toBe('audit_batches_chain');
    });

    it('seals only what is new, linked to the previous head', async () => {
      expect((await sealAudit(db)).batches).toEqual([]);
      const head = (await verifyAudit(db)).head;
      await ledger.transfer({ idempotencyKey: `late:${wallet.id}`, lines: [debit(wallet.id, 100n), credit(till.id, 100n)] });
      const { batches } = await sealAudit(db);
      expect(batches).toHaveLength(1);
      expect(batches[0]?.prevHash).toBe(head?.hash);
      expect(await verifyAudit(db)).toMatchObject({ ok: true, unsealedTransfers: 0 });
    });

    it('is still clean: every tampering above was rolled back', async () => {
      expect(await verifyAudit(db)).toMatchObject({ ok: true, findings: [] });
    });
  });
});
