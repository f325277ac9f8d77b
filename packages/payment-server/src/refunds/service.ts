import { randomBytes } from 'node:crypto';
import { bankAuthorisationKey, bankRefundKey } from '../acquirer/keys.js';
import type { AcquirerOperations } from '../acquirer/operations.js';
import type { BankMetadata, PurposeHandler } from '../acquirer/purposes.js';
import { capturePayment } from '../captures/service.js';
import { ProblemError } from '../http/problem.js';
import { isLedgerError } from '../ledger/errors.js';
import type { Account } from '../ledger/model.js';
import { bankClearing, bookRefund } from '../ledger/postings.js';
import { createLedger } from '../ledger/service.js';
import type { Logger } from '../log.js';
import { enqueueNotification } from '../notifications/outbox.js';
import { type PaymentRecord, paymentBody } from '../payments/record.js';
import { loadPayment } from '../payments/repository.js';
import type { Database, Queryable, Transaction } from '../storage/database.js';
import { constraintName } from '../storage/errors.js';
import { REFUND_COLUMNS, type Refund, type RefundRow, toRefund } from './model.js';

export interface RefundDeps {
  db: Database;
  /** The acquirers; a refund of a bank payment goes to the one that authorised it. */
  bank: AcquirerOperations<BankMetadata>;
  now?: () => Date;
  log?: Logger;
  /** A pending bank refund untouched this long is taken up again by `resume`. Default 60 s. */
  resumeAfterMs?: number;
}

export interface RefundInput {
  /** Minor units, positive. */
  amount: number;
  reason?: string;
  /** The merchant's Idempotency-Key: a request run again (a crash, a lease taken over) finds its refund. */
  requestKey: string;
}

export interface RefundService {
  /**
   * Refunds part or all of a payment, by the way the money came. Refunds of one payment
   * queue on its row, and never add up to more than was paid (the database refuses it too).
   * @throws ProblemError `payment_unknown`, `payment_held`, `payment_not_refundable`,
   * `refund_exceeds_payment`, `wallet_cap_exceeded`
   */
  create(merchantId: string, serial: bigint, input: RefundInput): Promise<Refund>;
  /** The refunds of one of the merchant's payments, oldest first. @throws ProblemError `payment_unknown` */
  list(merchantId: string, serial: bigint): Promise<Refund[]>;
  /** Sends again the bank refunds left pending (a crash, a capture not yet confirmed). Safe on several instances: the bank keys decide. */
  resume(options?: { limit?: number }): Promise<number>;
}

function newRefundId(): string {
  return `rf_${randomBytes(16).toString('base64url')}`;
}

/** What the bookings of a refund need besides the transaction. */
interface Context {
  now: () => Date;
  log?: Logger;
}

function contextOf(deps: { now?: () => Date; log?: Logger }): Context {
  return { now: deps.now ?? (() => new Date()), ...(deps.log ? { log: deps.log } : {}) };
}

