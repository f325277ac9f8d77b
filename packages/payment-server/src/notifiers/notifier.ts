import type { ConfirmationRequest } from '@caisse/protocol';
import type { Customer } from '../customers/model.js';

/** Who a message goes to: the customer's id (for logs) and phone number (for the SMS gateway). */
export type Recipient = Pick<Customer, 'id' | 'phone'>;

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
}
