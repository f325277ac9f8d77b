/**
 * Housekeeping: deleting the rows that serve nothing any more, so that tables stay flat
 * under steady traffic. `startPaymentServer` runs {@link housekeepingJob} every 5 minutes;
 * `caisse-server prune` runs {@link pruneExpired} once. The rules (what is dead, and from
 * when) are constants of this folder; the in-request purges of the merchant API and of
 * refused tickets use the same ones, through {@link purge}.
 */
export { type BatchOptions, countRule, DEFAULT_BATCH_SIZE, deleteBatch, inBatches, type PruneRule, purge } from './batch.js';
export { countUnpaidCheckouts, deleteUnpaidCheckouts, type UnpaidCheckoutCounts, type UnpaidCheckoutCutoffs } from './checkouts.js';
export { HOUSEKEEPING_USAGE, housekeepingCommand } from './cli.js';
export { EXPIRED_ENROLLMENT_CODES } from './enrollment-codes.js';
export { type HousekeepingJob, type HousekeepingJobDeps, housekeepingJob } from './job.js';
export { FULL_LIMIT_BUCKETS } from './limits.js';
export { DELIVERED_NOTIFICATIONS, PARKED_NOTIFICATIONS } from './notifications.js';
export {
  isPruneError,
  PRUNE_BATCH_SIZE,
  PRUNE_MAX_BATCHES,
  PRUNED_TABLES,
  type PrunedTable,
  PruneError,
  type PruneFailure,
  type PruneOptions,
  type PruneReport,
  pruneExpired,
  UNPAID_CHECKOUT_BATCH_SIZE,
} from './prune.js';
export { SPENT_REFUSED_TICKETS, STALE_TICKET_REFUSALS } from './refusals.js';
export { EXPIRED_ASSERTIONS, EXPIRED_IDEMPOTENCY_KEYS } from './replay.js';
export {
  configuredRetention,
  DEFAULT_RETENTION,
  DELIVERED_NOTIFICATION_RETENTION_DAYS,
  ENROLLMENT_CODE_RETENTION_DAYS,
  MAX_RETENTION_DAYS,
  PARKED_NOTIFICATION_RETENTION_DAYS,
  type Retention,
  resolveRetention,
  UNPAID_CHECKOUT_RETENTION_DAYS,
} from './retention.js';
