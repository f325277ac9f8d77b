/**
 * Errors raised by the storage layer itself (not by the data: constraint violations are
 * translated by the domain that owns the constraint, e.g. `ledger/errors.ts`).
 */
export const STORAGE_ERROR_CODES = {
  config_invalid: 'The storage options are contradictory or malformed.',
  transaction_retries_exhausted: 'The transaction kept failing with serialization failures or deadlocks; it was retried and gave up.',
  transaction_closed: 'A query was sent through a transaction handle after the transaction ended.',
  migration_invalid: 'The list of migrations is malformed (versions must be positive integers in increasing order).',
  migration_checksum_mismatch: 'A migration already applied to this database differs from the one shipped with this code.',
  database_unavailable:
    'The database could not be reached, or stopped answering (it restarted, or the network to it failed). A transaction cut off before its COMMIT was sent changed nothing; one cut off during its COMMIT may have committed: retry with the same idempotency key or ticket.',
  backup_unsupported:
    'Only the embedded database (PGlite in CAISSE_DATA_DIR) is backed up by caisse-server; PostgreSQL is backed up with pg_dump (README, "Backup and restore").',
  backup_source_empty: 'There is no database in this data folder to back up.',
  backup_invalid: 'This file is not a complete backup of a payment server database (truncated, corrupt, or of something else).',
  restore_target_not_empty: 'The data folder already holds a database: restoring would replace it. Pass --force to replace it.',
} as const;

export type StorageErrorCode = keyof typeof STORAGE_ERROR_CODES;

/**
 * @example
 * try { await db.transaction(fn) } catch (err) { if (isStorageError(err, 'transaction_retries_exhausted')) … }
 */
export class StorageError<C extends StorageErrorCode = StorageErrorCode> extends Error {
  override readonly name = 'StorageError';
  readonly code: C;

  constructor(code: C, message?: string, options?: { cause?: unknown }) {
    super(message ?? STORAGE_ERROR_CODES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** Compares `name` and `code` rather than using `instanceof`, so it works across copies of the package. */
export function isStorageError<C extends StorageErrorCode>(error: unknown, code?: C): error is StorageError<C> {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { name?: unknown; code?: unknown };
  if (candidate.name !== 'StorageError' || typeof candidate.code !== 'string' || !(candidate.code in STORAGE_ERROR_CODES)) return false;
  return code === undefined || candidate.code === code;
}

/**
 * The SQLSTATE of an error raised by PostgreSQL, through either driver (`pg` and PGlite
 * both expose it as `code`), or `undefined` for anything else.
 */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * The constraint an error names: a table constraint, or the name a trigger gives with
 * `RAISE … USING CONSTRAINT = '…'`. Domains map errors by this name, never by message text.
 */
export function constraintName(error: unknown): string | undefined {
  if (sqlState(error) === undefined) return undefined;
  const constraint = (error as { constraint?: unknown }).constraint;
  return typeof constraint === 'string' && constraint.length > 0 ? constraint : undefined;
}

/** serialization_failure and deadlock_detected: the transaction lost a race and may be run again. */
const RETRYABLE = new Set(['40001', '40P01']);

export function isRetryable(error: unknown): boolean {
  const state = sqlState(error);
  return state !== undefined && RETRYABLE.has(state);
}

/**
 * SQLSTATEs that mean the session is gone or could not start, not that the statement was
 * wrong: class 08 (connection exception), the server shutting down or starting up
 * (57P01–57P03), too many connections (53300), a session ended for idling in a
 * transaction (25P03).
 */
const CONNECTION_STATES = new Set(['57P01', '57P02', '57P03', '53300', '25P03']);

/** Socket errors of a database that is down or cut off (Node's `code` on the error). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);

/**
 * `pg` raises these without a code; matched here, in one place, so callers test a code.
 * Connection terminated (the socket closed), the pool's connection time-out, the
 * client's query time-out, a client already broken.
 */
const DRIVER_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed)/;

/**
 * Whether `error` says the database is out of reach rather than that the query failed:
 * such a failure is worth retrying later, and the connection that raised it is discarded.
 */
export function isConnectionFailure(error: unknown): boolean {
  if (isStorageError(error, 'database_unavailable')) return true;
  if (!(error instanceof Error)) return false;
  // Before the SQLSTATE: `EPIPE` has the shape of one.
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && SOCKET_CODES.has(code)) return true;
  const state = sqlState(error);
  if (state !== undefined) return state.startsWith('08') || CONNECTION_STATES.has(state);
  return DRIVER_MESSAGES.test(error.message);
}

/** `error` as `database_unavailable` when it is a connection failure; otherwise `error` itself. */
export function asUnavailable(error: unknown): unknown {
  if (!isConnectionFailure(error) || isStorageError(error, 'database_unavailable')) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new StorageError('database_unavailable', `The database is unavailable: ${reason}`, { cause: error });
}
