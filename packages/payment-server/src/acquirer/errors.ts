import { AcquirerError, type AcquirerErrorCode } from '@caisse/acquirer';
import type { ProblemCode } from '../http/problem.js';
import { constraintName } from '../storage/errors.js';

/**
 * The payment server's side of the acquirer errors (`AcquirerError` itself is the
 * contract's, in `@caisse/acquirer`): the problem code the HTTP layer answers with for each
 * error. A `Record`, so every code has one.
 */
export const ACQUIRER_PROBLEMS: Record<AcquirerErrorCode, ProblemCode> = {
  invalid_request: 'request_invalid',
  idempotency_conflict: 'idempotency_conflict',
  authorisation_unknown: 'payment_unknown',
  authorisation_pending: 'bank_pending',
  authorisation_declined: 'bank_declined',
  bank_idempotency_conflict: 'internal_error',
  operation_immutable: 'internal_error',
  // The operation can go through none of the banks the operator configured: to the
  // customer and the merchant, as final as a bank's refusal.
  no_acquirer: 'bank_declined',
};

/** Database constraints of migrations 0004 and 0019 and what each one means. Mapped by name, never by message. */
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
  // Migration 0019: several acquirers. The code never breaks these; a hand-written row might.
  acquirer_operations_acquirer: 'invalid_request',
  acquirer_operations_id_acquirer: 'invalid_request',
  acquirer_operations_same_acquirer: 'invalid_request',
  acquirer_operations_fallbacks: 'invalid_request',
  acquirer_operations_handed_over_to: 'invalid_request',
  acquirer_operations_handover: 'invalid_request',
} as const satisfies Record<string, AcquirerErrorCode>;

/** Translates an error raised by a constraint of `acquirer_operations`; anything else is returned unchanged. */
export function fromDatabaseError(error: unknown): unknown {
  const constraint = constraintName(error);
  if (constraint === undefined || !Object.hasOwn(ACQUIRER_CONSTRAINTS, constraint)) return error;
  const code = ACQUIRER_CONSTRAINTS[constraint as keyof typeof ACQUIRER_CONSTRAINTS];
  return new AcquirerError(code, undefined, { cause: error, details: { constraint } });
}
