/**
 * Replay stores: where a merchant backend remembers which vouchers and notifications it
 * has already accepted. Pick {@link memoryReplayStore} for one process,
 * {@link postgresReplayStore} or {@link redisReplayStore} for several.
 *
 * @example
 * ```ts
 * import { postgresReplayStore, type ReplayStore } from '@caisse/server-kit';
 * const replay: ReplayStore = postgresReplayStore({ client: pool });
 * ```
 */
export { type MemoryReplayStoreOptions, memoryReplayStore } from './memory.js';
export { type PostgresReplayStore, type PostgresReplayStoreOptions, postgresReplayStore, type SqlClient } from './postgres.js';
export { type IoredisClient, type NodeRedisClient, type RedisReplayStoreOptions, redisReplayStore } from './redis.js';
export type { ReplayStore } from './store.js';
