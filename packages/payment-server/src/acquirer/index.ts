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
} from './acquirer.js';
export {
  ACQUIRER_CONSTRAINTS,
  ACQUIRER_ERROR_CODES,
  ACQUIRER_PROBLEMS,
  AcquirerError,
  type AcquirerErrorCode,
  isAcquirerError,
} from './errors.js';
export type { AcquirerOperation, ApprovedOperation, DeclinedOperation, OperationStatus, PendingOperation } from './model.js';
export {
  type AcquirerOperations,
  type AcquirerOperationsDeps,
  type AuthoriseInput,
  type CaptureInput,
  createAcquirerOperations,
  type OperationOutcome,
  type PayoutInput,
  type ReconcileReport,
  type RefundInput,
} from './operations.js';
export { createSandboxAcquirer, type SandboxAcquirer, type SandboxAcquirerOptions } from './sandbox.js';
