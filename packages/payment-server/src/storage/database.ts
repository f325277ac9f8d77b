/**
 * The one interface the payment server talks to, whichever driver is behind it:
 * PostgreSQL through a `pg` pool, or PGlite (embedded PostgreSQL) in a folder or in memory.
 */

/** PostgreSQL isolation levels (read uncommitted behaves as read committed, so it is left out). */
export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

export type Driver = 'postgres' | 'pglite';

export interface QueryResult<T> {
  rows: T[];
  /** Rows returned by a SELECT, or changed by an INSERT, UPDATE or DELETE. */
  rowCount: number;
}

/**
 * Something SQL can be sent through. Parameters are `$1`, `$2`, …; `int8` columns come back
 * as `bigint` under both drivers, `timestamptz` as `Date`, `json`/`jsonb` parsed.
 * Pass `bigint` (never a float) for money and JSON as text cast in SQL (`$1::text::jsonb`).
 */
export interface Queryable {
  readonly driver: Driver;
  query<T extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** Runs a script of one or more statements without parameters (migrations, `SET …`). */
  exec(sql: string): Promise<void>;
}

export interface TransactionOptions {
  /** Default `read committed`. */
  isolation?: IsolationLevel;
  /** Starts the transaction `READ ONLY`. */
  readOnly?: boolean;
  /**
   * How many times a transaction that fails with a serialization failure (40001) or a
   * deadlock (40P01) is run again, from the start, before giving up. Default 10.
   */
  maxRetries?: number;
  /**
   * No time-out on its statements (PostgreSQL; see `PostgresOptions.queryTimeoutMs`): for
   * work that may rightly take minutes, such as a migration building an index.
   */
  unbounded?: boolean;
}

/** What a readiness probe asks of the database. */
export interface DatabaseHealth {
  /** A trivial query was answered within the probe's short time-out. */
  reachable: boolean;
  /**
   * The connection that receives `NOTIFY`: `up`; `down` while it reconnects (listeners
   * miss notifications until it is back and they re-read); `idle` when nothing listens.
   * PGlite runs in the process and is always `up`.
   */
  listener: 'up' | 'down' | 'idle';
}

/** A transaction in progress. Its handle stops working once the transaction has ended. */
export interface Transaction extends Queryable {
  /**
   * Runs `fn` inside a savepoint: if `fn` throws, its writes are rolled back and the
   * enclosing transaction stays usable. Never retried (the enclosing transaction owns retries).
   */
  savepoint<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
}

export interface Database extends Queryable {
  /**
   * Runs `fn` in a transaction: committed if `fn` resolves, rolled back if it throws.
   * Serialization failures and deadlocks re-run `fn` from the start (so `fn` must not
   * have effects outside the database, or they must be idempotent).
   * @example
   * const serial = await db.transaction(async (tx) => {
   *   const { rows } = await tx.query<{ n: bigint }>('SELECT nextval($1) AS n', ['ledger_register_serial']);
   *   return rows[0]?.n;
   * }, { isolation: 'serializable' });
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Calls `onPayload` with the payload of every `NOTIFY` on `channel` (see {@link notify}),
   * from any connection or instance, once the notifying transaction commits. Resolves once
   * the server listens; the returned function stops this listener. PostgreSQL keeps one
   * dedicated connection for every listener of this database and listens again after
   * reconnecting; notifications sent while it was down are lost, so a listener that must
   * not miss anything re-reads the table in {@link ListenOptions.onResume}. `channel` is a
   * lower-case identifier (`[a-z_][a-z0-9_]*`, at most 63 characters).
   * @example
   * const stop = await db.listen('confirmation_requests', (payload) => fanOut(JSON.parse(payload)), { onResume: rereadOpen });
   * await stop();
   */
  listen(channel: string, onPayload: (payload: string) => void, options?: ListenOptions): Promise<() => Promise<void>>;
  /** Never throws: answers within a couple of seconds whether the database is reachable. */
  health(): Promise<DatabaseHealth>;
  close(): Promise<void>;
}

export interface ListenOptions {
  /**
   * Called each time the listening connection came back after a drop and listens again:
   * what was notified in between never arrives, so re-read it. PGlite never drops.
   */
  onResume?: () => void;
}

/** A database, or a transaction already open on one: what services are built over. */
export type Executor = Database | Transaction;

export function isTransaction(executor: Executor): executor is Transaction {
  return 'savepoint' in executor;
}

/**
 * Runs `fn` atomically on whatever the caller holds: its own transaction (with retries)
 * when given a database, a savepoint when given an open transaction. This is how one
 * service's writes join another's: `createLedger(tx)` inside the payment's transaction.
 */
export function withTransaction<T>(executor: Executor, fn: (tx: Transaction) => Promise<T>, options?: TransactionOptions): Promise<T> {
  return isTransaction(executor) ? executor.savepoint(fn) : executor.transaction(fn, options);
}

/** `BEGIN` options as SQL, shared by both drivers. */
export function transactionModes(options: TransactionOptions | undefined): string {
  const modes = [`ISOLATION LEVEL ${(options?.isolation ?? 'read committed').toUpperCase()}`];
  if (options?.readOnly) modes.push('READ ONLY');
  return modes.join(', ');
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Refuses a channel name PostgreSQL would fold or need quoting for: `LISTEN Foo` listens
 * on `foo` while `pg_notify('Foo', …)` sends to `Foo`, so mixed case would silently never arrive.
 */
export function checkChannel(channel: string): string {
  if (!CHANNEL.test(channel))
    throw new Error(`Channel names are lower-case identifiers ([a-z_][a-z0-9_]*, ≤ 63 characters): ${JSON.stringify(channel)}.`);
  return channel;
}

/**
 * Sends `payload` to every listener of `channel` ({@link Database.listen}) on every
 * instance. Inside a transaction it is delivered at commit and never if it rolls back, so
 * listeners never hear of rows they cannot read yet. PostgreSQL limits a payload to
 * under 8000 bytes: send an id and let listeners read the row.
 * @example await notify(tx, 'confirmation_requests', JSON.stringify({ customerId, seq: String(seq) }));
 */
export async function notify(executor: Queryable, channel: string, payload: string): Promise<void> {
  await executor.query('SELECT pg_notify($1, $2)', [checkChannel(channel), payload]);
}

/**
 * Statements sent as named prepared statements (see {@link preparedStatement}), by text:
 * each connection parses and plans them once, then only binds and executes them.
 */
const prepared = new Map<string, string>();

/** The name a statement marked by {@link preparedStatement} is prepared under, if it is marked. */
export function preparedName(sql: string): string | undefined {
  return prepared.get(sql);
}

/**
 * Marks a hot statement (the allowance charge's) to be prepared once per connection under
 * PostgreSQL, instead of parsed, analysed and planned again on every call (for a statement
 * with subqueries that touches a few rows, a good part of PostgreSQL's work for it). Only
 * for statements of fixed text with explicit column lists (a prepared `SELECT *` fails
 * after a migration adds a column), and a few of them: each connection keeps them all.
 * PGlite ignores it, and PostgreSQL with `preparedStatements: false` (storage/postgres.ts).
 * @example const CHARGE = preparedStatement(`WITH ticket AS (…) SELECT …`)
 */
export function preparedStatement(sql: string): string {
  if (!prepared.has(sql)) prepared.set(sql, `caisse_${prepared.size + 1}`);
  return sql;
}
