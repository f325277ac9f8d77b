import { paymentId } from '@caisse/protocol';
import type { Logger } from '../log.js';
import { type RetryPolicy, retryDelay } from '../notifications/schedule.js';
import type { Notifier, Receipt, ReceiptOutcome } from '../notifiers/notifier.js';
import type { Locale } from '../pages/i18n.js';
import type { Queryable } from '../storage/database.js';

/**
 * Sends the receipts that fell due when payments and refunds were booked (migration 0030
 * inserts them in the booking's transaction). At least once, normally once:
 *
 * 1. A pass claims due rows in one statement (`FOR UPDATE SKIP LOCKED`) that counts the
 *    attempt and pushes `next_attempt_at` past the send's time-out: a lease, committed
 *    before anything is sent. Another sender, on this instance or another, skips the row
 *    meanwhile; if this process dies mid-send, the row is due again once the lease ends.
 * 2. Each receipt goes through the notifier in the customer's language (`customers.locale`).
 * 3. Sent (or skipped by a channel that sends no receipts): recorded, never sent again.
 *    Failed: tried again after a backoff with full jitter, up to `maxAttempts`, then
 *    recorded as failed. A receipt is twice only if a gateway took it without saying so
 *    (a time-out) or a send outlived its lease.
 *
 * Receipts never block nor fail a payment: the payment only inserts the row.
 */
export interface ReceiptSenderDeps {
  readonly db: Queryable;
  readonly notifier: Pick<Notifier, 'receipt'>;
  readonly now: () => Date;
  readonly log: Logger;
  /** `CAISSE_RECEIPTS`: false marks due receipts skipped instead of sending them. Default true. */
  readonly enabled?: boolean;
  /** `CAISSE_RECEIPT_MAX_ATTEMPTS`. Default {@link DEFAULT_MAX_ATTEMPTS}. */
  readonly maxAttempts?: number;
  /** How long a claimed receipt is left to its sender before another may take it, ms. Default 60 s (the SMS gateway's time-out is 5 s). */
  readonly leaseMs?: number;
  /** Waits between attempts. Default {@link RECEIPT_RETRY_POLICY}. */
  readonly retry?: RetryPolicy;
  /** Uniform in [0, 1), for the jitter. Default `Math.random`. */
  readonly random?: () => number;
}

export interface ReceiptReport {
  /** Rows this pass took (due, not taken by another sender). */
  readonly claimed: number;
  readonly sent: number;
  /** Failed this time, due again later. */
  readonly retrying: number;
  /** Failed for the last time, or could not be written (its payment or customer gone). */
  readonly failed: number;
  /** Not sent: receipts are off, or the notifier's channel sends none. */
  readonly skipped: number;
}

export interface ReceiptSender {
  /**
   * One pass: claims up to `limit` due receipts (default 50) and sends them at once.
   * @example const report = await receipts.runOnce()
   */
  runOnce(options?: { limit?: number }): Promise<ReceiptReport>;
}

export const DEFAULT_MAX_ATTEMPTS = 10;
/** 30 s after the first failure, doubling, waits capped at 1 h: ten attempts span about five hours. */
export const RECEIPT_RETRY_POLICY: RetryPolicy = { baseMs: 30_000, maxWaitMs: 60 * 60_000, windowMs: 24 * 60 * 60_000 };
const DEFAULT_LEASE_MS = 60_000;
const MAX_CLAIM = 500;
const MAX_ERROR_LENGTH = 200;

interface ClaimedRow {
  id: string | bigint;
  kind: Receipt['kind'];
  attempts: number;
  at: Date;
  serial: string | bigint | null;
  paid: string | bigint | null;
  currency: string | null;
  payee: string | null;
  refunded: string | bigint | null;
  customer_id: string | null;
  phone: string | null;
  locale: Locale | null;
}

/** Claims and reads in one statement: the lease is committed before the first send. */
const CLAIM_DUE = `
WITH claimed AS (
  UPDATE receipts SET attempts = attempts + 1, next_attempt_at = $3
   WHERE status = 'due' AND next_attempt_at <= $1 AND id IN (
     SELECT id FROM receipts WHERE status = 'due' AND next_attempt_at <= $1
      ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
  RETURNING id, kind, attempts, created_at, payment_serial, refund_id, customer_id)
SELECT r.id, r.kind, r.attempts, r.created_at AS at, p.serial, p.amount AS paid, p.currency, m.display_name AS payee,
       f.amount AS refunded, c.id AS customer_id, c.phone, c.locale
  FROM claimed r
  LEFT JOIN payments p ON p.serial = r.payment_serial
  LEFT JOIN merchants m ON m.id = p.merchant_id
  LEFT JOIN refunds f ON f.id = r.refund_id
  LEFT JOIN customers c ON c.id = r.customer_id`;

