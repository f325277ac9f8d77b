export type { Merchant, MerchantKey, RegisterMerchantInput } from './model.js';
export { MAX_ACTIVE_KEYS } from './model.js';
export { isOriginIn, MAX_RETURN_ORIGINS, originOf, parseReturnOrigin, parseReturnOrigins } from './origins.js';
export {
  createMerchantService,
  type ListMerchantsOptions,
  type MerchantService,
  type MerchantServiceDeps,
  type TicketPolicy,
} from './service.js';
export {
  assertMerchantMayTakePayments,
  isMerchantStatusCode,
  MERCHANT_STATUSES,
  type MerchantStatus,
  type MerchantStatusChange,
  type MerchantStatusCode,
  merchantStatusRefusal,
  type StatusChangeInput,
} from './status.js';