async function byId(executor: Queryable, id: string, lock = false): Promise<RefundRow | undefined> {
  const { rows } = await executor.query<RefundRow>(`SELECT ${REFUND_COLUMNS} FROM refunds WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0];
}

/** What the payment's other refunds that succeeded add up to: `bookRefund` counts the loyalty points still due from it. */
async function refundedBefore(tx: Transaction, refund: RefundRow): Promise<bigint> {
  const { rows } = await tx.query<{ refunded: bigint }>(
    `SELECT coalesce(sum(amount), 0)::int8 AS refunded FROM refunds WHERE payment_serial = $1 AND status = 'succeeded' AND id <> $2`,
    [refund.payment_serial, refund.id],
  );
  return BigInt(rows[0]?.refunded ?? 0);
}

/**
 * Of a refund of `amount`, what goes back as loyalty points: a payment's money part is
 * refunded first, its points only once that is all given back, as a shopper expects cash
 * back before points. `moneyRefunded`: the money parts of its refunds not declined.
 */
function pointsPart(payment: PaymentRecord, moneyRefunded: bigint, amount: bigint): bigint {
  const moneyLeft = payment.amount - payment.points - moneyRefunded;
  return amount > moneyLeft ? amount - moneyLeft : 0n;
}

async function succeed(ctx: Context, tx: Transaction, refund: RefundRow, payment: PaymentRecord, to: Account | undefined): Promise<void> {
  const moved = await bookRefund(tx, {
    merchantId: refund.merchant_id,
    refundId: refund.id,
    amount: refund.amount,
    points: BigInt(refund.points),
    currency: refund.currency,
    to,
    payment: {
      serial: payment.serial,
      ticketJti: payment.ticketJti,
      customerId: payment.customerId,
      amount: payment.amount,
      refundedBefore: await refundedBefore(tx, refund),
    },
  });
  const at = ctx.now();
  await tx.query(`UPDATE refunds SET status = 'succeeded', transfer_serial = $2, resolved_at = $3 WHERE id = $1`, [
    refund.id,
    moved.serial,
    at,
  ]);
  await enqueueNotification(tx, {
    merchantId: refund.merchant_id,
    notifyUrl: payment.notifyUrl,
    at,
    content: {
      event: 'refund.succeeded',
      payment: paymentBody(payment, payment.status),
      refund: { id: refund.id, amount: Number(refund.amount), currency: refund.currency },
    },
  });
  ctx.log?.info('refund.succeeded', { merchantId: refund.merchant_id, refund: refund.id, amount: Number(refund.amount) });
}

async function decline(ctx: Context, tx: Queryable, refundId: string, reason: string): Promise<void> {
  await tx.query(`UPDATE refunds SET status = 'declined', decline_reason = $2, resolved_at = $3 WHERE id = $1 AND status = 'pending'`, [
    refundId,
    reason,
    ctx.now(),
  ]);
  ctx.log?.warn('refund.declined', { refund: refundId, reason });
}

/**
 * Refunds. A wallet refund moves the money back (till → wallet) in one transaction with
 * the refund record and its `refund.succeeded` notification. A bank refund is recorded
 * `pending` first, then the authorisation is captured if the capture sweep has not done it
 * yet (captures/: once per payment, under its own key) and the refund sent under its own
 * key (`bankRefundKey`); the acquirer's hook books it (`bookRefund`: till → bank clearing)
 * in the transaction that settles the operation, so a time-out or a crash is settled by
 * reconciliation exactly once. Of a payment partly paid with loyalty points, the money
 * goes back first, up to what money paid, then the points ({@link pointsPart}); the points
 * part of a refund is booked with its money part, and a refund of points only needs no bank.
 * @example const refunds = createRefundService({ db, bank: operations })
 */
export function createRefundService(deps: RefundDeps): RefundService {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const resumeAfterMs = deps.resumeAfterMs ?? 60_000;
  const ctx = contextOf(deps);

  /** The bank leg of a pending refund: capture the payment (once), then refund under the refund's own key. */
  async function sendToBank(refund: RefundRow): Promise<void> {
    const operations = deps.bank;
    const payment = await loadPayment(db, refund.merchant_id, refund.payment_serial);
    if (payment === undefined) throw new Error(`Refund ${refund.id} names no payment.`);
    const captured = await capturePayment(operations, payment);
    if (captured.operation.status === 'pending') return;
    if (captured.operation.status === 'declined') {
      await decline(ctx, db, refund.id, `capture_${captured.operation.declineReason}`);
      return;
    }
    await operations.refund({
      idempotencyKey: bankRefundKey(refund.merchant_id, refund.id),
      authorisationKey: bankAuthorisationKey(payment.merchantId, payment.ticketJti),
      // The bank gives back its part only; the points part is booked with it when it does.
      amount: Number(refund.amount) - Number(refund.points),
      metadata: { purpose: 'refund', merchant: refund.merchant_id, refund: refund.id },
    });
  }

  return {
    async create(merchantId, serial, input) {
      const created = await db.transaction(async (tx) => {
        const { rows: again } = await tx.query<RefundRow>(
          `SELECT ${REFUND_COLUMNS} FROM refunds WHERE merchant_id = $1 AND request_key = $2`,
          [merchantId, input.requestKey],
        );
        if (again[0] !== undefined) return again[0];
        const payment = await loadPayment(tx, merchantId, serial, { lock: true });
        if (payment === undefined) throw new ProblemError('payment_unknown');
        if (payment.status === 'held') throw new ProblemError('payment_held');
        if (payment.status === 'voided' || payment.status === 'authenticated' || payment.funding === null) {
          throw new ProblemError('payment_not_refundable');
        }
        const { rows: sums } = await tx.query<{ refunded: bigint; points: bigint }>(
          `SELECT coalesce(sum(amount), 0)::int8 AS refunded, coalesce(sum(points), 0)::int8 AS points
             FROM refunds WHERE payment_serial = $1 AND status <> 'declined'`,
          [payment.serial],
        );
        const refunded = BigInt(sums[0]?.refunded ?? 0);
        const remaining = payment.amount - refunded;
        if (BigInt(input.amount) > remaining) {
          throw new ProblemError(
            'refund_exceeds_payment',
            `Refunds of this payment would add up to more than was paid: at most ${remaining} minor units remain to refund.`,
          );
        }
        let refund: RefundRow;
        try {
          const { rows } = await tx.query<RefundRow>(
            `INSERT INTO refunds (id, merchant_id, payment_serial, request_key, amount, points, currency, reason, funding, status, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10) RETURNING ${REFUND_COLUMNS}`,
            [
              newRefundId(),
              merchantId,
              payment.serial,
              input.requestKey,
              input.amount,
              pointsPart(payment, refunded - BigInt(sums[0]?.points ?? 0), BigInt(input.amount)),
              payment.currency,
              input.reason ?? null,
              payment.funding,
              now(),
            ],
          );
          refund = rows[0] as RefundRow;
        } catch (error) {
          if (constraintName(error) === 'refunds_within_payment') throw new ProblemError('refund_exceeds_payment');
          throw error;
        }
        const money = BigInt(refund.amount) - BigInt(refund.points);
        // An allowance's charges were (or will be) paid from the wallet: the money goes back there.
        if (payment.funding !== 'bank' || money === 0n) {
          const wallet =
            money === 0n ? undefined : await createLedger(tx).findAccount('customer_wallet', payment.customerId, payment.currency);
          if (money > 0n && wallet === undefined) throw new ProblemError('wallet_unknown');
          try {
            await succeed(ctx, tx, refund, payment, wallet);
          } catch (error) {
            if (isLedgerError(error, 'wallet_cap_exceeded')) {
              throw new ProblemError(
                'wallet_cap_exceeded',
                "The refund would take the customer's wallet above its cap; nothing was refunded.",
              );
            }
            throw error;
          }
          return (await byId(tx, refund.id)) as RefundRow;
        }
        return refund;
      });
      if (created.status === 'pending') {
        await sendToBank(created);
        return toRefund((await byId(db, created.id)) as RefundRow);
      }
      return toRefund(created);
    },

    async list(merchantId, serial) {
      const payment = await loadPayment(db, merchantId, serial);
      if (payment === undefined) throw new ProblemError('payment_unknown');
      const { rows } = await db.query<RefundRow>(
        `SELECT ${REFUND_COLUMNS} FROM refunds WHERE payment_serial = $1 AND merchant_id = $2 ORDER BY created_at, id`,
        [serial, merchantId],
      );
      return rows.map(toRefund);
    },

    async resume(options = {}) {
      const { rows } = await db.query<RefundRow>(
        `SELECT ${REFUND_COLUMNS} FROM refunds WHERE status = 'pending' AND created_at < $1 ORDER BY created_at LIMIT $2`,
        [new Date(now().getTime() - resumeAfterMs), options.limit ?? 50],
      );
      for (const refund of rows) {
        await sendToBank(refund).catch((error: unknown) => deps.log?.error('refund.resume_failed', { refund: refund.id, error }));
      }
      return rows.length;
    },
  };
}

/** Refunds of bank payments: booked (till → bank clearing) when the acquirer approves, declined when it refuses. */
export function refundHandler(deps: { now?: () => Date; log?: Logger }): PurposeHandler<'refund'> {
  const ctx = contextOf(deps);
  return {
    async approved(tx, _operation, context) {
      const refund = await byId(tx, context.refund, true);
      if (refund === undefined || refund.status !== 'pending') return;
      // Locked, as `create` does: refunds of one payment that succeed at once count the loyalty points to take back one after the other.
      const payment = await loadPayment(tx, refund.merchant_id, refund.payment_serial, { lock: true });
      if (payment === undefined) throw new Error(`Refund ${refund.id} names no payment.`);
      await succeed(ctx, tx, refund, payment, await bankClearing(tx, refund.currency));
    },
    declined: (tx, operation, context) => decline(ctx, tx, context.refund, operation.declineReason),
  };
}

/**
 * The refunds of a payment waiting for its capture, declined because the bank refused
 * the capture (the capture handler calls it): nothing was captured, so nothing can be refunded.
 */
export async function declineRefundsAwaitingCapture(
  tx: Transaction,
  deps: { now?: () => Date; log?: Logger },
  payment: { merchant: string; payment: string },
  reason: string,
): Promise<void> {
  const ctx = contextOf(deps);
  const { rows } = await tx.query<{ id: string }>(
    `SELECT id FROM refunds WHERE merchant_id = $1 AND payment_serial = $2 AND status = 'pending'`,
    [payment.merchant, BigInt(payment.payment)],
  );
  for (const { id } of rows) await decline(ctx, tx, id, `capture_${reason}`);
}
