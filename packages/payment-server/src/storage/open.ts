import type { Database } from './database.js';
import { StorageError } from './errors.js';
import { migrate } from './migrate.js';
import type { Migration } from './migrations/index.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';

export interface OpenDatabaseOptions {
  /** A PostgreSQL URL (`DATABASE_URL`): use PostgreSQL through a connection pool. */
  url?: string;
  /** Without `url`: the PGlite data folder. Without either: PGlite in memory. */
  dataDir?: string;
  /** Without `url`: a backup to start from, into an empty `dataDir` or into memory (see `PgliteOptions.loadDataDir`). */
  loadDataDir?: Blob;
  /** PostgreSQL only: connections in the pool. Default 10. */
  poolSize?: number;
  /** Apply pending migrations before returning. Default true. */
  migrate?: boolean;
  /** The migrations to apply; default every migration of the payment server. */
  migrations?: readonly Migration[];
  onPoolError?: (error: Error) => void;
  /** PostgreSQL only: see `PostgresOptions.preparedStatements`. Default true. */
  preparedStatements?: boolean;
  /** PostgreSQL only: see `PostgresOptions.connectTimeoutMs`. */
  connectTimeoutMs?: number;
  /** PostgreSQL only: see `PostgresOptions.queryTimeoutMs`. */
  queryTimeoutMs?: number;
}

/**
 * Opens the payment server's database and brings its schema up to date.
 * @example
 * const db = await openDatabase({ url: process.env.DATABASE_URL, dataDir: './data' });
 * try { … } finally { await db.close(); }
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  if (options.url !== undefined && options.dataDir !== undefined) {
    throw new StorageError('config_invalid', 'Give either a PostgreSQL URL or a PGlite data folder, not both.');
  }
  if (options.url !== undefined && !/^postgres(ql)?:\/\//.test(options.url)) {
    throw new StorageError('config_invalid', 'The database URL must start with postgres:// or postgresql://.');
  }
  if (options.url !== undefined && options.loadDataDir !== undefined) {
    throw new StorageError('config_invalid', 'A backup of the embedded database loads into PGlite, not into PostgreSQL.');
  }
  if (options.poolSize !== undefined && (!Number.isSafeInteger(options.poolSize) || options.poolSize < 1)) {
    throw new StorageError('config_invalid', 'The pool size must be a positive integer.');
  }
  const db =
    options.url !== undefined
      ? openPostgres({
          url: options.url,
          ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
          ...(options.onPoolError === undefined ? {} : { onPoolError: options.onPoolError }),
          ...(options.preparedStatements === undefined ? {} : { preparedStatements: options.preparedStatements }),
          ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
          ...(options.queryTimeoutMs === undefined ? {} : { queryTimeoutMs: options.queryTimeoutMs }),
        })
      : await openPglite({
          ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
          ...(options.loadDataDir === undefined ? {} : { loadDataDir: options.loadDataDir }),
        });
  if (options.migrate !== false) {
    try {
      await migrate(db, options.migrations);
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  return db;
}
