import { randomBytes } from 'node:crypto';
import type { ApprovedOperation, DeclinedOperation } from '../acquirer/model.js';
import type { AcquirerOperations } from '../acquirer/operations.js';
import { CAPTURE_PURPOSE, capturePayment } from '../captures/service.js';
import { ProblemError } from '../http/problem.js';
import { isLedgerError } from '../ledger/errors.js';
import { credit, debit, type LineInput } from '../ledger/model.js';
import { createLedger, type Ledger } from '../ledger/service.js';
import type { Logger } from '../log.js';
import { enqueueNotification } from '../notifications/outbox.js';
import { OPERATOR } from '../payments/authorise.js';
import { loadPayment, type PaymentRecord, paymentAuthorisationKey, paymentBody, paymentLedgerKey } from '../payments/record.js';
import type { Database, Queryable, Transaction } from '../storage/database.js';
import { constraintName } from '../storage/errors.js';
import { REFUND_COLUMNS, type Refund, type RefundRow, toRefund } from './model.js';

/** What the acquirer operations of refunds carry in their metadata, so the hooks know them. */
export const REFUND_PURPOSE = 'refund';

export interface RefundDeps {
  db: Database;
  /** The bank side; without it, refunds of bank payments stay pending until one is configured. */
  bank?: () => AcquirerOperations;
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
  /** The acquirer's hooks for refund operations (and the captures before them); ignore other operations. */
  onBankApproved(tx: Transaction, operation: ApprovedOperation): Promise<void>;
  onBankDeclined(tx: Transaction, operation: DeclinedOperation): Promise<void>;
}

function newRefundId(): string {
  return `rf_${randomBytes(16).toString('base64url')}`;
}

function refundLedgerKey(merchantId: string, refundId: string): string {
  return `refund:${merchantId}:${refundId}`;
}

/**
 * Refunds. A wallet refund moves the money back (till → wallet) in one transaction with
 * the refund record and its `refund.succeeded` notification. A bank refund is recorded
 * `pending` first, then the authorisation is captured if the capture sweep has not done it
 * yet (captures/: once per payment, under its own key) and the refund sent under `acq:refund:<merchant>:<refund id>`; the acquirer's hook
 * books it (till → bank clearing) in the transaction that settles the operation, so a
 * time-out or a crash is settled by reconciliation exactly once.
 * @example const refunds = createRefundService({ db, bank: () => operations })
 */
