export { ACQUIRER_CONSTRAINTS, ACQUIRER_PROBLEMS } from './errors.js';
export type { AcquirerFactory } from './load.js';
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
  type VoidInput,
} from './operations.js';
export type { BankPurpose } from './purposes.js';
export type { AcquirerConfig, AcquirerRoute } from './routing.js';
export { type AcquirerTotal, acquirerTotals } from './totals.js';
