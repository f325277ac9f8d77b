export {
  type Acquirer,
  type AcquirerResult,
  type Approved,
  type AuthoriseRequest,
  type CaptureRequest,
  DECLINE_REASONS,
  type Declined,
  type DeclineReason,
  isDeclineReason,
  isOperationKind,
  type LookupResult,
  OPERATION_KINDS,
  type OperationKind,
  type PayoutRequest,
  PENDING_CAUSES,
  type Pending,
  type PendingCause,
  type RefundRequest,
  refusalFor,
  type VoidRequest,
} from './acquirer.js';
export { ACQUIRER_ERROR_CODES, AcquirerError, type AcquirerErrorCode, isAcquirerError } from './errors.js';
export { amount, currency, description, IDEMPOTENCY_KEY, idempotencyKey, reference } from './fields.js';
