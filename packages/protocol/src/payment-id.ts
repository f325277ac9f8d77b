/**
 * The payment server's id of a payment: `pay_` and its register serial in decimal. The
 * prefix keeps it apart from the merchant's own order serial (the ticket's `serial`),
 * which may be a number too: an order serial can never take this form (the ticket schema
 * refuses it), so a payment id and an order serial can never be mistaken for each other.
 */
const PAYMENT_ID = /^pay_[1-9][0-9]{0,18}$/;
const INT8_MAX = 9_223_372_036_854_775_807n;

/**
 * Whether `text` is a payment id (`pay_1042`): the voucher's `jti`, `payment.id` in notifications.
 * @example if (!isPaymentId(input)) throw new TypeError('not a payment id')
 */
export function isPaymentId(text: unknown): text is string {
  return typeof text === 'string' && PAYMENT_ID.test(text) && BigInt(text.slice(4)) <= INT8_MAX;
}

/**
 * The payment id of a register serial.
 * @example paymentId(1042n) // 'pay_1042'
 */
export function paymentId(serial: bigint | string): string {
  return `pay_${serial}`;
}

/**
 * The register serial a payment id names; undefined when `text` is not a payment id.
 * @example paymentSerial('pay_1042') // 1042n
 */
export function paymentSerial(text: string): bigint | undefined {
  return isPaymentId(text) ? BigInt(text.slice(4)) : undefined;
}

/** What a payment id looks like, for error messages. */
export const PAYMENT_ID_FORM = 'pay_ and a positive whole number, such as pay_1042';
