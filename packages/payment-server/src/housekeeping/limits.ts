import type { PruneRule } from './batch.js';

/**
 * Buckets of the per-client limits (`http/attempt-throttle.ts`) that are full again: a
 * row whose `tat` has passed allows as many attempts as no row, so deleting it changes no
 * answer. A take meanwhile moves `tat` on, and the delete checks `where` again.
 */
export const FULL_LIMIT_BUCKETS: PruneRule = { table: 'limit_buckets', where: 'tat <= $1' };
