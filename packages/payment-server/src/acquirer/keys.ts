/**
 * The idempotency keys of the operations sent to the bank, one function per operation.
 * The bank and `acquirer_operations` recognise an operation by its key alone, so every
 * caller that may send the same operation (the first try, a resume after a crash, a
 * refund that needs the capture first) must build it here, and no key is spelled
 * anywhere else. Keys are `acq:<kind>:<owner>:<what>`.
 */

/**
 * Every capture key starts with this: the capture sweep joins payments to their capture
 * operation in SQL (`payments/repository.ts`), as `BANK_CAPTURE_KEY_PREFIX || merchant || ':' || ticket jti`.
 */
export const BANK_CAPTURE_KEY_PREFIX = 'acq:capture:';

/**
 * The authorisation of a bank payment: one per ticket.
 * @example bankAuthorisationKey('bookshop', 'T-42') // 'acq:authorise:bookshop:T-42'
 */
export function bankAuthorisationKey(merchantId: string, ticketJti: string): string {
  return `acq:authorise:${merchantId}:${ticketJti}`;
}

/**
 * The capture of a bank payment's whole authorisation: one per payment, whoever asks first.
 * @example bankCaptureKey('bookshop', 'T-42') // 'acq:capture:bookshop:T-42'
 */
export function bankCaptureKey(merchantId: string, ticketJti: string): string {
  return `${BANK_CAPTURE_KEY_PREFIX}${merchantId}:${ticketJti}`;
}

/** Every void key starts with this: the reversal sweep joins payments to their void operation in SQL, as captures do. */
export const BANK_VOID_KEY_PREFIX = 'acq:void:';

/**
 * The void of a bank payment's authorisation, when escrow voided the payment: one per payment.
 * @example bankVoidKey('bookshop', 'T-42') // 'acq:void:bookshop:T-42'
 */
export function bankVoidKey(merchantId: string, ticketJti: string): string {
  return `${BANK_VOID_KEY_PREFIX}${merchantId}:${ticketJti}`;
}

/**
 * A refund of a bank payment: one per refund.
 * @example bankRefundKey('bookshop', 'rf_x') // 'acq:refund:bookshop:rf_x'
 */
export function bankRefundKey(merchantId: string, refundId: string): string {
  return `acq:refund:${merchantId}:${refundId}`;
}

/**
 * The payout of a merchant's settlement: one per merchant, day and currency.
 * @example bankPayoutKey('bookshop', '2030-01-31', 'EUR') // 'acq:payout:bookshop:2030-01-31:EUR'
 */
export function bankPayoutKey(merchantId: string, date: string, currency: string): string {
  return `acq:payout:${merchantId}:${date}:${currency}`;
}

/**
 * The bank authorisation of a wallet top-up: one per top-up.
 * @example bankTopUpKey('alice', 'tu_x') // 'acq:top_up:alice:tu_x'
 */
export function bankTopUpKey(customerId: string, topUpId: string): string {
  return `acq:top_up:${customerId}:${topUpId}`;
}
