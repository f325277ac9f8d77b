import { ERROR_CODES, type ErrorCode, REFUSAL_REASONS, type RefusalReason } from '@caisse/protocol';
import { ERROR_HTTP_STATUS } from '@caisse/server-kit';
import { isStorageError } from '../storage/errors.js';
import { currentRequestId } from './request-context.js';

/** Codes only the payment server raises, on top of the protocol's error codes and refusal reasons. */
export const SERVER_ERROR_CODES = {
  not_found: 'There is nothing at this address.',
  body_too_large: 'The request body is larger than this endpoint accepts.',
  request_invalid: 'The request is missing a field or has one of the wrong form.',
  csrf_invalid: 'The form was not sent from the page that showed it; reload the page and try again.',
  session_unknown: 'This checkout session does not exist or belongs to another browser.',
  return_origin_unregistered: 'The ticket returns to an origin the merchant has not registered.',
  ticket_mode_mismatch:
    'The ticket is of the other mode: a test ticket (test: true, or signed with a test_ key) at a live payment server, or a live one at a payment server in test mode.',
  key_mode_mismatch:
    'A live payment server registers no test key (kid test_…), and a payment server in test mode registers only test keys (caisse keys new --test).',
  assertion_missing: 'Merchant API calls need a signed assertion in the Authorization header.',
  assertion_binding: 'The assertion was made for another method, URL or body.',
  idempotency_key_missing: 'POST requests need an Idempotency-Key header.',
  idempotency_conflict: 'This Idempotency-Key was used with another request body.',
  idempotency_in_progress: 'A request with this Idempotency-Key is still being processed; retry later.',
  payment_unknown: 'No payment with this id (or order serial) belongs to this merchant.',
  payment_ambiguous: 'Several of your payments have this order serial; name the one you mean by its payment id (listed in `payments`).',
  internal_error: 'Something went wrong on the payment server; nothing was charged twice. Try again.',
  bank_pending: 'The bank has not confirmed this operation yet; it is recorded and will be settled exactly once. Check again shortly.',
  merchant_exists: 'A merchant with this id is already registered.',
  merchant_key_unknown: 'This merchant has no active key with this kid.',
  merchant_key_last: "This is the merchant's last active key; add its successor before retiring it.",
  merchant_pending: 'This merchant is waiting for the payment operator to approve it: it takes no payments until then.',
  merchant_suspended:
    'The payment operator has suspended this merchant: it takes no new payments. Refunds, escrow, settlement and disputes of its past payments go on.',
  merchant_status_conflict:
    'The merchant is not in a status this change applies to (approve a pending merchant, suspend an active or pending one, resume a suspended one).',
  origin_invalid:
    'A return origin is written exactly as https://host[:port] (http only for localhost), without path, credentials or wildcard.',
  customer_exists: 'A customer with this account id or phone number already exists.',
  customer_unknown: 'No customer has this account id.',
  wallet_unknown: 'The customer has no wallet in this currency.',
  wallet_cap_exceeded: 'The wallet would hold more than its cap.',
  alert_unknown: 'No operator alert has this id.',
  payment_not_held: 'This payment is not held in escrow: only a deferred-delivery payment still held can be delivered or cancelled.',
  escrow_already_released: 'The funds of this payment were already released to the merchant; it cannot be delivered or cancelled again.',
  escrow_already_voided: 'The funds of this payment were already returned to the customer; it cannot be delivered or cancelled again.',
  payment_held: 'This payment is still held in escrow: cancel it instead of refunding it.',
  payment_not_refundable: 'This payment moved no money to the merchant, or its funds were returned: there is nothing to refund.',
  refund_exceeds_payment: 'Refunds of this payment would add up to more than was paid.',
  carrier_key_exists: 'This merchant already has a key with this kid.',
  merchant_bank_account_missing: 'This merchant has no bank account registered for payouts.',
  settlement_not_due: 'This day has not reached its settlement cut-off yet.',
  settlement_out_of_order: 'A later day is already settled for this merchant; earlier days are covered by it.',
  customer_bank_account_missing: 'No bank account is registered for this customer: top-ups need one.',
  enrollment_code_invalid: 'This enrollment code is unknown, already used or expired (codes last 10 minutes and work once).',
  device_unknown: 'No device is enrolled with this key, or the signature does not verify.',
  device_revoked: 'This device was revoked; enroll it again with a new code.',
  confirmation_unknown: 'No confirmation request has this id for this customer.',
  confirmation_mismatch:
    'The signed answer does not repeat the request exactly (amount, payee, ticket, challenge, currency or request id).',
  confirmation_answered: 'This confirmation request was already approved, declined or cancelled.',
  pin_invalid: 'The PIN is wrong.',
  pin_required: 'This request is approved with the PIN: the signed answer must carry its proof.',
  plan_out_of_bounds:
    "A payment plan stays within the operator's bounds: the wallet threshold, the tap limit and the daily and monthly ceilings can be lowered, never raised.",
  shared_data_invalid:
    'The customer data the ticket requests is missing or malformed; the hosted page says which field and why, and stores nothing.',
  allowance_unknown: 'No session allowance with this id belongs to this merchant (or to this customer).',
  allowance_expired: 'This allowance has expired: its charges are settled, and it takes no more.',
  allowance_exhausted: 'This charge would take the allowance past its maximum (for this period, if it recurs).',
  allowance_revoked: 'The customer revoked this allowance: its charges are settled, and it takes no more.',
  allowance_closed: 'This allowance was closed: its charges are settled, and it takes no more.',
  allowance_unfunded: "The customer's wallet could no longer hold the next period's maximum back: the allowance ended.",
  allowance_charge_cap_exceeded: 'This charge is above the most one charge may take under this allowance.',
  allowance_currency_mismatch: 'The charge is in another currency than the allowance.',
  too_many_requests: 'This client has asked too often; try again after the seconds Retry-After gives.',
  service_unavailable:
    'The payment server cannot reach its database right now (it is restarting, or the network to it failed). Nothing is half-done: retry after the seconds Retry-After gives, with the same Idempotency-Key.',
  quote_endpoint_missing: 'This merchant has registered no quote endpoint: its pages carry tickets it signed itself.',
  quote_unavailable: 'The merchant says this item cannot be bought now.',
  quote_failed:
    "The merchant's quote endpoint did not answer in time with a valid signed ticket for this request; nothing was charged. Try again.",
  content_unknown: 'No digital good with this reference is stored for this merchant.',
  content_released: 'This digital good was already released to the browser that paid for it: it is released once.',
  content_withheld: 'This digital good is released only for an authorised payment that was not refunded or reversed.',
  delivery_unavailable:
    'This ticket names a digital good, which the payment server releases only to the browser that paid on the hosted page: send the customer to /pay, or deliver it yourself and issue the ticket without delivery.',
  requested_data_unavailable:
    'This ticket requests customer data, which only the hosted checkout page can collect: send the customer to /pay, or issue the ticket without requested.',
  dispute_unknown: 'No dispute with this id belongs to this merchant (or to this customer).',
  dispute_exists: 'This payment is already disputed: a payment is disputed once, and its dispute says where it stands.',
  dispute_window_closed: 'The time to dispute this payment has passed (CAISSE_DISPUTE_OPEN_DAYS after it was paid).',
  dispute_exceeds_payment: 'A dispute is for at most what was paid less what was already refunded.',
  dispute_not_awaiting_answer:
    "This dispute no longer awaits the merchant's answer: it was answered, decided, or its answer deadline passed.",
  dispute_resolved: 'This dispute was already decided: its outcome stands, and its amount can no longer be held.',
  metrics_unauthorized: 'GET /metrics needs the metrics token of this payment server: Authorization: Bearer <CAISSE_METRICS_TOKEN>.',
} as const;

