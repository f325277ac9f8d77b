import { BANK_CAPTURE_KEY_PREFIX, BANK_VOID_KEY_PREFIX, bankAuthorisationKey, bankCaptureKey, bankVoidKey } from '../acquirer/keys.js';
import type { DeclinedOperation } from '../acquirer/model.js';
import type { AcquirerOperations, OperationOutcome } from '../acquirer/operations.js';
import type { BankMetadata, PurposeHandler } from '../acquirer/purposes.js';
import { createAlertService } from '../alerts/service.js';
import type { Logger } from '../log.js';
import {
  type CapturablePayment,
  markCaptured,
  markReversed,
  uncapturedBankPayments,
  unreversedBankPayments,
} from '../payments/repository.js';
import type { Database, Transaction } from '../storage/database.js';

/** The alert an operator gets when the bank refuses to capture money already credited to a till. */
export const CAPTURE_DECLINED_ALERT = 'bank_capture_declined';
/** The alert an operator gets when the bank refuses to release the authorisation of a payment voided in escrow. */
export const VOID_DECLINED_ALERT = 'bank_void_declined';

/**
 * What the bank authorised for a payment, as recorded: its amount less what loyalty points
 * paid of it (payments/bank.ts asks the bank for the rest only).
 */
async function authorisedAmount(operations: AcquirerOperations<BankMetadata>, payment: CapturablePayment): Promise<number> {
  const authorisation = await operations.get(bankAuthorisationKey(payment.merchantId, payment.ticketJti));
  if (authorisation === undefined) throw new Error(`Bank payment ${payment.serial} of ${payment.merchantId} has no authorisation.`);
  return authorisation.amount;
}

/**
 * Asks the bank to capture the whole authorisation of a bank payment. Every caller (the
 * sweep, a refund that needs the money captured first) sends the same key and content, so
 * the bank captures a payment once whoever asks first.
 */
export async function capturePayment(operations: AcquirerOperations<BankMetadata>, payment: CapturablePayment): Promise<OperationOutcome> {
  return operations.capture({
    idempotencyKey: bankCaptureKey(payment.merchantId, payment.ticketJti),
    authorisationKey: bankAuthorisationKey(payment.merchantId, payment.ticketJti),
    amount: await authorisedAmount(operations, payment),
    metadata: { purpose: 'capture', merchant: payment.merchantId, payment: payment.serial.toString() },
  });
}

/** Asks the bank to release the authorisation of a bank payment voided in escrow, under one key per payment. */
export async function reversePayment(operations: AcquirerOperations<BankMetadata>, payment: CapturablePayment): Promise<OperationOutcome> {
  return operations.void({
    idempotencyKey: bankVoidKey(payment.merchantId, payment.ticketJti),
    authorisationKey: bankAuthorisationKey(payment.merchantId, payment.ticketJti),
    amount: await authorisedAmount(operations, payment),
    metadata: { purpose: 'reversal', merchant: payment.merchantId, payment: payment.serial.toString() },
  });
}

export interface CaptureDeps {
  db: Database;
  bank: AcquirerOperations<BankMetadata>;
  now?: () => Date;
  log?: Logger;
}

export interface CaptureService {
  /**
   * Asks the bank to capture the bank payments whose money reached a merchant's till (paid
   * at once, or released from escrow) and that were never sent for capture, and to void
   * the authorisation of those voided in escrow, oldest first. Safe on several instances at
   * once: one key per payment and operation. Returns how many it sent.
   */
  run(options?: { limit?: number }): Promise<number>;
  /** Voids one payment's authorisation now (escrow calls it after the void commits); the sweep catches up if this fails. */
  reverse(payment: CapturablePayment): Promise<void>;
}

/**
 * Bank captures and reversals. A bank payment credits the merchant's till when the bank
 * authorises it, and settlement pays that till out: the operator must collect the money
 * too, so each payment whose money reached a till is captured, in full, once. A held
 * payment is captured when delivery releases it; a voided one is never captured, and its
 * authorisation is voided at the bank, so the customer's money is no longer reserved
 * there. A capture or void the bank refuses raises an operator alert.
 * @example const captures = createCaptureService({ db, bank: operations }); await captures.run()
 */
export function createCaptureService(deps: CaptureDeps): CaptureService {
  const { db, bank } = deps;

  async function each(
    payments: CapturablePayment[],
    send: (operations: AcquirerOperations<BankMetadata>, payment: CapturablePayment) => Promise<unknown>,
  ) {
    for (const payment of payments) {
      await send(bank, payment).catch((error: unknown) =>
        deps.log?.error('payment.bank_follow_up_failed', { merchantId: payment.merchantId, payment: payment.serial.toString(), error }),
      );
    }
    return payments.length;
  }

  return {
    async run(options = {}) {
      const limit = options.limit ?? 100;
      const captured = await each(await uncapturedBankPayments(db, BANK_CAPTURE_KEY_PREFIX, limit), capturePayment);
      const reversed = await each(await unreversedBankPayments(db, BANK_VOID_KEY_PREFIX, limit), reversePayment);
      return captured + reversed;
    },
    async reverse(payment) {
      await each([payment], reversePayment);
    },
  };
}

interface HandlerDeps {
  now?: () => Date;
  log?: Logger;
}

async function alert(
  tx: Transaction,
  deps: HandlerDeps,
  kind: string,
  operation: DeclinedOperation,
  context: { merchant: string; payment: string },
) {
  const { merchant, payment } = context;
  await createAlertService({ db: tx, ...(deps.now ? { now: deps.now } : {}), ...(deps.log ? { log: deps.log } : {}) }).raise({
    kind,
    subject: `${merchant}/${payment}`,
    details: { merchant, payment, amount: operation.amount, currency: operation.currency, reason: operation.declineReason },
  });
  deps.log?.warn(`payment.${kind}`, { merchantId: merchant, payment, reason: operation.declineReason });
}

/**
 * Captures: the payment is marked captured; a refusal raises an alert, since the till was
 * already credited, and declines the refunds waiting for that capture (`onDeclined`).
 */
export function captureHandler(
  deps: HandlerDeps & { onDeclined(tx: Transaction, context: { merchant: string; payment: string }, reason: string): Promise<void> },
): PurposeHandler<'capture'> {
  const now = deps.now ?? (() => new Date());
  return {
    approved: (tx, _operation, context) => markCaptured(tx, context.merchant, BigInt(context.payment), now()),
    async declined(tx, operation, context) {
      await alert(tx, deps, CAPTURE_DECLINED_ALERT, operation, context);
      await deps.onDeclined(tx, context, operation.declineReason);
    },
  };
}

/** Reversals: the payment is marked reversed; a refusal raises an alert (the authorisation then lapses at the bank). */
export function reversalHandler(deps: HandlerDeps): PurposeHandler<'reversal'> {
  const now = deps.now ?? (() => new Date());
  return {
    approved: (tx, _operation, context) => markReversed(tx, context.merchant, BigInt(context.payment), now()),
    declined: (tx, operation, context) => alert(tx, deps, VOID_DECLINED_ALERT, operation, context),
  };
}
