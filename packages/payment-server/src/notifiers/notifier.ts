import type { ConfirmationRequest } from '@caisse/protocol';
import type { Customer } from '../customers/model.js';

/** Who a message goes to: the customer's id (for logs) and phone number (for the SMS gateway). */
export type Recipient = Pick<Customer, 'id' | 'phone'>;

/** Who a receipt goes to: also the language it is written in. */
export type ReceiptRecipient = Pick<Customer, 'id' | 'phone' | 'locale'>;

/** What a receipt says of a payment: amounts in minor units of `currency`, never a secret. */
export interface PaymentReceipt {
  readonly kind: 'payment';
  /** `pay_1042`: what the customer quotes to the operator, and finds on the account page. */
  readonly paymentId: string;
  /** The merchant's display name. */
  readonly payee: string;
  readonly amount: bigint;
  readonly currency: string;
  /** When the payment was booked. */
  readonly at: Date;
}

/** What a receipt says of a refund: the amount given back, and the payment it came from. */
export interface RefundReceipt {
  readonly kind: 'refund';
  readonly paymentId: string;
  readonly payee: string;
  /** What this refund gave back. */
  readonly amount: bigint;
  /** What the payment was. */
  readonly paid: bigint;
  readonly currency: string;
  /** When the refund succeeded. */
  readonly at: Date;
}

export type Receipt = PaymentReceipt | RefundReceipt;

/**
 * What became of one receipt: the channel took it (`sent`), the channel sends no receipts
 * (`skipped`, e.g. `CAISSE_NOTIFIER=stream`), or it failed with a short reason free of any
 * secret, and the receipt sender tries again.
 */
export type ReceiptOutcome =
  | { readonly status: 'sent' }
  | { readonly status: 'skipped' }
  | { readonly status: 'failed'; readonly error: string };

/**
 * Tells a customer something outside the device stream. The device stream always carries
 * new confirmation requests (the confirmations service feeds it through LISTEN/NOTIFY);
 * a notifier is the extra nudge — an SMS, or a log line in development — for a phone
 * whose app is asleep, and the way enrollment codes reach the customer.
 *
 * Notifiers never throw: a message that could not be sent is logged (without its text)
 * and never retried, so a slow or failing gateway cannot double an SMS or fail a payment.
 */
export interface Notifier {
  /** A new confirmation request is waiting on the customer's phone: payee and amount, never the challenge. */
  confirmationRequested(to: Recipient, request: ConfirmationRequest): Promise<void>;
  /** An enrollment code for a new device; the code is in the message and nowhere else (never in a log). */
  enrollmentCode(to: Recipient, code: string): Promise<void>;
  /**
   * A receipt of a payment or a refund, in the customer's language. Unlike the nudges
   * above, its outcome is returned: a receipt is a record the customer keeps, so the
   * receipt sender (`receipts/`) tries a failed one again. Never throws.
   */
  receipt(to: ReceiptRecipient, receipt: Receipt): Promise<ReceiptOutcome>;
}
