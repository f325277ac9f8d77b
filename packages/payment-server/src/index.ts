/**
 * The payment server as a library: what the `caisse-server` CLI runs, for embedding it
 * (tests, benchmarks, a process manager of your own).
 * @example
 * const server = await startPaymentServer(loadConfig(process.env));
 * // … later
 * await server.close();
 */
// The contract with a bank (its own package, so an adapter depends on it alone; its field schemas stay there).
export {
  ACQUIRER_ERROR_CODES,
  type Acquirer,
  AcquirerError,
  type AcquirerErrorCode,
  type AcquirerResult,
  type Approved,
  type AuthoriseRequest,
  type CaptureRequest,
  DECLINE_REASONS,
  type Declined,
  type DeclineReason,
  isAcquirerError,
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
} from '@caisse/acquirer';
// How this server runs acquirers.
export {
  type AcquirerConfig,
  type AcquirerFactory,
  type AcquirerRoute,
  type AcquirerTotal,
  acquirerTotals,
  type BankPurpose,
} from './acquirer/index.js';
export { serveAdminCommands } from './admin/commands.js';
export type { AdminSocket } from './admin/serve.js';
export { type Config, configSchema, issuerOf, loadConfig } from './config.js';
export { isListenError, LISTEN_ERROR_CODES, ListenError, type ListenErrorCode } from './http/listen-error.js';
export { ServerModeError } from './mode/lock.js';
export { createPaymentServer, type PaymentServer, type PaymentServerOptions, startPaymentServer } from './server.js';
