import { CaisseError } from '@caisse/protocol';
import { assertKey, assertTime, clockReading } from './arguments.js';
import type { ReplayStore } from './store.js';

/**
 * What the PostgreSQL replay store needs from a database client: a `pg` `Pool` or
 * `Client`, or a PGlite instance, all fit. Only `rows` of the result is read, because
 * PGlite reports affected rows under another name than `pg`'s `rowCount`.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * const client: SqlClient = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export interface SqlClient {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** Options of {@link postgresReplayStore}. */
export interface PostgresReplayStoreOptions {
  /** Runs the statements; a `pg.Pool` lets concurrent claims run on several connections. */
  client: SqlClient;
  /** Table holding the records (default `caisse_replay`): lower-case letters, digits and `_`, at most 48 characters. */
  table?: string;
  /** Every this many claims, expired rows are deleted first (default 1,000); 0 leaves it to {@link PostgresReplayStore.purgeExpired}. */
  cleanupEvery?: number;
  /**
   * The clock, in milliseconds since the epoch (default `Date.now`). It is sent with each
   * statement instead of reading the database clock, so a record expires exactly when
   * the verifier stops accepting its token.
   */
  now?: () => number;
}

/**
 * A {@link ReplayStore} in a PostgreSQL table, plus its upkeep.
 *
 * @example
 * ```ts
 * const replay = postgresReplayStore({ client: pool });
 * await replay.ensureSchema();
 * setInterval(() => replay.purgeExpired().catch(report), 60_000).unref();
 * ```
 */
export interface PostgresReplayStore extends ReplayStore {
  /** Creates the table and its expiry index if they do not exist. Run it once at start-up, not from several processes at the same moment. */
  ensureSchema(): Promise<void>;
  /** Deletes every expired row and resolves how many it deleted. */
  purgeExpired(): Promise<number>;
}

/** 48 leaves room for the `_expires_at_idx` suffix within PostgreSQL's 63-byte identifiers. */
const PLAIN_IDENTIFIER = /^[a-z_][a-z0-9_]{0,47}$/;

/** PostgreSQL's SQLSTATE for a missing table. */
const UNDEFINED_TABLE = '42P01';

/**
 * A replay store shared by every process that reaches one PostgreSQL database, so a token
 * is accepted once across all the merchant's server instances.
 *
 * A claim is one `INSERT … ON CONFLICT DO UPDATE … WHERE expired`: the primary key
 * decides between concurrent claimers, and an expired record is taken over in the same
 * statement, so exactly one claimer wins whether the key is new or expired. The table
 * name is checked to be a plain identifier; keys and times only travel as parameters.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { postgresReplayStore } from '@caisse/server-kit';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const replay = postgresReplayStore({ client: pool });
 * await replay.ensureSchema();
 * if (!(await replay.claim(`voucher:${claims.jti}`, claims.exp * 1000))) refuse('token_replayed');
 * ```
 */
export function postgresReplayStore(options: PostgresReplayStoreOptions): PostgresReplayStore {
  const { client, table = 'caisse_replay', cleanupEvery = 1000, now = Date.now } = options;
  if (typeof client?.query !== 'function') throw new TypeError('postgresReplayStore: client must have a query(text, params) method');
  if (typeof table !== 'string' || !PLAIN_IDENTIFIER.test(table)) {
    throw new TypeError('postgresReplayStore: table must be a plain identifier: lower-case letters, digits and _, at most 48 characters');
  }
  if (!Number.isSafeInteger(cleanupEvery) || cleanupEvery < 0) {
    throw new TypeError('postgresReplayStore: cleanupEvery must be a non-negative integer');
  }

  const sql = statements(table);
  let claimsSinceCleanup = 0;

  async function run(text: string, params: unknown[], doing: string): Promise<unknown[]> {
    try {
      return (await client.query(text, params)).rows;
    } catch (cause) {
      const hint =
        (cause as { code?: unknown } | null)?.code === UNDEFINED_TABLE
          ? ` The table "${table}" does not exist: call ensureSchema() at start-up.`
          : '';
      throw new CaisseError('replay_store_unavailable', `The PostgreSQL replay store could not ${doing}.${hint}`, { cause });
    }
  }

  async function purgeExpired(at = now()): Promise<number> {
    const rows = await run(sql.purge, [at], 'delete expired records');
    return (rows[0] as { purged: number } | undefined)?.purged ?? 0;
  }

  return {
    async claim(key, expiresAt, callerNow) {
      assertKey(key);
      assertTime(expiresAt, 'expiresAt');
      const at = clockReading(callerNow, now);
      if (cleanupEvery > 0 && ++claimsSinceCleanup >= cleanupEvery) {
        claimsSinceCleanup = 0;
        // Before the insert, so a failed purge rejects a claim that recorded nothing and
        // can simply be retried, rather than one that already consumed the token.
        await purgeExpired(at);
      }
      const rows = await run(sql.claim, [key, expiresAt, at], 'record the claim; the token is refused rather than risk accepting it twice');
      return rows.length === 1;
    },
    async release(key) {
      assertKey(key);
      await run(sql.release, [key], 'release the key');
    },
    async ensureSchema() {
      await run(sql.createTable, [], 'create its table');
      await run(sql.createIndex, [], 'create its expiry index');
    },
    purgeExpired: () => purgeExpired(),
  };
}

/** The statements for one table; `table` has been checked against PLAIN_IDENTIFIER, everything else is a parameter. */
function statements(table: string) {
  const name = `"${table}"`;
  // Milliseconds travel as float8 and become timestamptz on the server, identically for
  // the stored expiry and the current time, so the boundary comparison is exact.
  const at = (parameter: string) => `to_timestamp(${parameter}::double precision / 1000)`;
  return {
    createTable: `CREATE TABLE IF NOT EXISTS ${name} (key text PRIMARY KEY, expires_at timestamptz NOT NULL)`,
    createIndex: `CREATE INDEX IF NOT EXISTS "${table}_expires_at_idx" ON ${name} (expires_at)`,
    claim:
      `INSERT INTO ${name} (key, expires_at) VALUES ($1, ${at('$2')}) ` +
      `ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE ${name}.expires_at <= ${at('$3')} ` +
      'RETURNING 1',
    release: `DELETE FROM ${name} WHERE key = $1`,
    purge:
      `WITH purged AS (DELETE FROM ${name} WHERE expires_at <= ${at('$1')} RETURNING 1) ` +
      'SELECT count(*)::integer AS purged FROM purged',
  };
}
