import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Transaction } from '../storage/database.js';
import { constraintName } from '../storage/errors.js';
import { MIGRATIONS } from '../storage/migrations/index.js';
import { openTestDatabase, rolledBack, type TestDatabase, testDrivers } from '../storage/test-support.js';
import { CONSTRAINT_CODES } from './errors.js';
import { createLedger, type Ledger } from './service.js';
import { openShop } from './test-fixtures.js';

const drivers = await testDrivers('payment-server ledger schema');

/**
 * These tests write SQL by hand, as a bug, a second service or an operator's psql session
 * would: each rule must hold without the TypeScript layer.
 */
describe.each(drivers)('ledger schema on %s', (driver) => {
  let handle: TestDatabase;
  let db: Database;
  let ledger: Ledger;

  beforeAll(async () => {
    handle = await openTestDatabase(driver, 'ledger_schema');
    db = handle.db;
    ledger = createLedger(db);
  });
  afterAll(() => handle.close());

  /** Runs `fn` in a transaction that must fail (at any statement or at commit) on `constraint`. */
  async function refusedBy(constraint: string, fn: (tx: Transaction) => Promise<unknown>): Promise<void> {
    const error = await db.transaction(fn).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(constraintName(error), String(error)).toBe(constraint);
  }

  async function insertTransfer(tx: Transaction, key: string): Promise<bigint> {
    const { rows } = await tx.query<{ serial: bigint }>(
      `INSERT INTO ledger_transfers (idempotency_key, request_hash) VALUES ($1, 'x') RETURNING serial`,
      [key],
    );
    const serial = rows[0]?.serial;
    if (serial === undefined) throw new Error('no serial');
    return serial;
  }

  it('refuses at commit a transfer whose lines do not sum to zero', async () => {
    const { wallet, till, tag } = await openShop(ledger);
    await refusedBy('ledger_transfers_balanced', async (tx) => {
      const serial = await insertTransfer(tx, `raw:${tag}`);
      await tx.query('INSERT INTO ledger_entries (serial, account_id, amount) VALUES ($1, $2, -100), ($1, $3, 99)', [
        serial,
        wallet.id,
        till.id,
      ]);
    });
    expect(await ledger.findTransfer(`raw:${tag}`)).toBeUndefined();
    expect((await ledger.balance(wallet.id)).balance).toBe(50_000n);
  });

  it('refuses at commit a transfer without lines', async () => {
    await refusedBy('ledger_transfers_has_lines', (tx) => insertTransfer(tx, 'raw:no-lines'));
  });

  it('refuses an entry that would take a wallet below zero or above its cap', async () => {
    const { wallet, till, funding, tag } = await openShop(ledger, { funded: 100n, cap: 1_000n });
    await refusedBy('ledger_balances_floor', async (tx) => {
      const serial = await insertTransfer(tx, `raw-floor:${tag}`);
      await tx.query('INSERT INTO ledger_entries (serial, account_id, amount) VALUES ($1, $2, -101), ($1, $3, 101)', [
        serial,
        wallet.id,
        till.id,
      ]);
    });
    await refusedBy('ledger_balances_cap', async (tx) => {
      const serial = await insertTransfer(tx, `raw-cap:${tag}`);
      await tx.query('INSERT INTO ledger_entries (serial, account_id, amount) VALUES ($1, $2, -901), ($1, $3, 901)', [
        serial,
        funding.id,
        wallet.id,
      ]);
    });
  });

  it('refuses to move a wallet balance except through entries', async () => {
    const { wallet } = await openShop(ledger);
    await refusedBy('ledger_balances_derived', (tx) =>
      tx.query('UPDATE ledger_balances SET balance = balance + 1000000 WHERE account_id = $1', [wallet.id]),
    );
    await refusedBy('ledger_balances_derived', (tx) =>
      tx.query('UPDATE ledger_balances SET pending_credits = pending_credits + 5 WHERE account_id = $1', [wallet.id]),
    );
  });

  it('never updates nor deletes journal rows', async () => {
    const { wallet, till, tag } = await openShop(ledger);
    const paid = await ledger.transfer({
      idempotencyKey: `immutable:${tag}`,
      lines: [
        { accountId: wallet.id, amount: -5n },
        { accountId: till.id, amount: 5n },
      ],
    });
    const attempts = [
      'UPDATE ledger_entries SET amount = amount * 2 WHERE serial = $1',
      'DELETE FROM ledger_entries WHERE serial = $1',
      'UPDATE ledger_transfers SET serial = serial + 1000000 WHERE serial = $1',
      'DELETE FROM ledger_transfers WHERE serial = $1',
    ];
    await refusedBy('ledger_append_only', (tx) =>
      tx.query('UPDATE ledger_accounts SET owner_id = $2 WHERE id = $1', [till.id, 'someone-else']),
    );
    for (const sql of attempts) await refusedBy('ledger_append_only', (tx) => tx.query(sql, [paid.serial]));
    for (const table of ['ledger_entries', 'ledger_transfers', 'ledger_accounts', 'ledger_pending_resolutions']) {
      await refusedBy('ledger_append_only', (tx) => tx.query(`TRUNCATE ${table} CASCADE`));
    }
  });

  it('assigns the register serial itself, whatever the writer asks for', async () => {
    const serial = await rolledBack(db, async (tx) => {
      const { rows } = await tx.query<{ serial: bigint }>(
        `INSERT INTO ledger_transfers (serial, idempotency_key, request_hash) VALUES (1, 'raw:serial', 'x') RETURNING serial`,
      );
      return rows[0]?.serial;
    });
    expect(serial).not.toBe(1n);
    expect(serial).toBeGreaterThan(1n);
  });

  it('resolves a pending transfer at most once, whoever writes the resolution', async () => {
    const { wallet, till, tag } = await openShop(ledger);
    const pending = await ledger.createPending({
      idempotencyKey: `raw-pending:${tag}`,
      lines: [
        { accountId: wallet.id, amount: -5n },
        { accountId: till.id, amount: 5n },
      ],
    });
    await ledger.voidPending(pending.id);
    await refusedBy('ledger_pending_resolved', (tx) =>
      tx.query(`INSERT INTO ledger_pending_resolutions (pending_id, outcome) VALUES ($1, 'voided')`, [pending.id]),
    );
    const other = await ledger.createPending({
      idempotencyKey: `raw-pending2:${tag}`,
      lines: [
        { accountId: wallet.id, amount: -5n },
        { accountId: till.id, amount: 5n },
      ],
    });
    await refusedBy('ledger_pending_posting', (tx) =>
      tx.query(`INSERT INTO ledger_pending_resolutions (pending_id, outcome) VALUES ($1, 'posted')`, [other.id]),
    );
  });

  it('keeps shared accounts free of any row a payment would update', async () => {
    const { till, funding, wallet } = await openShop(ledger);
    const { rows } = await db.query<{ account_id: string }>('SELECT account_id FROM ledger_balances WHERE account_id = ANY($1::uuid[])', [
      [till.id, funding.id, wallet.id],
    ]);
    expect(rows).toEqual([{ account_id: wallet.id }]);
    // No foreign key points at ledger_accounts from the journal: a foreign key check would
    // lock the till's account row (FOR KEY SHARE) in every payment.
    const { rows: references } = await db.query<{ table: string }>(
      `SELECT conrelid::regclass::text AS table FROM pg_constraint
       WHERE contype = 'f' AND confrelid = 'ledger_accounts'::regclass ORDER BY 1`,
    );
    expect(references.map((row) => row.table)).toEqual(['ledger_balances', 'ledger_rollups']);
  });

  it('names in the error map only constraints the migrations define', () => {
    const schema = MIGRATIONS.map((migration) => migration.sql).join('\n');
    for (const constraint of Object.keys(CONSTRAINT_CODES)) expect(schema, constraint).toMatch(new RegExp(`\\b${constraint}\\b`));
  });
});
