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
