import type { Executor, Queryable } from '../storage/database.js';
import { isLedgerError, LedgerError } from './errors.js';
import type { PendingStatus, PendingTransfer, Transfer, TransferInput } from './model.js';
import { movementRequest } from './request-hash.js';
import { type LineRow, toLine, toMetadata } from './rows.js';
import { TRANSFER_COLUMNS, type TransferRow, withLines } from './transfers.js';
import * as check from './validate.js';
import { DEFERRED, read, write } from './write.js';

/**
 * Pending transfers: money promised but not yet moved (escrow until delivery, a bank
 * authorisation awaiting reconciliation). Creating one reserves its debits against the
 * floor and its credits against the cap of tracked accounts; it is then resolved exactly
 * once — posted (the same lines become a transfer in the register) or voided (the
 * reservation is released). "Exactly once" is the primary key of
 * `ledger_pending_resolutions`, not a check in this file.
 */

const INSERT_PENDING = `
WITH pending AS (
  INSERT INTO ledger_pending (idempotency_key, request_hash, metadata)
  VALUES ($1, $2, $3::text::jsonb)
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id, created_at
), lines AS (
  INSERT INTO ledger_pending_lines (pending_id, account_id, amount)
  SELECT pending.id, line.account_id, line.amount
  FROM pending, unnest($4::uuid[], $5::int8[]) AS line (account_id, amount)
  ORDER BY line.account_id
  RETURNING pending_id, account_id, currency, amount
)
SELECT pending.id, pending.created_at, lines.account_id, lines.currency, lines.amount
FROM pending JOIN lines ON lines.pending_id = pending.id
ORDER BY lines.account_id`;

/** The resolution row first: its trigger releases the reservation before the entries apply. */
const POST_TRANSFER = `
WITH transfer AS (
  INSERT INTO ledger_transfers (pending_id, request_hash, metadata)
  SELECT id, request_hash, metadata FROM ledger_pending WHERE id = $1
  RETURNING serial
)
INSERT INTO ledger_entries (serial, account_id, amount)
SELECT transfer.serial, l.account_id, l.amount
FROM transfer, ledger_pending_lines l
WHERE l.pending_id = $1
ORDER BY l.account_id
RETURNING serial`;

interface PendingRow {
  id: string;
  idempotency_key: string;
  request_hash: string;
  metadata: unknown;
  created_at: Date;
  outcome: 'posted' | 'voided' | null;
  resolved_at: Date | null;
  serial: bigint | null;
}

const SELECT_PENDING = `
SELECT p.id, p.idempotency_key, p.request_hash, p.metadata, p.created_at,
       r.outcome, r.created_at AS resolved_at, t.serial
FROM ledger_pending p
LEFT JOIN ledger_pending_resolutions r ON r.pending_id = p.id
LEFT JOIN ledger_transfers t ON t.pending_id = p.id`;

async function loadPending(
  db: Queryable,
  where: 'id' | 'key',
  value: string,
  replayed = false,
): Promise<(PendingTransfer & { requestHash: string }) | undefined> {
  const { rows } = await db.query<PendingRow>(`${SELECT_PENDING} WHERE ${where === 'id' ? 'p.id' : 'p.idempotency_key'} = $1`, [value]);
  const row = rows[0];
  if (row === undefined) return undefined;
  const lines = await db.query<LineRow>(
    'SELECT account_id, currency, amount FROM ledger_pending_lines WHERE pending_id = $1 ORDER BY account_id',
    [row.id],
  );
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    status: (row.outcome ?? 'pending') satisfies PendingStatus,
    lines: lines.rows.map(toLine),
    metadata: toMetadata(row.metadata),
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
    serial: row.serial,
    replayed,
    requestHash: row.request_hash,
  };
}

function publicView({ requestHash: _, ...pending }: PendingTransfer & { requestHash: string }): PendingTransfer {
  return pending;
}

/** Creates a pending transfer; idempotent by key like {@link transfer}. */
export async function createPending(executor: Executor, input: TransferInput): Promise<PendingTransfer> {
  const { key, hash, metadataJson, params } = movementRequest('pending', input);

  return write(executor, DEFERRED.pending, async (tx) => {
    const { rows } = await tx.query<{ id: string; created_at: Date } & LineRow>(INSERT_PENDING, params);
    const first = rows[0];
    if (first !== undefined) {
      return {
        id: first.id,
        idempotencyKey: key,
        status: 'pending',
        lines: rows.map(toLine),
        metadata: JSON.parse(metadataJson),
        createdAt: first.created_at,
        resolvedAt: null,
        serial: null,
        replayed: false,
      };
    }
    const existing = await loadPending(tx, 'key', key, true);
    if (existing === undefined) throw new Error('ledger: pending key conflicted but no pending transfer holds it (never deleted)');
    if (existing.requestHash !== hash) {
      throw new LedgerError('idempotency_conflict', 'This idempotency key was used for another pending transfer.', {
        details: { pendingId: existing.id },
      });
    }
    return publicView(existing);
  });
}

/**
 * When a resolution is refused because one exists, says which, so a caller retrying after
 * a crash can tell "I already posted it" from "someone voided it".
 */
async function explainResolved(executor: Executor, error: unknown, id: string): Promise<unknown> {
  if (!isLedgerError(error, 'pending_already_resolved')) return error;
  const current = await loadPending(executor, 'id', id);
  if (current === undefined) return error;
  const details: Record<string, string> = { pendingId: id, outcome: current.status };
  if (current.serial !== null) details.serial = current.serial.toString();
  return new LedgerError('pending_already_resolved', `The pending transfer was already ${current.status}.`, {
    cause: error.cause,
    details,
  });
}

/** Posts a pending transfer: its lines become a transfer in the register. */
export async function postPending(executor: Executor, id: string): Promise<Transfer> {
  if (!check.isUuid(id)) throw new LedgerError('pending_not_found');
  try {
    return await write(executor, DEFERRED.post, async (tx) => {
      await tx.query(`INSERT INTO ledger_pending_resolutions (pending_id, outcome) VALUES ($1, 'posted')`, [id]);
      const { rows } = await tx.query<{ serial: bigint }>(POST_TRANSFER, [id]);
      const serial = rows[0]?.serial;
      if (serial === undefined) throw new Error('ledger: a pending transfer without lines was posted (the database refuses those)');
      const posted = await tx.query<TransferRow>(`SELECT ${TRANSFER_COLUMNS} FROM ledger_transfers WHERE serial = $1`, [serial]);
      return withLines(tx, posted.rows[0] as TransferRow, false);
    });
  } catch (error) {
    throw await explainResolved(executor, error, id);
  }
}

/** Voids a pending transfer: nothing moves and its reservation is released. */
export async function voidPending(executor: Executor, id: string): Promise<PendingTransfer> {
  if (!check.isUuid(id)) throw new LedgerError('pending_not_found');
  try {
    return await write(executor, DEFERRED.void, async (tx) => {
      await tx.query(`INSERT INTO ledger_pending_resolutions (pending_id, outcome) VALUES ($1, 'voided')`, [id]);
      const voided = await loadPending(tx, 'id', id);
      if (voided === undefined) throw new LedgerError('pending_not_found');
      return publicView(voided);
    });
  } catch (error) {
    throw await explainResolved(executor, error, id);
  }
}

export async function getPending(db: Queryable, id: string): Promise<PendingTransfer> {
  if (!check.isUuid(id)) throw new LedgerError('pending_not_found');
  const pending = await read(() => loadPending(db, 'id', id));
  if (pending === undefined) throw new LedgerError('pending_not_found');
  return publicView(pending);
}
