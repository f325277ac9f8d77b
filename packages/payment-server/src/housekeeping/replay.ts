import type { PruneRule } from './batch.js';

/**
 * Assertion `jti`s (merchants' and phones') past their expiry: an assertion carrying one
 * is refused as expired anyway, and `consume` takes such a row over (api/assertion-store.ts).
 */
export const EXPIRED_ASSERTIONS: PruneRule = { table: 'api_assertions', where: 'expires_at <= $1' };

/**
 * Idempotency keys past their retention (24 h): a request with one is a new request, and
 * `claim` takes such a row over (api/idempotency-store.ts). An execution still holding
 * an expired key can no longer complete it, as when its key is taken over.
 */
export const EXPIRED_IDEMPOTENCY_KEYS: PruneRule = { table: 'api_idempotency_keys', where: 'expires_at <= $1' };
