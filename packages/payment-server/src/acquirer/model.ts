import { type DeclineReason, isDeclineReason, type OperationKind } from '@caisse/acquirer';
import type { RefusalReason } from '@caisse/protocol';
import type { JsonObject } from '../ledger/model.js';

/**
 * A bank operation as the payment server recorded it (table `acquirer_operations`,
 * migration 0004). A discriminated union on `status`, so that `bankReference` is a
 * string once approved and `declineReason` is set once declined.
 */
interface OperationBase {
  /** Our id for the operation (captures and refunds point at their authorisation by it). */
  readonly id: string;
  /** The named acquirer it went to (routing.ts); a capture, refund or void goes to its authorisation's. */
  readonly acquirer: string;
  /** The key sent to the bank on every attempt; never replaced. */
  readonly idempotencyKey: string;
  readonly kind: OperationKind;
  /** For a capture or refund, the `id` of the authorisation it applies to. */
  readonly authorisationId: string | null;
  /** Minor units. */
  readonly amount: number;
  readonly currency: string;
  /** The caller's context (merchant, ticket, checkout session…), handed back to the hooks. */
  readonly metadata: JsonObject;
  /** Calls made to the bank about this operation: the operation itself, retries and lookups. */
  readonly attempts: number;
  /** Why the last attempt left it pending, e.g. `timeout: …`. */
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly lastAttemptAt: Date | null;
  /** When reconciliation may try again (meaningful while pending). */
  readonly nextAttemptAt: Date;
}

export interface PendingOperation extends OperationBase {
  readonly status: 'pending';
  readonly bankReference: null;
  readonly declineReason: null;
  readonly resolvedAt: null;
}

export interface ApprovedOperation extends OperationBase {
  readonly status: 'approved';
  readonly bankReference: string;
  readonly declineReason: null;
  readonly resolvedAt: Date;
}

export interface DeclinedOperation extends OperationBase {
  readonly status: 'declined';
  /** The operation that took over at the next acquirer, when this one provably never charged. */
  readonly handedOverTo: string | null;
  readonly bankReference: string | null;
  readonly declineReason: DeclineReason;
  /** What the customer and merchant are told. */
  readonly refusal: Extract<RefusalReason, 'bank_declined'>;
  readonly resolvedAt: Date;
}

export type AcquirerOperation = PendingOperation | ApprovedOperation | DeclinedOperation;
export type OperationStatus = AcquirerOperation['status'];

export interface OperationRow {
  id: string;
  idempotency_key: string;
  kind: OperationKind;
  authorisation_id: string | null;
  request: unknown;
  request_hash: string;
  metadata: unknown;
  amount: bigint;
  currency: string;
  status: OperationStatus;
  bank_reference: string | null;
  decline_reason: string | null;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  last_attempt_at: Date | null;
  next_attempt_at: Date;
  resolved_at: Date | null;
  acquirer: string;
  fallbacks: string[];
  handed_over_to: string | null;
}

export const OPERATION_COLUMNS = `id, idempotency_key, kind, authorisation_id, request, request_hash, metadata, amount, currency, status,
  bank_reference, decline_reason, attempts, last_error, created_at, updated_at, last_attempt_at, next_attempt_at, resolved_at,
  acquirer, fallbacks, handed_over_to`;

function json(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

export function toOperation(row: OperationRow): AcquirerOperation {
  const base: OperationBase = {
    id: row.id,
    acquirer: row.acquirer,
    idempotencyKey: row.idempotency_key,
    kind: row.kind,
    authorisationId: row.authorisation_id,
    amount: Number(row.amount),
    currency: row.currency,
    metadata: json(row.metadata) as JsonObject,
    attempts: Number(row.attempts),
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastAttemptAt: row.last_attempt_at,
    nextAttemptAt: row.next_attempt_at,
  };
  if (row.status === 'pending') return { ...base, status: 'pending', bankReference: null, declineReason: null, resolvedAt: null };
  // The outcome CHECK of migration 0004 guarantees these columns are set once resolved.
  const resolvedAt = row.resolved_at as Date;
  if (row.status === 'approved')
    return { ...base, status: 'approved', bankReference: row.bank_reference as string, declineReason: null, resolvedAt };
  return {
    ...base,
    status: 'declined',
    bankReference: row.bank_reference,
    declineReason: isDeclineReason(row.decline_reason) ? row.decline_reason : 'do_not_honour',
    refusal: 'bank_declined',
    handedOverTo: row.handed_over_to,
    resolvedAt,
  };
}

export function storedRequest(row: OperationRow): Record<string, unknown> {
  return json(row.request) as Record<string, unknown>;
}
