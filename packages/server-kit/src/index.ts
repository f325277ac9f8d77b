export { CaisseError, ERROR_CODES, type ErrorCode, isCaisseError, REFUSAL_REASONS, type RefusalReason } from '@caisse/protocol';
export { type ClockOptions, DEFAULT_CLOCK_TOLERANCE } from './claims.js';
export { decodeJws } from './jws/decode.js';
export { signJws } from './jws/sign.js';
export { type VerifiedJws, verifyJws } from './jws/verify.js';
export { type GeneratedKey, generateKey, thumbprintKid } from './keys/generate.js';
export { importPublicJwk, importPublicJwks, importSigningKey, staticKeySet } from './keys/import.js';
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
export { createState, ensureState, readStateCookie, STATE_COOKIE, type StateCookieOptions, stateCookie } from './state.js';
export {
  type CreatedTicket,
  createTicket,
  DEFAULT_TICKET_LIFETIME,
  type TicketConfig,
  type TicketInput,
  type TicketReference,
} from './ticket/create.js';
export {
  PaymentRefusedError,
  type PaymentServerTrust,
  type TicketLookup,
  type VerifyVoucherOptions,
  type Voucher,
  verifyVoucher,
} from './voucher/verify.js';
