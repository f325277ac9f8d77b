export {
  AUDIT_ENCODING_VERSION,
  AUDIT_ZERO_HASH,
  type AuditBatch,
  type AuditLineRecord,
  type AuditTransferRecord,
  auditBatch,
  auditBatchHash,
  auditBatchPreimage,
  auditDigest,
  auditLineRecord,
  auditTransferRecord,
} from './audit.js';
export { base64urlDecode, base64urlEncode } from './base64url.js';
export { canonicalJson } from './canonical-json.js';
export { CURRENCY_EXPONENTS, currencyExponent, isCurrencyCode } from './currency.js';
export {
  CaisseError,
  ERROR_CODES,
  type ErrorCode,
  type Issue,
  isCaisseError,
  REFUSAL_REASONS,
  type RefusalReason,
} from './errors.js';
export { itemsDigest, sha256Base64url, ticketHash } from './hash.js';
export { assertTotals, lineVat, type Totals, totals } from './items.js';
export { LIMITS } from './limits.js';
export type {
  AllowanceChargeResult,
  AllowanceEnd,
  ApiAllowance,
  ApiAllowanceCharge,
  ApiContent,
  ApiPayment,
  ApiQuote,
  ApiTicketRefusal,
  EscrowResolution,
  EscrowResolver,
  Movements,
  PaymentPage,
  Refund,
  SettlementDay,
  SettlementReport,
  SettlementStatus,
  TicketRefusalList,
} from './merchant-api.js';
export { CONTENT_TYPES, type ContentType } from './merchant-api.js';
export { type CustomerAllowance, customerAllowance, customerAllowances } from './messages/allowance.js';
export { type AssertionClaims, assertionClaims } from './messages/assertion.js';
export {
  type ConfirmationClaims,
  type ConfirmationRequest,
  confirmationClaims,
  confirmationRequest,
} from './messages/confirmation.js';
export { type DeviceCertificateClaims, deviceCertificateClaims } from './messages/device-certificate.js';
export {
  type CustomerDispute,
  customerDispute,
  customerDisputes,
  DISPUTE_LIMITS,
  DISPUTE_OUTCOMES,
  DISPUTE_REASONS,
  DISPUTE_STATES,
  type Dispute,
  type DisputeEvidence,
  type DisputeList,
  type DisputeOutcome,
  type DisputeReason,
  type DisputeState,
  disputeEvidence,
  disputeNotice,
  disputeText,
} from './messages/dispute.js';
export {
  EVIDENCE_BUNDLE_TYPE,
  type EvidenceAudit,
  type EvidenceBundle,
  evidenceAudit,
  evidenceBundle,
} from './messages/evidence.js';
export { isAllowedUrl, ticketReference } from './messages/fields.js';
export {
  type DiscoveryDocument,
  discoveryDocument,
  type PublicJwk,
  type PublicJwks,
  publicJwk,
  publicJwks,
} from './messages/keys.js';
export { type NotificationClaims, type NotificationEvent, notificationClaims } from './messages/notification.js';
export {
  type AnsweredRequest,
  answeredRequest,
  type DeviceHistory,
  deviceHistory,
  type OutcomeEvent,
  outcomeEvent,
  type RequestOutcome,
  requestOutcome,
} from './messages/outcome.js';
export {
  type AccountPlanMessage,
  accountPlan,
  type MoneyOverviewMessage,
  moneyOverview,
  PLAN_MEANS,
  type PlanChange,
  type PlanMeans,
  paymentPlan,
  planBounds,
  planChange,
} from './messages/plan.js';
export {
  type QuoteAnswer,
  type QuoteRequestClaims,
  quoteAnswer,
  quoteRequestClaims,
  type TicketDelivery,
  type TicketQuote,
  ticketDelivery,
  ticketQuote,
} from './messages/quote.js';
export { type RefusalClaims, type RefusalDetail, refusalClaims, refusalReason } from './messages/refusal.js';
export {
  type AllowancePeriod,
  type AllowanceTerms,
  allowancePeriod,
  allowanceTerms,
  type CustomerHint,
  customerHint,
  type Item,
  item,
  type RequestedData,
  requestedData,
  type TicketClaims,
  ticketClaims,
} from './messages/ticket.js';
export {
  type Address,
  address,
  type SharedData,
  sharedData,
  type VoucherAllowance,
  type VoucherClaims,
  voucherAllowance,
  voucherClaims,
} from './messages/voucher.js';
export { MODES, type Mode, modeOfClaims, modeOfKid, TEST_KEY_PREFIX, testMarker } from './mode.js';
export { formatMoney, isAmount, type Money, money, toDecimalString, toMinorUnits } from './money.js';
export { parseMessage, parseTicketClaims } from './parse.js';
export { isPaymentId, PAYMENT_ID_FORM, paymentId, paymentSerial } from './payment-id.js';
export { ALGORITHMS, type Algorithm, TOKEN_TYPES, type TokenKind, type TokenType } from './token-types.js';
export { PROTOCOL_VERSION, SUPPORTED_VERSIONS } from './version.js';
