/**
 * `@caisse/server-kit/client`: the merchant API client, on its own subpath so a backend
 * that only signs tickets and verifies vouchers does not load it.
 */
export { ASSERTION_SCHEME, DEFAULT_ASSERTION_LIFETIME } from './assertion.js';
export { createMerchantClient, type MerchantClient, type MerchantClientOptions, type PaymentLookup } from './client.js';
export type { DisputeAnswer, DisputeMethods } from './disputes.js';
export {
  isMerchantApiError,
  isMerchantTransportError,
  MerchantApiError,
  type MerchantApiErrorCode,
  type MerchantApiServerCode,
  MerchantTransportError,
  type MerchantTransportErrorCode,
} from './errors.js';
export { RETRY_DEFAULTS, type RetryOptions } from './retry.js';
export type { MerchantApiServer } from './server.js';
export { type CallOptions, IDEMPOTENCY_KEY_HEADER, type PostOptions } from './transport.js';
export type {
  AllowanceChargeResult,
  ApiAllowance,
  ApiAllowanceCharge,
  ApiContent,
  ApiPayment,
  ApiTicketRefusal,
  ContentInput,
  ContentType,
  DecoupledPayment,
  DecoupledPaymentState,
  Dispute,
  EscrowResolution,
  Movements,
  PaymentListQuery,
  PaymentPage,
  Refund,
  SettlementDay,
  SettlementReport,
} from './types.js';
