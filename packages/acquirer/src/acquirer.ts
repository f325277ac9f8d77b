import type { RefusalReason } from '@caisse/protocol';

/**
 * The acquirer adapter: what the payment server asks of a bank network for payments at
 * or above the wallet threshold. `@caisse/sandbox-bank` implements it over HTTP for demos
 * and tests; a real bank gets an adapter of its own, in the operator's code.
 *
 * Every call carries an idempotency key that the adapter hands to the bank unchanged, so
 * that asking twice can never move money twice. The adapter never retries on its own:
 * when the outcome is unknown it answers `pending` and the payment server resolves it
 * later, with the same key.
 *
 * Money is an integer count of minor units plus an ISO 4217 code, as everywhere in Caisse.
 */

export const OPERATION_KINDS = ['authorise', 'capture', 'refund', 'payout', 'void'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/**
 * Why a bank said no. Stable codes: they are stored and compared. Each maps to the
 * protocol refusal `bank_declined` (the customer and the merchant are told the bank
 * refused; the precise reason stays with the operator).
 */
export const DECLINE_REASONS = {
  insufficient_funds: 'The customer’s bank account cannot cover the amount.',
  lost_card: 'The means of payment was reported lost or stolen.',
  do_not_honour: 'The bank declined without giving a reason.',
  account_unknown: 'The bank has no account with this reference.',
  authorisation_unknown: 'The bank has no authorisation with this id.',
  amount_exceeds_authorisation: 'The capture is larger than what remains of the authorisation.',
  amount_exceeds_capture: 'The refund is larger than what was captured and not yet refunded.',
  request_rejected: 'The bank refused the request as malformed; nothing was done.',
  // Never a bank's answer: the payment server records it when a lookup proved the bank
  // never had the authorisation, and hands the payment over to another acquirer.
  not_received: 'The bank never received the request (its lookup found nothing); nothing was done.',
} as const;

export type DeclineReason = keyof typeof DECLINE_REASONS;

/** Why an outcome is not known yet. In each case the bank may or may not have acted. */
export const PENDING_CAUSES = {
  timeout: 'The bank did not answer within the client timeout.',
  unreachable: 'The bank could not be reached (connection refused or reset).',
  bank_error: 'The bank answered with a server error.',
  response_invalid: 'The bank answered with something that is not a valid result.',
} as const;

export type PendingCause = keyof typeof PENDING_CAUSES;

export interface AuthoriseRequest {
  /** At most 255 visible ASCII characters; the same key is sent on every retry. */
  readonly idempotencyKey: string;
  /** The customer's funding reference at the bank (opaque; never a card number). */
  readonly customerBankRef: string;
  readonly amount: number;
  readonly currency: string;
  readonly merchantId: string;
  /** Shown on the customer's bank statement; at most 200 characters. */
  readonly description: string;
}

export interface CaptureRequest {
  readonly idempotencyKey: string;
  /** The bank reference of an approved authorisation. */
  readonly authorisationId: string;
  readonly amount: number;
}

export interface RefundRequest {
  readonly idempotencyKey: string;
  /** The bank reference of the authorisation whose captured funds are refunded. */
  readonly authorisationId: string;
  readonly amount: number;
}

export interface VoidRequest {
  readonly idempotencyKey: string;
  /** The bank reference of the authorisation whose uncaptured remainder is released. */
  readonly authorisationId: string;
  readonly amount: number;
}

export interface PayoutRequest {
  readonly idempotencyKey: string;
  readonly merchantId: string;
  /** The merchant's account at the bank: an IBAN or the bank's own account reference. */
  readonly accountRef: string;
  readonly amount: number;
  readonly currency: string;
}

/** The bank did it. */
export interface Approved {
  readonly status: 'approved';
  readonly kind: OperationKind;
  /** The bank's reference for the operation (for an authorisation: the id to capture and refund). */
  readonly bankReference: string;
  readonly amount: number;
  readonly currency: string;
}

/** The bank refused: definitive, nothing moved. */
export interface Declined {
  readonly status: 'declined';
  readonly kind: OperationKind;
  readonly reason: DeclineReason;
  /** What the customer and merchant are told: always `bank_declined`. */
  readonly refusal: Extract<RefusalReason, 'bank_declined'>;
  /** The bank's reference for the refused operation, when it gave one. */
  readonly bankReference: string | null;
  readonly amount: number;
}

/** The outcome is unknown: the bank may have acted. Never retry with a new key. */
export interface Pending {
  readonly status: 'pending';
  readonly cause: PendingCause;
  /** Words for the operator's log; never holds secrets. */
  readonly detail: string;
}

export type AcquirerResult = Approved | Declined | Pending;

/** `unknown`: the bank has no operation under this key (it never received the request). */
export type LookupResult = AcquirerResult | { readonly status: 'unknown' };

/**
 * @example
 * const result = await acquirer.authorise({
 *   idempotencyKey: 'acq:authorise:shop-1:T-42', customerBankRef: 'test_approve',
 *   amount: 12_500, currency: 'EUR', merchantId: 'shop-1', description: 'Order 42',
 * });
 * if (result.status === 'declined') refuse(result.refusal); // 'bank_declined'
 */
export interface Acquirer {
  /** Reserves the amount on the customer's account. */
  authorise(request: AuthoriseRequest): Promise<AcquirerResult>;
  /** Takes (part of) an approved authorisation. */
  capture(request: CaptureRequest): Promise<AcquirerResult>;
  /** Gives back (part of) what was captured. */
  refund(request: RefundRequest): Promise<AcquirerResult>;
  /**
   * Releases what remains of an approved authorisation that will never be captured (e.g.
   * an escrow voided): the customer's money is no longer reserved.
   */
  void(request: VoidRequest): Promise<AcquirerResult>;
  /** Sends money from the operator to a merchant's bank account. */
  payout(request: PayoutRequest): Promise<AcquirerResult>;
  /**
   * What the bank did under this key, for reconciliation. Answer `unknown` only when the
   * bank has no operation under the key and will not act on a late copy of it: the payment
   * server may then hand the payment to another acquirer. When in doubt, `pending`.
   */
  lookup(idempotencyKey: string): Promise<LookupResult>;
}

/**
 * The protocol refusal for a bank decline, whatever the bank's reason.
 * @example refusalFor('lost_card') // 'bank_declined'
 */
export function refusalFor(_reason: DeclineReason): Extract<RefusalReason, 'bank_declined'> {
  return 'bank_declined';
}

/**
 * Own keys of {@link DECLINE_REASONS} only: a stored `'toString'` is no reason.
 * @example isDeclineReason(row.decline_reason) ? row.decline_reason : 'do_not_honour'
 */
export function isDeclineReason(value: unknown): value is DeclineReason {
  return typeof value === 'string' && Object.hasOwn(DECLINE_REASONS, value);
}

/** @example isOperationKind('void') // true */
export function isOperationKind(value: unknown): value is OperationKind {
  return typeof value === 'string' && (OPERATION_KINDS as readonly string[]).includes(value);
}
