export {
  ASSERTION_CLOCK_TOLERANCE,
  ASSERTION_SCHEME,
  type AssertedRequest,
  type AssertionDeps,
  type AssertionKeys,
  assertionFromHeader,
  bodySha256,
  expectedHtu,
  verifyAssertion,
} from './assertion.js';
export { type AssertionStore, createAssertionStore } from './assertion-store.js';
export { type MerchantAssertionOptions, merchantAssertion } from './authenticate.js';
export type { ApiEnv, ApiVariables } from './context.js';
export {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_LEASE,
  IDEMPOTENCY_RETENTION,
  IDEMPOTENT_REPLAYED_HEADER,
  type IdempotencyOptions,
  idempotency,
  REPLAYED_HEADERS,
  requestFingerprint,
} from './idempotency.js';
export { type Claim, createIdempotencyStore, type IdempotencyStore, type StoredResponse } from './idempotency-store.js';
export { OPENAPI_PATH, openapiFile, openapiRoutes } from './openapi.js';
export { LIST_LIMIT, MAX_PERIOD_DAYS, type PaymentListQuery, parseListQuery, parsePaymentId } from './params.js';
export { type ApiPayment, createPaymentQueries, type PaymentPage, type PaymentQueries } from './payments.js';
export { API_BODY_LIMIT, type ApiDeps, apiRoutes, createApi } from './routes.js';
