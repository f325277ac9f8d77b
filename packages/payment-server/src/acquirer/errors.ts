import type { ProblemCode } from '../http/problem.js';
import { constraintName } from '../storage/errors.js';

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
} as const;

export type AcquirerErrorCode = keyof typeof ACQUIRER_ERROR_CODES;

/**
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

/** Compares `name` and `code`, not the prototype, so it works across copies of the package. */
export function isAcquirerError<C extends AcquirerErrorCode>(error: unknown, code?: C): error is AcquirerError<C> {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { name?: unknown; code?: unknown };
  if (candidate.name !== 'AcquirerError' || typeof candidate.code !== 'string' || !Object.hasOwn(ACQUIRER_ERROR_CODES, candidate.code))
    return false;
  return code === undefined || candidate.code === code;
}

/** The problem code the HTTP layer answers with for each error. A `Record`, so every code has one. */
export const ACQUIRER_PROBLEMS: Record<AcquirerErrorCode, ProblemCode> = {
  invalid_request: 'request_invalid',
  idempotency_conflict: 'idempotency_conflict',
  authorisation_unknown: 'payment_unknown',
  authorisation_pending: 'bank_pending',
  authorisation_declined: 'bank_declined',
  bank_idempotency_conflict: 'internal_error',
  operation_immutable: 'internal_error',
};

/** Database constraints of migration 0004 and what each one means. Mapped by name, never by message. */
export const ACQUIRER_CONSTRAINTS = {
  acquirer_operations_idempotency_key: 'idempotency_conflict',
  acquirer_operations_key_format: 'invalid_request',
  acquirer_operations_kind: 'invalid_request',
  acquirer_operations_amount: 'invalid_request',
  acquirer_operations_currency: 'invalid_request',
  acquirer_operations_parent: 'invalid_request',
  acquirer_operations_outcome: 'invalid_request',
  acquirer_operations_request_hash: 'invalid_request',
  acquirer_operations_status: 'invalid_request',
  acquirer_operations_attempts: 'invalid_request',
  acquirer_operations_authorisation: 'authorisation_unknown',
  acquirer_operations_immutable: 'operation_immutable',
  acquirer_operations_final: 'operation_immutable',
  acquirer_operations_append_only: 'operation_immutable',
} as const satisfies Record<string, AcquirerErrorCode>;

/** Translates an error raised by a constraint of `acquirer_operations`; anything else is returned unchanged. */
export function fromDatabaseError(error: unknown): unknown {
  const constraint = constraintName(error);
  if (constraint === undefined || !Object.hasOwn(ACQUIRER_CONSTRAINTS, constraint)) return error;
  const code = ACQUIRER_CONSTRAINTS[constraint as keyof typeof ACQUIRER_CONSTRAINTS];
  return new AcquirerError(code, undefined, { cause: error, details: { constraint } });
}
