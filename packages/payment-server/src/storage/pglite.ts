import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Database, QueryResult, TransactionOptions } from './database.js';
import { checkChannel, transactionModes } from './database.js';
import { StorageError } from './errors.js';
import { DEFAULT_MAX_RETRIES, retrySerializationFailures } from './retry.js';
import { transactionHandle } from './transaction-handle.js';

const INT8 = 20;

export interface PgliteOptions {
  /** Folder holding the database; in memory when absent (lost on close). */
  dataDir?: string;
  /**
   * A backup to start from (a gzipped tarball of a data folder, {@link PgliteDatabase.dumpDataDir}),
   * into an empty `dataDir` or into memory.
   */
  loadDataDir?: Blob;
}

/** The embedded database, which can also copy itself whole. */
export interface PgliteDatabase extends Database {
  readonly driver: 'pglite';
  /**
   * The data folder as a gzipped tarball, taken while no statement runs: the image of a
   * database stopped at that instant, which starts with every transaction committed
   * before it and none after (one still open is rolled back, as after a crash).
   * @example await writeFile('backup.tar.gz', Buffer.from(await (await db.dumpDataDir()).arrayBuffer()))
   */
  dumpDataDir(): Promise<Blob>;
}

/** Whether `db` is the embedded database, which {@link PgliteDatabase.dumpDataDir} can copy. */
export function isPgliteDatabase(db: Database): db is PgliteDatabase {
  return db.driver === 'pglite' && typeof (db as Partial<PgliteDatabase>).dumpDataDir === 'function';
}

/**
 * PGlite: PostgreSQL compiled to WebAssembly, running in this process. One connection,
 * so transactions run one after another; a data folder must be opened by one process only.
 * @example const db = await openPglite({ dataDir: './data/caisse' });
 */
export async function openPglite(options: PgliteOptions = {}): Promise<PgliteDatabase> {
  const unlock = options.dataDir === undefined ? async () => {} : await lockDataDir(options.dataDir);
  let pglite: PGlite;
  try {
    pglite = await PGlite.create({
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      ...(options.loadDataDir === undefined ? {} : { loadDataDir: options.loadDataDir }),
      parsers: { [INT8]: (value: string) => BigInt(value) },
    });
  } catch (error) {
    await unlock();
    throw error;
  }

  type Connection = Pick<PGlite, 'query' | 'exec'>;
  const query = async <T extends object>(connection: Connection, sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> => {
    const result = await connection.query<T>(sql, params as unknown[] | undefined);
    return { rows: result.rows, rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
  };

  return {
    driver: 'pglite',
    query: (sql, params) => query(pglite, sql, params),
    async exec(sql) {
      await pglite.exec(sql);
    },
    transaction<T>(fn: Parameters<Database['transaction']>[0], transactionOptions?: TransactionOptions): Promise<T> {
      const once = () =>
        pglite.transaction(async (connection) => {
          const { tx, end } = transactionHandle({
            driver: 'pglite',
            query: (sql, params) => query(connection, sql, params),
            exec: async (sql) => {
              await connection.exec(sql);
            },
          });
          try {
            // PGlite has already sent BEGIN; the modes must be the transaction's first statement.
            await connection.exec(`SET TRANSACTION ${transactionModes(transactionOptions)}`);
            return (await fn(tx)) as T;
          } finally {
            end();
          }
        });
      return retrySerializationFailures(once, transactionOptions?.maxRetries ?? DEFAULT_MAX_RETRIES);
    },
    async listen(channel, onPayload) {
      // A wrapper of its own: PGlite unlistens by callback identity.
      const stop = await pglite.listen(checkChannel(channel), (payload) => onPayload(payload));
      let stopped = false;
      return async () => {
        if (stopped || pglite.closed) return;
        stopped = true;
        await stop();
      };
    },
    // In the process itself: reachable while open, and its notifications never drop.
    health: async () => ({ reachable: !pglite.closed, listener: 'up' }),
    dumpDataDir: () => pglite.dumpDataDir('gzip'),
    async close() {
      await pglite.close();
      await unlock();
    },
  };
}

/** The lock file in a PGlite data folder: it holds the pid of the process that has the folder open. */
export const LOCK_FILE = 'caisse.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite writes its folder as one PostgreSQL server would: a second process opening it
 * at the same time would corrupt it. A lock file with the owner's pid refuses that (a
 * lock left by a process that died is taken over). Resolves to the function that unlocks.
 * @example const unlock = await lockDataDir('.data/payment-server/pglite'); try { … } finally { await unlock(); }
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const lockFile = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockFile, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
      if (Number.isSafeInteger(owner) && owner > 0 && alive(owner)) {
        throw new StorageError(
          'config_invalid',
          `The PGlite data folder ${dataDir} is in use by process ${owner}. Stop it first (e.g. the running server before a caisse-server command), or use PostgreSQL (DATABASE_URL) for several processes.`,
        );
      }
      await rm(lockFile, { force: true });
    }
  }
  throw new StorageError('config_invalid', `Could not lock the PGlite data folder ${dataDir}.`);
}
