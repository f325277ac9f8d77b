export {
  CaisseError,
  ERROR_CODES,
  type ErrorCode,
  isCaisseError,
  REFUSAL_REASONS,
  type RefusalReason,
  type TicketDelivery,
  type TicketQuote,
} from '@caisse/protocol';
export { type ClockOptions, DEFAULT_CLOCK_TOLERANCE } from './claims.js';
export {
  createNotificationHandler,
  type NotificationAck,
  type NotificationHandlerHooks,
  type NotificationHandlerOptions,
} from './handlers/notification.js';
export { ERROR_HTTP_STATUS, type Problem } from './handlers/problem.js';
export {
  createQuoteHandler,
  DEFAULT_QUOTE_LIFETIME,
  type QuoteHandlerOptions,
  type QuoteTicketInput,
  type QuoteUnavailable,
} from './handlers/quote.js';
export {
  createReturnHandler,
  ERROR_PARAM,
  hasReturnToken,
  type PageVoucher,
  REASON_PARAM,
  REFUSAL_PARAM,
  RESULT_PARAM,
  type RedirectTarget,
  type ReturnHandlerHooks,
  type ReturnHandlerOptions,
  type ReturnResult,
  type TicketFinder,
  VOUCHER_PARAM,
  type VoucherTrust,
  type WebHandler,
} from './handlers/return.js';
export { decodeJws, unverifiedClaims, unverifiedIssuer } from './jws/decode.js';
export { findDuplicateMember } from './jws/json.js';
export { signJws } from './jws/sign.js';
export { type VerifiedJws, verifyJws } from './jws/verify.js';
export {
  DISCOVERY_PATH,
  type DiscoveredPaymentServer,
  type DiscoverPaymentServerOptions,
  discoverPaymentServer,
} from './keys/discovery.js';
export { type GeneratedKey, type GenerateKeyOptions, generateKey, thumbprintKid } from './keys/generate.js';
export { importPublicJwk, importPublicJwks, importSigningKey, staticKeySet } from './keys/import.js';
export { type RemoteKeySet, type RemoteKeySetOptions, remoteKeySet } from './keys/remote.js';
export type { KeySet, SigningKey, VerificationKey } from './keys/types.js';
export { safeEqual } from './lib/safe-equal.js';
export { createMerchant, type Merchant, type MerchantConfig, type PaymentServer } from './merchant.js';
export {
  DEFAULT_DEDUPE_WINDOW,
  NOTIFICATION_MAX_AGE,
  type Notification,
  notificationReplayKey,
  type VerifyNotificationOptions,
  verifyNotification,
} from './notification/verify.js';
export { type QuoteRequest, type VerifyQuoteRequestOptions, verifyQuoteRequest } from './quote/verify-request.js';
export {
  type IoredisClient,
  type MemoryReplayStoreOptions,
  memoryReplayStore,
  type NodeRedisClient,
  type PostgresReplayStore,
  type PostgresReplayStoreOptions,
  postgresReplayStore,
  type RedisReplayStoreOptions,
  type ReplayStore,
  redisReplayStore,
  type SqlClient,
} from './replay/index.js';
export {
  type CookieSource,
  createState,
  ensureState,
  readStateCookie,
  STATE_COOKIE,
  type StateCookieOptions,
  stateCookie,
  stateOf,
} from './state.js';
export {
  type CreatedTicket,
  createTicket,
  DEFAULT_TICKET_LIFETIME,
  type TicketConfig,
  type TicketInput,
  type TicketReference,
} from './ticket/create.js';
export {
  DEFAULT_VOUCHER_REPLAY_WINDOW,
  PaymentRefusedError,
  type PaymentServerTrust,
  type TicketLookup,
  type VerifyVoucherOptions,
  type Voucher,
  verifyVoucher,
  voucherReplayKey,
} from './voucher/verify.js';
