import pg from 'pg';
import type { Database, QueryResult, TransactionOptions } from './database.js';
import { preparedName, transactionModes } from './database.js';
import { createPgListener } from './pg-listener.js';
import { DEFAULT_MAX_RETRIES, retrySerializationFailures } from './retry.js';
import { transactionHandle } from './transaction-handle.js';

const INT8 = 20;

/** `int8` as `bigint` (pg's default is a string); every other type as pg parses it. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary'
      ? (value: string) => BigInt(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PostgresOptions {
  url: string;
  /** Connections in the pool. Default 10. */
  poolSize?: number;
  /**
   * Called when an idle pooled connection fails (e.g. the server restarted). The pool
   * drops that connection and opens a new one on demand; without a listener Node would
   * crash on the unhandled `error` event. Also called when the LISTEN connection drops or
   * cannot reconnect (it retries), or a `listen` callback throws.
   */
  onPoolError?: (error: Error) => void;
  /**
   * Send the statements marked with `preparedStatement` as named prepared statements.
   * Default true; false behind a pooler that does not keep them across transactions
   * (PgBouncer in transaction mode before 1.21, or without `max_prepared_statements`).
   */
  preparedStatements?: boolean;
}

/**
 * PostgreSQL through a `pg.Pool`.
 * @example const db = openPostgres({ url: 'postgres://postgres@127.0.0.1:5432/caisse', poolSize: 16 });
 */
export function openPostgres(options: PostgresOptions): Database {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10, types });
  pool.on('error', (error) => options.onPoolError?.(error));
  const listener = createPgListener({
    url: options.url,
    types,
    ...(options.onPoolError === undefined ? {} : { onError: options.onPoolError }),
  });

  const query = async <T extends object>(
    client: pg.Pool | pg.PoolClient,
    sql: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<T>> => {
    const name = options.preparedStatements === false ? undefined : preparedName(sql);
    const result = await (name === undefined
      ? client.query(sql, params as unknown[] | undefined)
      : client.query({ name, text: sql, values: params as unknown[] | undefined }));
    return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
  };

  return {
    driver: 'postgres',
    query: (sql, params) => query(pool, sql, params),
    async exec(sql) {
      await pool.query(sql);
    },
    transaction<T>(fn: Parameters<Database['transaction']>[0], transactionOptions?: TransactionOptions): Promise<T> {
      const once = async (): Promise<T> => {
        const client = await pool.connect();
        const { tx, end } = transactionHandle({
          driver: 'postgres',
          query: (sql, params) => query(client, sql, params),
          exec: async (sql) => {
            await client.query(sql);
          },
        });
        let broken: Error | undefined;
        try {
          await client.query(`BEGIN ${transactionModes(transactionOptions)}`);
          const result = (await fn(tx)) as T;
          end();
          await client.query('COMMIT');
          return result;
        } catch (error) {
          end();
          // After a failed COMMIT the server has already ended the transaction; ROLLBACK
          // then only warns. If even ROLLBACK fails the connection is unusable: drop it.
          await client.query('ROLLBACK').catch((rollbackError: Error) => {
            broken = rollbackError;
          });
          throw error;
        } finally {
          client.release(broken);
        }
      };
      return retrySerializationFailures(once, transactionOptions?.maxRetries ?? DEFAULT_MAX_RETRIES);
    },
    listen: (channel, onPayload, listenOptions) => listener.listen(channel, onPayload, listenOptions),
    async close() {
      await listener.close();
      await pool.end();
    },
  };
}
