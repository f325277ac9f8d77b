import { createHash } from 'node:crypto';
import {
  AUDIT_ENCODING_VERSION,
  AUDIT_ZERO_HASH,
  type AuditLineRecord,
  type AuditTransferRecord,
  auditBatchPreimage,
  canonicalJson,
} from '@caisse/protocol';
import type { Queryable } from '../storage/database.js';

/**
 * What the register seals: each transfer with its lines and the identity of each line's
 * account, as RFC 8785 canonical JSON with every value a string (amounts and serials in
 * decimal, timestamps in UTC to the microsecond, metadata as PostgreSQL's own jsonb text).
 * The sealer and the verifier both build it with this file, from the rows as they are.
 * The record and the batch hash are the protocol's (`auditTransferRecord`,
 * `auditBatchPreimage`), so an evidence bundle's batch is recomputed offline the same way.
 */

export const ENCODING_VERSION = AUDIT_ENCODING_VERSION;
export const ZERO_HASH = AUDIT_ZERO_HASH;

/** One line; its account's type and owner, so that re-pointing an account is caught too (null if the account row is gone). */
export type LineRecord = AuditLineRecord;

export type TransferRecord = AuditTransferRecord;

/** Structural facts that are not part of the encoding but that the verifier checks. */
export interface LoadedTransfer {
  serial: bigint;
  record: TransferRecord;
  /** Per line, the currency of the account as it stands (null if the account is gone). */
  accountCurrencies: Map<string, string | null>;
}

export interface LoadedRange {
  transfers: LoadedTransfer[];
  /** Lines whose transfer row does not exist, by serial. */
  orphanLines: Map<bigint, LineRecord[]>;
  /** The range actually covered: (after, upTo]. */
  upTo: bigint;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function encodeTransfer(record: TransferRecord): string {
  return canonicalJson(record);
}

/**
 * SHA-256 over the previous batch's hash, the batch header and the digest of each
 * transfer's encoding, in serial order (`auditBatchPreimage`). Digests rather than whole
 * encodings so the verifier can name the transfer that changed, and an evidence bundle can
 * prove one transfer without the others; the chain is the same strength. Hashed here with
 * node:crypto, in this thread: WebCrypto's digest (the protocol's `auditBatchHash`) is an
 * async job per transfer, many times the cost over a batch of thousands.
 */
export function batchHash(prevHash: string, seq: bigint, lastSerial: bigint, encodings: readonly string[]): string {
  return sha256Hex(auditBatchPreimage(prevHash, seq, lastSerial, encodings.map(sha256Hex)));
}

interface TransferRow {
  serial: bigint;
  idempotency_key: string | null;
  pending_id: string | null;
  request_hash: string;
  metadata: string;
  created_at: string;
}

interface LineRow {
  serial: bigint;
  account_id: string;
  type: string | null;
  owner_id: string | null;
  currency: string;
  account_currency: string | null;
  amount: string;
}

/**
 * Loads the transfers with a serial in (after, upTo], at most `limit` of them (then the
 * range stops at the last one loaded), with their lines, and any lines in that range
 * whose transfer is missing.
 */
export async function loadRange(db: Queryable, after: bigint, upTo: bigint, limit: number): Promise<LoadedRange> {
  const transfers = await db.query<TransferRow>(
    `SELECT serial, idempotency_key, pending_id::text AS pending_id, request_hash, metadata::text AS metadata,
            to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at
     FROM ledger_transfers WHERE serial > $1 AND serial <= $2 ORDER BY serial LIMIT $3`,
    [after, upTo, limit],
  );
  const last = transfers.rows.at(-1);
  const end = transfers.rows.length === limit && last !== undefined ? last.serial : upTo;
  const lines = await db.query<LineRow>(
    `SELECT e.serial, e.account_id::text AS account_id, a.type, a.owner_id, e.currency, a.currency AS account_currency, e.amount::text AS amount
     FROM ledger_entries e LEFT JOIN ledger_accounts a ON a.id = e.account_id
     WHERE e.serial > $1 AND e.serial <= $2 ORDER BY e.serial, e.account_id`,
    [after, end],
  );
  const bySerial = new Map<bigint, LineRow[]>();
  for (const line of lines.rows) {
    const group = bySerial.get(line.serial);
    if (group === undefined) bySerial.set(line.serial, [line]);
    else group.push(line);
  }
  const toRecord = (line: LineRow): LineRecord => ({
    account: line.account_id,
    type: line.type,
    owner: line.owner_id,
    currency: line.currency,
    amount: line.amount,
  });
  const loaded = transfers.rows.map((row): LoadedTransfer => {
    const rowLines = bySerial.get(row.serial) ?? [];
    bySerial.delete(row.serial);
    return {
      serial: row.serial,
      record: {
        v: ENCODING_VERSION,
        serial: row.serial.toString(),
        idempotencyKey: row.idempotency_key,
        pendingId: row.pending_id,
        requestHash: row.request_hash,
        metadata: row.metadata,
        createdAt: row.created_at,
        lines: rowLines.map(toRecord),
      },
      accountCurrencies: new Map(rowLines.map((line) => [line.account_id, line.account_currency])),
    };
  });
  const orphanLines = new Map<bigint, LineRecord[]>();
  for (const [serial, group] of bySerial) orphanLines.set(serial, group.map(toRecord));
  return { transfers: loaded, orphanLines, upTo: end };
}
