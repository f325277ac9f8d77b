import type { ApprovedOperation, DeclinedOperation } from '../acquirer/model.js';
import type { AcquirerOperations, OperationOutcome } from '../acquirer/operations.js';
import { createAlertService } from '../alerts/service.js';
import type { Logger } from '../log.js';
import { type PaymentRecord, paymentAuthorisationKey } from '../payments/record.js';
import type { Database, Transaction } from '../storage/database.js';

/** What a capture carries in its metadata, so the hooks know it. */
export const CAPTURE_PURPOSE = 'capture';

/** The alert an operator gets when the bank refuses to capture money already credited to a till. */
export const CAPTURE_DECLINED_ALERT = 'bank_capture_declined';

type CapturedPayment = Pick<PaymentRecord, 'serial' | 'merchantId' | 'ticketJti' | 'amount'>;

/**
 * Asks the bank to capture the whole authorisation of a bank payment. Every caller (the
 * sweep, a refund that needs the money captured first) sends the same key and content, so
 * the bank captures a payment once whoever asks first.
 */
export function capturePayment(operations: AcquirerOperations, payment: CapturedPayment): Promise<OperationOutcome> {
  return operations.capture({
    idempotencyKey: `acq:capture:${payment.merchantId}:${payment.ticketJti}`,
    authorisationKey: paymentAuthorisationKey(payment),
    amount: Number(payment.amount),
    metadata: { purpose: CAPTURE_PURPOSE, merchant: payment.merchantId, payment: payment.serial.toString() },
  });
}

export interface CaptureDeps {
  db: Database;
  /** The bank side; without it nothing is captured. */
  bank?: () => AcquirerOperations;
  now?: () => Date;
  log?: Logger;
}

export interface CaptureService {
  /**
   * Asks the bank to capture the bank payments whose money reached a merchant's till (paid
   * at once, or released from escrow) and that were never sent for capture, oldest first.
   * Safe on several instances at once: one key per payment. Returns how many it sent.
   */
  run(options?: { limit?: number }): Promise<number>;
  /** The acquirer's hooks for captures; they ignore other operations. */
  onBankApproved(tx: Transaction, operation: ApprovedOperation): Promise<void>;
  onBankDeclined(tx: Transaction, operation: DeclinedOperation): Promise<void>;
}

interface UncapturedRow {
  serial: bigint;
  merchant_id: string;
  ticket_jti: string;
  amount: bigint;
}

const isCapture = (operation: ApprovedOperation | DeclinedOperation) =>
  operation.kind === 'capture' && operation.metadata.purpose === CAPTURE_PURPOSE;

/**
 * Bank captures. A bank payment credits the merchant's till when the bank authorises it,
 * and settlement pays that till out: the operator must collect the money too, so each
 * payment whose money reached a till is captured, in full, once. A held payment is
 * captured when delivery releases it; a voided one never is (its authorisation lapses).
 * A capture the bank refuses raises an operator alert, since the till was already credited.
 * @example const captures = createCaptureService({ db, bank: () => operations }); await captures.run()
 */
export function createCaptureService(deps: CaptureDeps): CaptureService {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    async run(options = {}) {
      const operations = deps.bank?.();
      if (operations === undefined) return 0;
      const { rows } = await db.query<UncapturedRow>(
        `SELECT p.serial, p.merchant_id, p.ticket_jti, p.amount FROM payments p
          WHERE p.funding = 'bank' AND p.captured_at IS NULL AND p.status IN ('authorised', 'released')
            AND NOT EXISTS (SELECT 1 FROM acquirer_operations o WHERE o.idempotency_key = 'acq:capture:' || p.merchant_id || ':' || p.ticket_jti)
          ORDER BY p.created_at LIMIT $1`,
        [options.limit ?? 100],
      );
      for (const row of rows) {
        const payment = { serial: BigInt(row.serial), merchantId: row.merchant_id, ticketJti: row.ticket_jti, amount: BigInt(row.amount) };
        await capturePayment(operations, payment).catch((error: unknown) =>
          deps.log?.error('payment.capture_failed', { merchantId: payment.merchantId, payment: payment.serial.toString(), error }),
        );
      }
      return rows.length;
    },

    async onBankApproved(tx, operation) {
      if (!isCapture(operation)) return;
      await tx.query('UPDATE payments SET captured_at = $3 WHERE merchant_id = $1 AND serial = $2 AND captured_at IS NULL', [
        String(operation.metadata.merchant),
        BigInt(String(operation.metadata.payment)),
        now(),
      ]);
    },

    async onBankDeclined(tx, operation) {
      if (!isCapture(operation)) return;
      const merchant = String(operation.metadata.merchant);
      const payment = String(operation.metadata.payment);
      await createAlertService({ db: tx, now, ...(deps.log ? { log: deps.log } : {}) }).raise({
        kind: CAPTURE_DECLINED_ALERT,
        subject: `${merchant}/${payment}`,
        details: { merchant, payment, amount: operation.amount, currency: operation.currency, reason: operation.declineReason },
      });
      deps.log?.warn('payment.capture_declined', { merchantId: merchant, payment, reason: operation.declineReason });
    },
  };
}
