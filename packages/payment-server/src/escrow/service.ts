import { paymentId } from '@caisse/protocol';
import { ProblemError } from '../http/problem.js';
import { isLedgerError } from '../ledger/errors.js';
import { releaseHeldPayment, voidHeldPayment } from '../ledger/postings.js';
import type { Logger } from '../log.js';
import { enqueueNotification } from '../notifications/outbox.js';
import { type PaymentRecord, paymentBody } from '../payments/record.js';
import { loadPayment, lockOldestHeld, setPaymentStatus } from '../payments/repository.js';
import type { Database, Transaction } from '../storage/database.js';
import type { EscrowResolution, EscrowResolver, EscrowTimeoutPolicy } from './model.js';

const DAY_MS = 86_400_000;

export interface EscrowDeps {
  db: Database;
  /** Days a payment may stay held before the sweeper resolves it by `policy`. */
  timeoutDays: number;
  policy: EscrowTimeoutPolicy;
  /**
   * After a bank payment's void has committed: releases its authorisation at the bank
   * (captures/service.ts). A failure is logged; the minute's sweep sends it again.
   */
  afterBankVoid?: (payment: PaymentRecord) => Promise<void>;
  now?: () => Date;
  log?: Logger;
}

export interface ResolveInput {
  by: Exclude<EscrowResolver, 'timeout'>;
  /** The carrier key's kid, when a carrier confirmed the delivery. */
  carrierKid?: string;
  /** A tracking reference or a reason, 1–200 characters. */
  note?: string;
}

export interface EscrowService {
  /**
   * Releases a held payment's funds to the merchant till (posts its pending transfer).
   * @throws ProblemError `payment_unknown`, `payment_not_held`, `escrow_already_released`, `escrow_already_voided`
   */
  release(merchantId: string, serial: bigint, input: ResolveInput): Promise<EscrowResolution>;
  /** Voids a held payment: the reservation on the customer's wallet (or the bank authorisation) is released. Same errors. */
  void(merchantId: string, serial: bigint, input: ResolveInput): Promise<EscrowResolution>;
  /**
   * Resolves payments held longer than the time-out, by the policy, oldest first. Rows are
   * taken `FOR UPDATE SKIP LOCKED`, each in its own transaction, so any number of instances
   * can sweep at once and each payment is resolved by one of them.
   */
  sweep(options?: { limit?: number }): Promise<{ released: number; voided: number }>;
}

interface ResolutionRow {
  payment_serial: bigint;
  outcome: 'released' | 'voided';
  resolved_by: EscrowResolver;
  note: string | null;
  transfer_serial: bigint | null;
  resolved_at: Date;
}

function toResolution(payment: PaymentRecord, row: ResolutionRow): EscrowResolution {
  return {
    payment: paymentId(payment.serial),
    serial: payment.orderSerial,
    status: row.outcome,
    resolvedBy: row.resolved_by,
    amount: Number(payment.amount),
    currency: payment.currency,
    transfer: row.transfer_serial === null ? null : row.transfer_serial.toString(),
    note: row.note,
    resolvedAt: row.resolved_at.toISOString(),
  };
}

/**
 * Escrow of deferred-delivery payments. A held payment is a pending ledger transfer to the
 * merchant till (`holdPayment` in `ledger/postings.ts`); it is resolved at most once, in one transaction
 * with the payment's new status, the resolution record and the notification
 * (`payment.released` or `payment.voided`). The payment row is locked first, so a delivery
 * and a cancellation racing each other queue, and the second one sees the first one's
 * outcome and is refused with its code; the ledger's `ledger_pending_resolved` primary key
 * would refuse it anyway.
 * @example const escrow = createEscrowService({ db, timeoutDays: 30, policy: 'void' })
 */
export function createEscrowService(deps: EscrowDeps): EscrowService {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  async function resolveIn(
    tx: Transaction,
    payment: PaymentRecord,
    outcome: 'released' | 'voided',
    by: EscrowResolver,
    input: { carrierKid?: string; note?: string },
  ): Promise<EscrowResolution> {
    if (payment.status === 'released') throw new ProblemError('escrow_already_released');
    if (payment.status === 'voided') throw new ProblemError('escrow_already_voided');
    if (payment.status !== 'held') throw new ProblemError('payment_not_held');
    let transfer: bigint | null = null;
    try {
      if (outcome === 'released') transfer = (await releaseHeldPayment(tx, payment.merchantId, payment.ticketJti)).serial;
      else await voidHeldPayment(tx, payment.merchantId, payment.ticketJti);
    } catch (error) {
      // The payment row said held, so this is a pending transfer resolved outside this service.
      if (isLedgerError(error, 'pending_already_resolved')) {
        throw new ProblemError(error.details?.outcome === 'posted' ? 'escrow_already_released' : 'escrow_already_voided');
      }
      throw error;
    }
    const at = now();
    await setPaymentStatus(tx, payment.serial, outcome);
    const inserted = await tx.query<ResolutionRow>(
      `INSERT INTO escrow_resolutions (payment_serial, merchant_id, outcome, resolved_by, carrier_kid, note, transfer_serial, resolved_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       RETURNING payment_serial, outcome, resolved_by, note, transfer_serial, resolved_at`,
      [payment.serial, payment.merchantId, outcome, by, input.carrierKid ?? null, input.note ?? null, transfer, at],
    );
    await enqueueNotification(tx, {
      merchantId: payment.merchantId,
      notifyUrl: payment.notifyUrl,
      at,
      content: { event: outcome === 'released' ? 'payment.released' : 'payment.voided', payment: paymentBody(payment, outcome) },
    });
    deps.log?.info('escrow.resolved', { merchantId: payment.merchantId, payment: paymentId(payment.serial), outcome, by });
    return toResolution(payment, inserted.rows[0] as ResolutionRow);
  }

  /** Outside the resolution's transaction, once it has committed. */
  async function afterResolved(payment: PaymentRecord, outcome: 'released' | 'voided'): Promise<void> {
    if (outcome !== 'voided' || payment.funding !== 'bank' || deps.afterBankVoid === undefined) return;
    await deps
      .afterBankVoid(payment)
      .catch((error: unknown) =>
        deps.log?.error('escrow.bank_void_failed', { merchantId: payment.merchantId, payment: paymentId(payment.serial), error }),
      );
  }

  function resolve(outcome: 'released' | 'voided') {
    return async (merchantId: string, serial: bigint, input: ResolveInput) => {
      const { payment, resolution } = await db.transaction(async (tx) => {
        const payment = await loadPayment(tx, merchantId, serial, { lock: true });
        if (payment === undefined) throw new ProblemError('payment_unknown');
        return { payment, resolution: await resolveIn(tx, payment, outcome, input.by, input) };
      });
      await afterResolved(payment, outcome);
      return resolution;
    };
  }

  return {
    release: resolve('released'),
    void: resolve('voided'),

    async sweep(options = {}) {
      const limit = options.limit ?? 100;
      const before = new Date(now().getTime() - deps.timeoutDays * DAY_MS);
      const outcome = deps.policy === 'release' ? 'released' : 'voided';
      const done = { released: 0, voided: 0 };
      for (let index = 0; index < limit; index++) {
        const resolved = await db.transaction(async (tx) => {
          const payment = await lockOldestHeld(tx, before);
          if (payment === undefined) return undefined;
          await resolveIn(tx, payment, outcome, 'timeout', { note: `held more than ${deps.timeoutDays} days` });
          return payment;
        });
        if (resolved === undefined) break;
        await afterResolved(resolved, outcome);
        done[outcome] += 1;
      }
      return done;
    },
  };
}
