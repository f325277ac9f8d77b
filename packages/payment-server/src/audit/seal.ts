import { type HighWaterOptions, registerHighWater } from '../ledger/register.js';
import type { Database } from '../storage/database.js';
import { LOCK_NAMESPACE, LOCKS } from '../storage/locks.js';
import { batchHash, encodeTransfer, loadRange, ZERO_HASH } from './encoding.js';

export interface SealOptions extends HighWaterOptions {
  /** Most transfers in one batch. Default 10,000. */
  maxBatchSize?: number;
}

export interface SealedBatch {
  seq: bigint;
  /** Serials sealed: the transfers in (previous batch's lastSerial, lastSerial]. */
  lastSerial: bigint;
  transferCount: number;
  prevHash: string;
  hash: string;
}

export interface SealResult {
  /** True if transfers in flight held the register barrier past the timeout; try later. */
  busy: boolean;
  /** Every transfer at or below this serial is now sealed (null when busy). */
  highWater: bigint | null;
  batches: SealedBatch[];
}

/**
 * Seals every committed transfer not sealed yet, in hash-linked batches. Off the payment
 * path: payments never wait for it except for the instant the register barrier is taken
 * (see registerHighWater), and no row a payment writes is updated. Safe to run from
 * several instances at once (they take turns on an advisory lock, and the database
 * refuses a batch that does not extend the chain).
 * @example const { batches } = await sealAudit(db); // log batches.at(-1)?.hash as an external anchor
 */
export async function sealAudit(db: Database, options: SealOptions = {}): Promise<SealResult> {
  const maxBatchSize = options.maxBatchSize ?? 10_000;
  if (!Number.isSafeInteger(maxBatchSize) || maxBatchSize < 1) throw new RangeError('maxBatchSize must be a positive integer.');
  const highWater = await registerHighWater(db, options);
  if (highWater === null) return { busy: true, highWater: null, batches: [] };

  const batches: SealedBatch[] = [];
  for (;;) {
    const batch = await db.transaction(async (tx): Promise<SealedBatch | null> => {
      await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, LOCKS.auditSealer]);
      const { rows } = await tx.query<{ seq: bigint; hash: string; last_serial: bigint }>(
        'SELECT seq, hash, last_serial FROM audit_batches ORDER BY seq DESC LIMIT 1',
      );
      const head = rows[0];
      const after = head?.last_serial ?? 0n;
      if (after >= highWater) return null;
      const range = await loadRange(tx, after, highWater, maxBatchSize);
      if (range.transfers.length === 0) return null;
      const seq = (head?.seq ?? 0n) + 1n;
      const prevHash = head?.hash ?? ZERO_HASH;
      const encodings = range.transfers.map((transfer) => encodeTransfer(transfer.record));
      const hash = batchHash(prevHash, seq, range.upTo, encodings);
      await tx.query('INSERT INTO audit_batches (seq, last_serial, transfer_count, prev_hash, hash) VALUES ($1, $2, $3, $4, $5)', [
        seq,
        range.upTo,
        encodings.length,
        prevHash,
        hash,
      ]);
      await tx.query(
        `INSERT INTO audit_sealed_transfers (serial, batch_seq, encoding)
         SELECT sealed.serial, $2, sealed.encoding FROM unnest($1::int8[], $3::text[]) AS sealed (serial, encoding)`,
        [range.transfers.map((transfer) => transfer.serial.toString()), seq, encodings],
      );
      return { seq, lastSerial: range.upTo, transferCount: encodings.length, prevHash, hash };
    });
    if (batch === null) break;
    batches.push(batch);
  }
  return { busy: false, highWater, batches };
}
