import pg from 'pg';
import type { Database, DatabaseHealth, QueryResult, TransactionOptions } from './database.js';
import { preparedName, transactionModes } from './database.js';
import { asUnavailable, isConnectionFailure } from './errors.js';
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
  /**
   * How long opening a connection may take before the request that needed it fails with
   * `database_unavailable`. Waiting for a free connection of the pool is not limited (a
   * busy pool is not an outage). Default 5,000 ms.
   */
  connectTimeoutMs?: number;
  /**
   * How long one statement may go unanswered before it fails with `database_unavailable`
   * and its connection is dropped; PostgreSQL also ends a session left idle in a
   * transaction this long (its client is gone, and its locks must not outlive it).
   * Without it, a network that silently drops packets holds requests and row locks for
   * hours. Default 8,000 ms, under the merchant client's 10 s; 0 for none.
   */
  queryTimeoutMs?: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_QUERY_TIMEOUT_MS = 8_000;
/** Shown in `pg_stat_activity`, beside the listener's own name. */
export const POOL_APPLICATION_NAME = 'caisse';
/** A readiness probe answers within this, database reachable or not. */
const HEALTH_TIMEOUT_MS = 2_000;

/** `pg.Client` giving up on opening its connection after `timeoutMs`. */
function boundedClient(timeoutMs: number): typeof pg.Client {
  return class BoundedClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super({ ...(typeof config === 'string' ? { connectionString: config } : config), connectionTimeoutMillis: timeoutMs });
    }
  };
}

/**
 * PostgreSQL through a `pg.Pool`.
 * @example const db = openPostgres({ url: 'postgres://postgres@127.0.0.1:5432/caisse', poolSize: 16 });
 */
export function openPostgres(options: PostgresOptions): Database {
  const queryTimeout = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  const connectTimeout = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    types,
    application_name: POOL_APPLICATION_NAME,
    // On each connection it opens, not on the pool's queue (pg-pool reads the same option
    // as a limit on waiting for a free connection): under load a request waits its turn;
    // when the database is out of reach, the connection attempts fail and so do the waiters.
    Client: boundedClient(connectTimeout),
    keepAlive: true,
    ...(queryTimeout > 0 ? { idle_in_transaction_session_timeout: queryTimeout } : {}),
  });
  pool.on('error', (error) => options.onPoolError?.(error));
  const listener = createPgListener({
    url: options.url,
    types,
    connectTimeoutMs: connectTimeout,
    ...(options.onPoolError === undefined ? {} : { onError: options.onPoolError }),
  });

  const query = async <T extends object>(
    client: pg.Pool | pg.PoolClient,
    sql: string,
    params: readonly unknown[] | undefined,
    timeout: number,
  ): Promise<QueryResult<T>> => {
    const name = options.preparedStatements === false ? undefined : preparedName(sql);
    try {
      const result = await client.query({
        text: sql,
        values: params as unknown[] | undefined,
        ...(name === undefined ? {} : { name }),
        // pg reads 0 as "the client's default"; the pool sets none, so leaving it out means none.
        ...(timeout > 0 ? { query_timeout: timeout } : {}),
      });
      // A script of several statements (`exec`) answers with one result per statement.
      if (Array.isArray(result)) return { rows: [], rowCount: 0 };
      return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
    } catch (error) {
      throw asUnavailable(error);
    }
  };

  return {
    driver: 'postgres',
    query: (sql, params) => query(pool, sql, params, queryTimeout),
    async exec(sql) {
      await query(pool, sql, undefined, queryTimeout);
    },
    transaction<T>(fn: Parameters<Database['transaction']>[0], transactionOptions?: TransactionOptions): Promise<T> {
      const timeout = transactionOptions?.unbounded ? 0 : queryTimeout;
      const once = async (): Promise<T> => {
        const client = await pool.connect().catch((error: unknown) => {
          throw asUnavailable(error);
        });
        // A checked-out client has no listener of the pool's: an error between two queries
        // (the server shutting down, a session killed) would otherwise crash the process.
        let broken: Error | undefined;
        const onBroken = (error: Error) => {
          broken = error;
        };
        client.on('error', onBroken);
        const { tx, end } = transactionHandle({
          driver: 'postgres',
          query: (sql, params) => query(client, sql, params, timeout),
          exec: async (sql) => {
            await query(client, sql, undefined, timeout);
          },
        });
        try {
          await query(client, `BEGIN ${transactionModes(transactionOptions)}`, undefined, timeout);
          const result = (await fn(tx)) as T;
          end();
          await query(client, 'COMMIT', undefined, timeout);
          return result;
        } catch (error) {
          end();
          if (broken === undefined && isConnectionFailure(error)) broken = error as Error;
          // After a failed COMMIT the server has already ended the transaction; ROLLBACK
          // then only warns. If even ROLLBACK fails the connection is unusable: drop it.
          // A connection already known lost is dropped without asking (it might never answer).
          if (broken === undefined) {
            await query(client, 'ROLLBACK', undefined, queryTimeout).catch((rollbackError: Error) => {
              broken = rollbackError;
            });
          }
          throw asUnavailable(error);
        } finally {
          client.removeListener('error', onBroken);
          client.release(broken);
        }
      };
      return retrySerializationFailures(once, transactionOptions?.maxRetries ?? DEFAULT_MAX_RETRIES);
    },
    listen: (channel, onPayload, listenOptions) => listener.listen(channel, onPayload, listenOptions),
    async health(): Promise<DatabaseHealth> {
      const reachable = await query(pool, 'SELECT 1', undefined, HEALTH_TIMEOUT_MS).then(
        () => true,
        () => false,
      );
      return { reachable, listener: listener.state() };
    },
    async close() {
      await listener.close();
      await pool.end();
    },
  };
}