export type ServerErrorCode = keyof typeof SERVER_ERROR_CODES;
export type ProblemCode = ErrorCode | RefusalReason | ServerErrorCode;

/** The HTTP status of each code. A `Record`, so the compiler insists every code has one. */
export const PROBLEM_STATUS: Record<ProblemCode, number> = {
  ...ERROR_HTTP_STATUS,
  // A merchant registering a malformed key set is the request's fault here, not an upstream one.
  keys_invalid: 400,
  insufficient_funds: 402,
  ceiling_exceeded: 402,
  authentication_failed: 401,
  account_locked: 423,
  customer_declined: 402,
  confirmation_expired: 410,
  bank_declined: 402,
  ticket_expired: 410,
  ticket_invalid: 400,
  ticket_replayed: 409,
  merchant_unknown: 400,
  not_found: 404,
  body_too_large: 413,
  request_invalid: 400,
  csrf_invalid: 403,
  session_unknown: 404,
  return_origin_unregistered: 400,
  ticket_mode_mismatch: 400,
  key_mode_mismatch: 400,
  assertion_missing: 401,
  assertion_binding: 401,
  idempotency_key_missing: 400,
  idempotency_conflict: 422,
  idempotency_in_progress: 409,
  payment_unknown: 404,
  payment_ambiguous: 409,
  internal_error: 500,
  bank_pending: 504,
  merchant_exists: 409,
  merchant_key_unknown: 404,
  merchant_key_last: 409,
  merchant_pending: 403,
  merchant_suspended: 403,
  merchant_status_conflict: 409,
  origin_invalid: 400,
  customer_exists: 409,
  customer_unknown: 404,
  wallet_unknown: 404,
  wallet_cap_exceeded: 409,
  alert_unknown: 404,
  payment_not_held: 409,
  allowance_unknown: 404,
  too_many_requests: 429,
  service_unavailable: 503,
  quote_endpoint_missing: 404,
  quote_unavailable: 409,
  quote_failed: 502,
  content_unknown: 404,
  content_released: 410,
  content_withheld: 409,
  allowance_expired: 409,
  allowance_exhausted: 409,
  allowance_revoked: 409,
  allowance_closed: 409,
  allowance_unfunded: 409,
  allowance_charge_cap_exceeded: 422,
  allowance_currency_mismatch: 422,
  escrow_already_released: 409,
  escrow_already_voided: 409,
  payment_held: 409,
  payment_not_refundable: 409,
  refund_exceeds_payment: 409,
  carrier_key_exists: 409,
  merchant_bank_account_missing: 409,
  settlement_not_due: 409,
  settlement_out_of_order: 409,
  customer_bank_account_missing: 409,
  enrollment_code_invalid: 400,
  device_unknown: 401,
  device_revoked: 403,
  plan_out_of_bounds: 422,
  confirmation_unknown: 404,
  confirmation_mismatch: 422,
  confirmation_answered: 409,
  pin_invalid: 401,
  pin_required: 401,
  shared_data_invalid: 422,
  requested_data_unavailable: 422,
  delivery_unavailable: 422,
  dispute_unknown: 404,
  dispute_exists: 409,
  dispute_window_closed: 409,
  dispute_exceeds_payment: 409,
  dispute_not_awaiting_answer: 409,
  dispute_resolved: 409,
  metrics_unauthorized: 401,
};

