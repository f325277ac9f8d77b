import type { Executor, Queryable, Transaction } from '../storage/database.js';
import { LedgerError } from './errors.js';
import type { Transfer, TransferInput } from './model.js';
import { movementRequest } from './request-hash.js';
import { type LineRow, toLine, toMetadata } from './rows.js';
import * as check from './validate.js';
import { DEFERRED, read, write } from './write.js';

/**
 * One statement: the transfer row (skipped if the key exists) and its entries. The
 * database assigns the serial, copies each account's currency, moves tracked balances
 * (floor and cap checked there) and checks the balance per currency at commit.
 * Entries go in account order, so transfers touching several wallets lock them in the
 * same order and do not deadlock.
 */
const INSERT_TRANSFER = `
WITH transfer AS (
  INSERT INTO ledger_transfers (idempotency_key, request_hash, metadata)
  VALUES ($1, $2, $3::text::jsonb)
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING serial, created_at
), entries AS (
  INSERT INTO ledger_entries (serial, account_id, amount)
  SELECT transfer.serial, line.account_id, line.amount
  FROM transfer, unnest($4::uuid[], $5::int8[]) AS line (account_id, amount)
  ORDER BY line.account_id
  RETURNING serial, account_id, currency, amount
)
SELECT transfer.serial, transfer.created_at, entries.account_id, entries.currency, entries.amount
FROM transfer JOIN entries ON entries.serial = transfer.serial
ORDER BY entries.account_id`;

export interface TransferRow {
  serial: bigint;
  idempotency_key: string | null;
  pending_id: string | null;
  request_hash: string;
  metadata: unknown;
  created_at: Date;
}

export const TRANSFER_COLUMNS = 'serial, idempotency_key, pending_id, request_hash, metadata, created_at';

export async function withLines(db: Queryable, row: TransferRow, replayed: boolean): Promise<Transfer> {
  const { rows } = await db.query<LineRow>(
    'SELECT account_id, currency, amount FROM ledger_entries WHERE serial = $1 ORDER BY account_id',
    [row.serial],
  );
  return {
    serial: row.serial,
    idempotencyKey: row.idempotency_key,
    pendingId: row.pending_id,
    lines: rows.map(toLine),
    metadata: toMetadata(row.metadata),
    createdAt: row.created_at,
    replayed,
  };
}

/**
 * Moves money: all lines or none. Idempotent by key: the same key with the same content
 * returns the first transfer (`replayed: true`), with other content fails with
 * `idempotency_conflict`. A refused transfer writes nothing.
 */
export async function transfer(executor: Executor, input: TransferInput): Promise<Transfer> {
  const { key, hash, metadataJson, params } = movementRequest('transfer', input);

  return write(executor, DEFERRED.transfer, async (tx) => {
    const { rows } = await tx.query<{ serial: bigint; created_at: Date } & LineRow>(INSERT_TRANSFER, params);
    const first = rows[0];
    if (first !== undefined) {
      return {
        serial: first.serial,
        idempotencyKey: key,
        pendingId: null,
        lines: rows.map(toLine),
        metadata: JSON.parse(metadataJson),
        createdAt: first.created_at,
        replayed: false,
      };
    }
    return replay(tx, key, hash);
  });
}

async function replay(tx: Transaction, key: string, hash: string): Promise<Transfer> {
  const { rows } = await tx.query<TransferRow>(`SELECT ${TRANSFER_COLUMNS} FROM ledger_transfers WHERE idempotency_key = $1`, [key]);
  const existing = rows[0];
  if (existing === undefined) throw new Error('ledger: idempotency key conflicted but no transfer holds it (transfers are never deleted)');
  if (existing.request_hash !== hash) {
    throw new LedgerError('idempotency_conflict', 'This idempotency key was used for another transfer.', {
      details: { serial: existing.serial.toString() },
    });
  }
  return withLines(tx, existing, true);
}

export async function getTransfer(db: Queryable, serial: bigint): Promise<Transfer | undefined> {
  if (typeof serial !== 'bigint') throw new LedgerError('invalid_request', 'A register serial is a bigint.');
  return read(async () => {
    const { rows } = await db.query<TransferRow>(`SELECT ${TRANSFER_COLUMNS} FROM ledger_transfers WHERE serial = $1`, [serial]);
    return rows[0] === undefined ? undefined : withLines(db, rows[0], false);
  });
}

/** Finds the transfer made under an idempotency key, without making one. */
export async function findTransfer(db: Queryable, idempotencyKey: string): Promise<Transfer | undefined> {
  const key = check.idempotencyKey(idempotencyKey);
  return read(async () => {
    const { rows } = await db.query<TransferRow>(`SELECT ${TRANSFER_COLUMNS} FROM ledger_transfers WHERE idempotency_key = $1`, [key]);
    return rows[0] === undefined ? undefined : withLines(db, rows[0], false);
  });
}
