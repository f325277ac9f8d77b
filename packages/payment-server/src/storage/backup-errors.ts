/** What backing up or restoring the embedded database can refuse; each refusal changes nothing. */
export const BACKUP_ERROR_CODES = {
  backup_unsupported:
    'Only the embedded database (PGlite in CAISSE_DATA_DIR) is backed up by caisse-server; PostgreSQL is backed up with pg_dump (README, "Backup and restore").',
  backup_source_empty: 'There is no database in this data folder to back up.',
  backup_invalid: 'This file is not a complete backup of a payment server database (truncated, corrupt, or of something else).',
  restore_target_not_empty: 'The data folder already holds a database: restoring would replace it. Pass --force to replace it.',
} as const;

export type BackupErrorCode = keyof typeof BACKUP_ERROR_CODES;

/**
 * @example
 * try { await restoreDatabase({ dataDir, file }) } catch (error) { if (isBackupError(error, 'restore_target_not_empty')) … }
 */
export class BackupError<C extends BackupErrorCode = BackupErrorCode> extends Error {
  override readonly name = 'BackupError';
  readonly code: C;

  constructor(code: C, message?: string, options?: { cause?: unknown }) {
    super(message ?? BACKUP_ERROR_CODES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** Compares `name` and `code`, not the prototype, so it works across copies of the package. */
export function isBackupError<C extends BackupErrorCode>(error: unknown, code?: C): error is BackupError<C> {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { name?: unknown; code?: unknown };
  if (candidate.name !== 'BackupError' || typeof candidate.code !== 'string' || !Object.hasOwn(BACKUP_ERROR_CODES, candidate.code))
    return false;
  return code === undefined || candidate.code === code;
}