const TITLES: Record<ProblemCode, string> = { ...ERROR_CODES, ...REFUSAL_REASONS, ...SERVER_ERROR_CODES };

/** An error the HTTP layer turns into `application/problem+json` (RFC 9457) with its stable `code`. */
/** The value of a problem's extension member: a plain value, or a list of ids. */
export type ProblemExtension = string | number | boolean | readonly string[];

export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  readonly code: ProblemCode;
  readonly status: number;
  readonly issues: readonly { path: string; message: string }[];
  /** Extension members of the problem body (RFC 9457 §3.2), e.g. `attemptsLeft`. */
  readonly extensions: Readonly<Record<string, ProblemExtension>>;

  constructor(
    code: ProblemCode,
    detail?: string,
    options: {
      issues?: readonly { path: string; message: string }[];
      cause?: unknown;
      extensions?: Readonly<Record<string, ProblemExtension>>;
    } = {},
  ) {
    super(detail ?? TITLES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = PROBLEM_STATUS[code];
    this.issues = options.issues ?? [];
    this.extensions = options.extensions ?? {};
  }
}

/** @example return problemResponse(new ProblemError('not_found')) */
export function problemResponse(error: ProblemError, headers?: HeadersInit): Response {
  const body = {
    ...error.extensions,
    type: 'about:blank',
    title: TITLES[error.code],
    status: error.status,
    code: error.code,
    detail: error.message,
    ...(error.issues.length > 0 ? { issues: error.issues } : {}),
    // What the client quotes to the operator, who finds it in every log line of the request (RFC 9457 §3.2 extension).
    ...requestIdMember(),
  };
  // The content type goes into the constructor: @hono/node-server's Response rebuilds itself
  // from its constructor arguments when cloned (the idempotency middleware clones what it
  // keeps), which would drop a header set afterwards.
  const all = new Headers(headers);
  all.set('content-type', 'application/problem+json');
  return new Response(JSON.stringify(body), { status: error.status, headers: all });
}

function requestIdMember(): { requestId?: string } {
  const requestId = currentRequestId();
  return requestId === undefined ? {} : { requestId };
}

/** Seconds a client is told to wait before retrying a request the database could not serve. */
const UNAVAILABLE_RETRY_AFTER = '2';

/**
 * An error as the problem it is shown as, when it has one: a {@link ProblemError}, or the
 * database out of reach (`service_unavailable`, retryable). Anything else is unexpected:
 * `undefined`, and the caller logs it and answers `internal_error`.
 * @example const problem = problemOf(error); if (problem) return problemResponse(problem, retryHeaders(problem));
 */
export function problemOf(error: unknown): ProblemError | undefined {
  if (error instanceof ProblemError) return error;
  if (isStorageError(error, 'database_unavailable')) return new ProblemError('service_unavailable', undefined, { cause: error });
  return undefined;
}

/** `Retry-After` for the problems a client should retry after a pause. */
export function retryHeaders(problem: ProblemError): Record<string, string> {
  return problem.code === 'service_unavailable' ? { 'retry-after': UNAVAILABLE_RETRY_AFTER } : {};
}