export function createRefundService(deps: RefundDeps): RefundService {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const resumeAfterMs = deps.resumeAfterMs ?? 60_000;

  async function byId(executor: Queryable, id: string, lock = false): Promise<RefundRow | undefined> {
    const { rows } = await executor.query<RefundRow>(`SELECT ${REFUND_COLUMNS} FROM refunds WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [
      id,
    ]);
    return rows[0];
  }

  /**
   * The loyalty points this refund takes back: the payment's points in proportion to what
   * has been refunded, counted over all its refunds so that the parts add up to the whole
   * (a full refund takes back every point). Never more than the customer still has.
   */
  async function loyaltyTakenBack(tx: Transaction, ledger: Ledger, refund: RefundRow, payment: PaymentRecord): Promise<LineInput[]> {
    const loyalty = await ledger.findAccount('loyalty', payment.customerId, payment.currency);
    if (loyalty === undefined) return [];
    const paid = await ledger.findTransfer(paymentLedgerKey(payment));
    const given = (paid?.lines ?? []).reduce((sum, line) => (line.accountId === loyalty.id ? sum + line.amount : sum), 0n);
    if (given <= 0n) return [];
    const { rows } = await tx.query<{ refunded: bigint }>(
      `SELECT coalesce(sum(amount), 0)::int8 AS refunded FROM refunds WHERE payment_serial = $1 AND status = 'succeeded' AND id <> $2`,
      [payment.serial, refund.id],
    );
    const before = BigInt(rows[0]?.refunded ?? 0);
    const due = (given * (before + refund.amount)) / payment.amount - (given * before) / payment.amount;
    const { balance, pendingDebits } = await ledger.balance(loyalty.id);
    const available = balance - pendingDebits;
    const taken = due < available ? due : available;
    if (taken <= 0n) return [];
    const funding = await ledger.openAccount({ type: 'loyalty_funding', ownerId: OPERATOR, currency: payment.currency });
    return [debit(loyalty.id, taken), credit(funding.id, taken)];
  }

  async function succeed(tx: Transaction, refund: RefundRow, payment: PaymentRecord, counterpart: string): Promise<void> {
    const ledger = createLedger(tx);
    const till = await ledger.openAccount({ type: 'merchant_till', ownerId: refund.merchant_id, currency: refund.currency });
    const moved = await ledger.transfer({
      idempotencyKey: refundLedgerKey(refund.merchant_id, refund.id),
      lines: [debit(till.id, refund.amount), credit(counterpart, refund.amount), ...(await loyaltyTakenBack(tx, ledger, refund, payment))],
      metadata: { kind: 'refund', merchant: refund.merchant_id, payment: refund.payment_serial.toString(), refund: refund.id },
    });
    const at = now();
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
    deps.log?.info('refund.succeeded', { merchantId: refund.merchant_id, refund: refund.id, amount: Number(refund.amount) });
  }

  async function decline(tx: Queryable, refundId: string, reason: string): Promise<void> {
    await tx.query(`UPDATE refunds SET status = 'declined', decline_reason = $2, resolved_at = $3 WHERE id = $1 AND status = 'pending'`, [
      refundId,
      reason,
      now(),
    ]);
    deps.log?.warn('refund.declined', { refund: refundId, reason });
  }

  /** The bank leg of a pending refund: capture the payment (once), then refund under the refund's own key. */
  async function sendToBank(refund: RefundRow): Promise<void> {
    const operations = deps.bank?.();
    if (operations === undefined) return;
    const payment = await loadPayment(db, refund.merchant_id, refund.payment_serial);
    if (payment === undefined) throw new Error(`Refund ${refund.id} names no payment.`);
    const captured = await capturePayment(operations, payment);
    if (captured.operation.status === 'pending') return;
    if (captured.operation.status === 'declined') {
      await decline(db, refund.id, `capture_${captured.operation.declineReason}`);
      return;
    }
    await operations.refund({
      idempotencyKey: `acq:refund:${refund.merchant_id}:${refund.id}`,
      authorisationKey: paymentAuthorisationKey(payment),
      amount: Number(refund.amount),
      metadata: { purpose: REFUND_PURPOSE, merchant: refund.merchant_id, refund: refund.id },
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
        if (
          payment.status === 'voided' ||
          payment.status === 'authenticated' ||
          (payment.funding !== 'wallet' && payment.funding !== 'bank')
        ) {
          throw new ProblemError('payment_not_refundable');
        }
        const { rows: sums } = await tx.query<{ refunded: bigint }>(
          `SELECT coalesce(sum(amount), 0)::int8 AS refunded FROM refunds WHERE payment_serial = $1 AND status <> 'declined'`,
          [payment.serial],
        );
        const remaining = payment.amount - BigInt(sums[0]?.refunded ?? 0);
        if (BigInt(input.amount) > remaining) {
          throw new ProblemError(
            'refund_exceeds_payment',
            `Refunds of this payment would add up to more than was paid: at most ${remaining} minor units remain to refund.`,
          );
        }
        let refund: RefundRow;
        try {
          const { rows } = await tx.query<RefundRow>(
            `INSERT INTO refunds (id, merchant_id, payment_serial, request_key, amount, currency, reason, funding, status, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9) RETURNING ${REFUND_COLUMNS}`,
            [
              newRefundId(),
              merchantId,
              payment.serial,
              input.requestKey,
              input.amount,
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
        if (payment.funding === 'wallet') {
          const wallet = await createLedger(tx).findAccount('customer_wallet', payment.customerId, payment.currency);
          if (wallet === undefined) throw new ProblemError('wallet_unknown');
          try {
            await succeed(tx, refund, payment, wallet.id);
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

    async onBankApproved(tx, operation) {
      if (operation.kind !== 'refund' || operation.metadata.purpose !== REFUND_PURPOSE) return;
      const refund = await byId(tx, String(operation.metadata.refund), true);
      if (refund === undefined || refund.status !== 'pending') return;
      // Locked, as `create` does: refunds of one payment that succeed at once count the loyalty points to take back one after the other.
      const payment = await loadPayment(tx, refund.merchant_id, refund.payment_serial, { lock: true });
      if (payment === undefined) throw new Error(`Refund ${refund.id} names no payment.`);
      const clearing = await createLedger(tx).openAccount({ type: 'bank_clearing', ownerId: OPERATOR, currency: refund.currency });
      await succeed(tx, refund, payment, clearing.id);
    },

    async onBankDeclined(tx, operation) {
      if (operation.kind === 'refund' && operation.metadata.purpose === REFUND_PURPOSE) {
        await decline(tx, String(operation.metadata.refund), operation.declineReason);
      } else if (operation.kind === 'capture' && operation.metadata.purpose === CAPTURE_PURPOSE) {
        const { rows } = await tx.query<{ id: string }>(
          `SELECT id FROM refunds WHERE merchant_id = $1 AND payment_serial = $2 AND status = 'pending'`,
          [String(operation.metadata.merchant), BigInt(String(operation.metadata.payment))],
        );
        for (const { id } of rows) await decline(tx, id, `capture_${operation.declineReason}`);
      }
    },
  };
}
