import type { RefusalReason, VoucherClaims } from '@caisse/protocol';
import type { CheckoutSession } from '../checkout/sessions.js';
import type { Transaction } from '../storage/database.js';
import { withResult } from './tokens.js';

export interface Confirmation {
  method: VoucherClaims['confirmation']['method'];
  at: Date;
  /**
   * The SHA-256 (base64url) of the phone's signed approval (`confirmation_answers`), when a
   * phone approved: the payment's ledger transfer names it in its metadata, so the audit
   * register seals which approval moved the money.
   */
  approval?: string;
}

export type Outcome =
  | { result: 'paid'; serial: bigint; voucher: string; url: string }
  | { result: 'refused'; reason: RefusalReason }
  | { result: 'pending_bank' }
  /** The wallet was short: the customer is offered the bank on the checkout page (checkout/sessions.ts `Offer`). */
  | { result: 'choosing' }
  | { result: 'busy' };

/** A paid checkout: the browser goes back to the merchant's return URL with the voucher. */
export function paidOutcome(returnUrl: string, serial: bigint, voucher: string): Outcome {
  return { result: 'paid', serial, voucher, url: withResult(returnUrl, 'caisse_voucher', voucher) };
}

/** A checkout the customer confirmed: its session is `authorising`, the customer locked and within their ceilings. */
export interface PaymentAttempt {
  readonly session: CheckoutSession;
  readonly customerId: string;
  readonly confirmation: Confirmation;
}

/** A means that could not answer inside the payment's transaction: what it sends once that has committed. */
export interface Sending {
  readonly result: 'sending';
  /** Asks outside (an acquirer); its answer is booked by the means' handler, whenever it comes. */
  send(): Promise<void>;
}

/**
 * A means that cannot pay this checkout and changed nothing: the wallet short of money, no
 * bank reference or no acquirer for the amount. The customer's plan decides what is tried
 * next (authorise.ts); the reason is the refusal if nothing else pays.
 */
export interface Unable {
  readonly result: 'unable';
  readonly reason: 'insufficient_funds' | 'bank_declined';
}

/**
 * A way to pay a checkout: the customer's wallet, the acquirers; later the session
 * allowance and offline remittance. The checkout (authorise.ts) tries them in the order of
 * the customer's payment plan, in the payment's transaction; a means either settles the
 * payment there (books it and closes the session), moves the session on and returns what
 * to send once the transaction has committed, or says it is unable and changes nothing.
 */
export interface MeansOfPayment {
  authorise(tx: Transaction, attempt: PaymentAttempt): Promise<Outcome | Sending | Unable>;
}

/** A means the checkout can offer when another was unable (the bank, after a short wallet). */
export interface OfferableMeans extends MeansOfPayment {
  /** Whether it could take this payment as things stand, changing nothing: before offering it to the customer. */
  available(tx: Transaction, attempt: PaymentAttempt): Promise<boolean>;
}
