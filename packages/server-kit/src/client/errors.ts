import type { ErrorCode, Issue, RefusalReason } from '@caisse/protocol';

/**
 * Codes the merchant API answers with besides the protocol's error codes and refusal
 * reasons (see the payment server README, "Errors"). The union is open: a newer payment
 * server may answer a code this kit does not list yet, and it reaches you unchanged.
 */
export type MerchantApiServerCode =
  | 'not_found'
  | 'method_not_allowed'
  | 'body_too_large'
  | 'request_invalid'
  | 'assertion_missing'
  | 'assertion_binding'
  | 'idempotency_key_missing'
  | 'idempotency_conflict'
  | 'idempotency_in_progress'
  | 'payment_unknown'
  | 'payment_ambiguous'
  | 'internal_error'
  | 'bank_pending'
  | 'merchant_pending'
  | 'merchant_suspended'
  | 'allowance_unknown'
  | 'allowance_expired'
  | 'allowance_exhausted'
  | 'allowance_revoked'
  | 'allowance_closed'
  | 'allowance_unfunded'
  | 'allowance_charge_cap_exceeded'
  | 'allowance_currency_mismatch'
  | 'dispute_unknown'
  | 'dispute_not_awaiting_answer';

/**
 * The `code` of a {@link MerchantApiError}: the problem document's stable code, or
 * `http_error` for an error response without one (a proxy's 502 page, a redirect).
 * @example if (error.code === 'payment_unknown') return notFound()
 */
export type MerchantApiErrorCode = ErrorCode | RefusalReason | MerchantApiServerCode | 'http_error' | (string & {});

/**
 * The payment server answered, and the answer is an error: `status` is the HTTP status,
 * `code` the server's stable code, `detail` its explanation for a human. Compare `code`,
 * never the message. Thrown after the retry policy has given up (`attempts` tells how
 * many requests were sent).
 * @example
 * try { await client.payments.get({ id: 'pay_1042' }) } catch (error) {
 *   if (isMerchantApiError(error, 'payment_unknown')) … // 404: not one of your payments
 * }
 */
export class MerchantApiError extends Error {
  override readonly name = 'MerchantApiError';
  readonly status: number;
  readonly code: MerchantApiErrorCode;
  /** The problem document's `detail`, or a short description when it had none. */
  readonly detail: string;
  /** The problem document's `title`, when it had one. */
  readonly title: string | undefined;
  /** Field-level problems (`request_invalid`): which path, and why. */
  readonly issues: readonly Issue[];
  /** Seconds the server asked to wait (`Retry-After`), when it said. */
  readonly retryAfter: number | undefined;
  /** The POST's `Idempotency-Key`: send the same request again with it and it will not act twice. */
  readonly idempotencyKey: string | undefined;
  /** Requests sent, retries included. */
  readonly attempts: number;

  constructor(init: {
    status: number;
    code: MerchantApiErrorCode;
    detail: string;
    title?: string | undefined;
    issues?: readonly Issue[];
    retryAfter?: number | undefined;
    idempotencyKey?: string | undefined;
    attempts: number;
  }) {
    super(`${init.code} (HTTP ${init.status}): ${init.detail}`);
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.title = init.title;
    this.issues = init.issues ?? [];
    this.retryAfter = init.retryAfter;
    this.idempotencyKey = init.idempotencyKey;
    this.attempts = init.attempts;
  }
}

/**
 * Why no usable answer came back: `timeout` (no complete response within the time-out),
 * `network_error` (the connection failed or was cut), `response_invalid` (a success status
 * whose body is not what the endpoint returns, e.g. HTML from a proxy). Whether a POST
 * acted is unknown: send it again with the same `idempotencyKey` and it acts at most once.
 * @example if (isMerchantTransportError(error, 'timeout')) await client.payments.request(input, { idempotencyKey: error.idempotencyKey })
 */
export type MerchantTransportErrorCode = 'timeout' | 'network_error' | 'response_invalid';

/**
 * The merchant API could not be reached, or its answer could not be read: kept apart
 * from {@link MerchantApiError} (the server answered with an error), as ky keeps
 * `TimeoutError` apart from `HTTPError`. The underlying error is the `cause`.
 * @example
 * try { await client.payments.get({ id: 'pay_1042' }) } catch (error) {
 *   if (isMerchantTransportError(error)) log.warn('payment server unreachable', { code: error.code })
 * }
 */
export class MerchantTransportError extends Error {
  override readonly name = 'MerchantTransportError';
  readonly code: MerchantTransportErrorCode;
  /** The POST's `Idempotency-Key`, to send the same request again safely. */
  readonly idempotencyKey: string | undefined;
  /** Requests sent, retries included. */
  readonly attempts: number;

  constructor(
    code: MerchantTransportErrorCode,
    message: string,
    init: { idempotencyKey?: string | undefined; attempts: number; cause?: unknown },
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.idempotencyKey = init.idempotencyKey;
    this.attempts = init.attempts;
  }
}

/**
 * Whether `error` is a {@link MerchantApiError} (with this `code`, if given). Compares
 * `name`, not the prototype, so it also recognises errors from another copy of the kit.
 * @example if (isMerchantApiError(error, 'token_replayed')) …
 */
export function isMerchantApiError(error: unknown, code?: MerchantApiErrorCode): error is MerchantApiError {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { name?: unknown; code?: unknown; status?: unknown };
  if (candidate.name !== 'MerchantApiError' || typeof candidate.code !== 'string' || typeof candidate.status !== 'number') return false;
  return code === undefined || candidate.code === code;
}

/**
 * Whether `error` is a {@link MerchantTransportError} (with this `code`, if given), by `name`.
 * @example if (isMerchantTransportError(error, 'timeout')) …
 */
export function isMerchantTransportError<C extends MerchantTransportErrorCode>(
  error: unknown,
  code?: C,
): error is MerchantTransportError & { code: C } {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { name?: unknown; code?: unknown };
  if (candidate.name !== 'MerchantTransportError' || typeof candidate.code !== 'string') return false;
  return code === undefined || candidate.code === code;
}
