export { DEFAULT_SCRYPT, hashAccessKey, type ScryptParams, type StoredAccessKey, verifyAccessKey } from './access-key.js';
export { type CeilingPeriod, type CeilingStatus, periodStarts, type SpendingReader } from './ceilings.js';
export { AuthenticationFailedError, CeilingExceededError } from './errors.js';
export {
  ACCESS_KEY_LENGTH,
  type AddCustomerInput,
  type CurrencyLimits,
  type Customer,
  DEFAULT_CURRENCY,
  DEFAULT_LIMITS,
  defaultLimits,
  type LimitsInput,
  MAX_FAILED_ATTEMPTS,
} from './model.js';
export { PAIRWISE_SECRET_LENGTH, pairwiseSubject } from './pairwise.js';
export { type CustomerService, type CustomerServiceDeps, createCustomerService, type WalletCredit } from './service.js';
