import { PGlite } from '@electric-sql/pglite';
import type { Database, QueryResult, TransactionOptions } from './database.js';
import { transactionModes } from './database.js';
import { DEFAULT_MAX_RETRIES, retrySerializationFailures } from './retry.js';
import { transactionHandle } from './transaction-handle.js';

const INT8 = 20;

export interface PgliteOptions {
  /** Folder holding the database; in memory when absent (lost on close). */
  dataDir?: string;
}

/**
 * PGlite: PostgreSQL compiled to WebAssembly, running in this process. One connection,
 * so transactions run one after another; a data folder must be opened by one process only.
 * @example const db = await openPglite({ dataDir: './data/caisse' });
 */
export async function openPglite(options: PgliteOptions = {}): Promise<Database> {
  const pglite = await PGlite.create({
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    parsers: { [INT8]: (value: string) => BigInt(value) },
  });

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
    close: () => pglite.close(),
  };
}