// Sent is the truth: it also ends a row another sender re-claimed after this one's lease.
const SENT = `UPDATE receipts SET status = 'sent', sent_at = $2, last_error = NULL WHERE id = $1 AND status IN ('due', 'failed')`;
// Only while this attempt is still the latest: a row re-claimed after its lease belongs to that attempt.
const RETRY = `UPDATE receipts SET next_attempt_at = $3, last_error = $4 WHERE id = $1 AND status = 'due' AND attempts = $2`;
const GIVE_UP = `UPDATE receipts SET status = $3, last_error = $4 WHERE id = $1 AND status = 'due' AND attempts = $2`;
const SKIP_DUE = `
UPDATE receipts SET status = 'skipped', last_error = 'receipts are off'
 WHERE status = 'due' AND id IN (
   SELECT id FROM receipts WHERE status = 'due' ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)`;

/** The receipt a claimed row describes, or why there is none (its payment, merchant or customer is gone). */
function receiptOf(row: ClaimedRow): { receipt: Receipt; to: { id: string; phone: string; locale: Locale } } | { error: string } {
  if (row.customer_id === null || row.phone === null || row.locale === null) return { error: 'customer unknown' };
  if (row.serial === null || row.paid === null || row.currency === null || row.payee === null) return { error: 'payment unknown' };
  const to = { id: row.customer_id, phone: row.phone, locale: row.locale };
  const common = { paymentId: paymentId(BigInt(row.serial)), payee: row.payee, currency: row.currency, at: row.at };
  if (row.kind === 'payment') return { to, receipt: { kind: 'payment', ...common, amount: BigInt(row.paid) } };
  if (row.refunded === null) return { error: 'refund unknown' };
  return { to, receipt: { kind: 'refund', ...common, amount: BigInt(row.refunded), paid: BigInt(row.paid) } };
}

/**
 * The payment server's scheduler runs a pass every 5 s (jobs/schedule.ts).
 * @example
 * const receipts = createReceiptSender({ db, notifier, now, log, enabled: config.CAISSE_RECEIPTS });
 * scheduler.every('receipts.send', 5_000, () => receipts.runOnce());
 */
export function createReceiptSender(deps: ReceiptSenderDeps): ReceiptSender {
  const { db, log, now } = deps;
  const enabled = deps.enabled ?? true;
  const maxAttempts = deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const policy = deps.retry ?? RECEIPT_RETRY_POLICY;
  const random = deps.random ?? Math.random;
  if (!(Number.isSafeInteger(maxAttempts) && maxAttempts > 0)) throw new TypeError('maxAttempts must be a positive integer.');
  if (!(Number.isSafeInteger(leaseMs) && leaseMs > 0)) throw new TypeError('leaseMs must be a positive integer.');

  async function send(row: ClaimedRow): Promise<keyof Omit<ReceiptReport, 'claimed'> | 'left'> {
    const id = String(row.id);
    const attempts = Number(row.attempts);
    const fields = { receipt: id, receiptKind: row.kind, attempts };
    const found = receiptOf(row);
    let outcome: ReceiptOutcome;
    if ('error' in found) {
      outcome = { status: 'failed', error: found.error };
    } else {
      try {
        outcome = await deps.notifier.receipt(found.to, found.receipt);
      } catch (error) {
        // Notifiers never throw; one that does is treated as any failed send.
        outcome = { status: 'failed', error: error instanceof Error ? error.name : 'unknown' };
      }
    }
    const at = now();
    try {
      if (outcome.status === 'sent') {
        await db.query(SENT, [id, at]);
        log.info('receipt.sent', fields);
        return 'sent';
      }
      if (outcome.status === 'skipped') {
        await db.query(GIVE_UP, [id, attempts, 'skipped', 'the notifier sends no receipts']);
        return 'skipped';
      }
      const error = outcome.error.slice(0, MAX_ERROR_LENGTH);
      if ('error' in found || attempts >= maxAttempts) {
        await db.query(GIVE_UP, [id, attempts, 'failed', error]);
        log.error('receipt.failed', { ...fields, error });
        return 'failed';
      }
      await db.query(RETRY, [id, attempts, new Date(at.getTime() + retryDelay(attempts, policy, random)), error]);
      log.warn('receipt.retrying', { ...fields, error });
      return 'retrying';
    } catch (error) {
      // Recording failed (the database went away): the lease brings the row back.
      log.error('receipt.record_failed', { receipt: id, error });
      return 'left';
    }
  }

  async function runOnce(options: { limit?: number } = {}): Promise<ReceiptReport> {
    const limit = options.limit ?? 50;
    if (!(Number.isSafeInteger(limit) && limit > 0 && limit <= MAX_CLAIM))
      throw new TypeError(`limit must be an integer from 1 to ${MAX_CLAIM}.`);
    if (!enabled) {
      const { rowCount } = await db.query(SKIP_DUE, [limit]);
      return { claimed: rowCount, sent: 0, retrying: 0, failed: 0, skipped: rowCount };
    }
    const at = now();
    const { rows } = await db.query<ClaimedRow>(CLAIM_DUE, [at, limit, new Date(at.getTime() + leaseMs)]);
    const report = { claimed: rows.length, sent: 0, retrying: 0, failed: 0, skipped: 0 };
    for (const outcome of await Promise.all(rows.map(send))) if (outcome !== 'left') report[outcome] += 1;
    return report;
  }

  return { runOnce };
}
