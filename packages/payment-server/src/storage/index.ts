export {
  checkChannel,
  type Database,
  type Driver,
  type Executor,
  type IsolationLevel,
  isTransaction,
  notify,
  type Queryable,
  type QueryResult,
  type Transaction,
  type TransactionOptions,
  withTransaction,
} from './database.js';
export {
  constraintName,
  isRetryable,
  isStorageError,
  STORAGE_ERROR_CODES,
  StorageError,
  type StorageErrorCode,
  sqlState,
} from './errors.js';
export { LOCK_NAMESPACE, LOCKS } from './locks.js';
export { type MigrationResult, migrate } from './migrate.js';
export { MIGRATIONS, type Migration } from './migrations/index.js';
export { type OpenDatabaseOptions, openDatabase } from './open.js';
export { openPglite, type PgliteOptions } from './pglite.js';
export { openPostgres, type PostgresOptions } from './postgres.js';
