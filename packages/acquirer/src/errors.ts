/**
 * Errors of the acquirer side: a request the caller got wrong, or an inconsistency that
 * needs an operator. A bank that says no is not an error (it is a `declined` result),
 * nor is a bank that does not answer (a `pending` result).
 */
export const ACQUIRER_ERROR_CODES = {
  invalid_request: 'The request is malformed (key, amount, currency, reference or metadata).',
  idempotency_conflict: 'This idempotency key was already used for a bank operation with other content.',
  authorisation_unknown: 'No authorisation was recorded under this idempotency key.',
  authorisation_pending: 'The bank has not confirmed the authorisation yet, so it cannot be captured or refunded; reconcile first.',
  authorisation_declined: 'The authorisation was declined, so there is nothing to capture or refund.',
  bank_idempotency_conflict: 'The bank holds another operation under this idempotency key; an operator must look.',
  operation_immutable: 'A resolved bank operation never changes, and no operation is ever deleted.',
  no_acquirer: 'No configured acquirer takes this operation (no route matches its currency, amount or merchant).',
} as const;

export type AcquirerErrorCode = keyof typeof ACQUIRER_ERROR_CODES;

/**
 * An adapter throws `invalid_request` for a request it refuses to send and
 * `bank_idempotency_conflict` when the bank holds another request under the key; the
 * other codes are the payment server's.
 * @example
 * try { await operations.capture(input) } catch (err) {
 *   if (isAcquirerError(err, 'authorisation_pending')) …
 * }
 */
export class AcquirerError<C extends AcquirerErrorCode = AcquirerErrorCode> extends Error {
  override readonly name = 'AcquirerError';
  readonly code: C;
  /** Facts that help the caller act, e.g. `{ status: 'pending' }`. Never secrets. */
  readonly details: Readonly<Record<string, string>>;

  constructor(code: C, message?: string, options?: { cause?: unknown; details?: Readonly<Record<string, string>> }) {
    super(message ?? ACQUIRER_ERROR_CODES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details ?? {};
  }
}

/**
 * Compares `name` and `code`, not the prototype, so it works across copies of the package
 * (an adapter built against another copy of `@caisse/acquirer` than the payment server's).
 * @example if (isAcquirerError(error, 'bank_idempotency_conflict')) alertOperator(error.details);
 */
export function isAcquirerError<C extends AcquirerErrorCode>(error: unknown, code?: C): error is AcquirerError<C> {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { name?: unknown; code?: unknown };
  if (candidate.name !== 'AcquirerError' || typeof candidate.code !== 'string' || !Object.hasOwn(ACQUIRER_ERROR_CODES, candidate.code))
    return false;
  return code === undefined || candidate.code === code;
}
