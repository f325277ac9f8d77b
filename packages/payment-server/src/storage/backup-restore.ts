import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { openBackup } from './backup-archive.js';
import { type BackupContents, backupContents } from './backup-contents.js';
import { StorageError } from './errors.js';
import { migrate } from './migrate.js';
import type { Migration } from './migrations/index.js';
import { LOCK_FILE, lockDataDir } from './pglite.js';

export interface RestoreOptions {
  /** The PGlite data folder to restore into (`<CAISSE_DATA_DIR>/pglite`). */
  dataDir: string;
  /** A backup written by `backupDatabase`. */
  file: string;
  /** Replace a database already in `dataDir`. Default false: refused (`restore_target_not_empty`). */
  force?: boolean;
}

export interface RestoreSummary extends BackupContents {
  /** The size of the backup file. */
  bytes: number;
  /** Migrations of this version the backup did not have yet, applied to it. */
  applied: readonly Migration[];
  /** The schema version after them. */
  schema: number;
}

/** Whether the folder holds anything besides its lock. */
async function holdsData(dataDir: string): Promise<boolean> {
  return (await readdir(dataDir)).some((entry) => entry !== LOCK_FILE);
}

/**
 * Restores a backup into the PGlite data folder `dataDir`, migrated to this version.
 * Refused while a process holds the folder (the server: its lock, `config_invalid`), and
 * over a database unless `force`. The backup is loaded, checked and migrated in a folder
 * beside it, then swapped in: a bad file (`backup_invalid`) or a failed migration leaves
 * `dataDir` as it was. The swap is two renames; between them (an instant) the folder is
 * absent, and a crash there leaves the restored copy in `<dataDir>.restoring-*` and the
 * replaced data in `<dataDir>.replaced-*`.
 * @example const { payments, auditHead } = await restoreDatabase({ dataDir: '.data/payment-server/pglite', file: 'caisse.tar.gz' })
 */
export async function restoreDatabase(options: RestoreOptions): Promise<RestoreSummary> {
  const { dataDir, file } = options;
  const unlock = await lockDataDir(dataDir);
  let swapped = false;
  try {
    if (options.force !== true && (await holdsData(dataDir))) {
      throw new StorageError(
        'restore_target_not_empty',
        `${dataDir} already holds a database: restoring would replace it. Pass --force to replace it.`,
      );
    }
    const staging = await mkdtemp(`${dataDir}.restoring-`);
    try {
      const db = await openBackup(file, staging);
      let summary: RestoreSummary;
      try {
        const { applied } = await migrate(db);
        const { rows } = await db.query<{ schema: number }>('SELECT max(version) AS schema FROM schema_migrations');
        summary = { bytes: (await stat(file)).size, applied, schema: rows[0]?.schema ?? 0, ...(await backupContents(db)) };
      } finally {
        await db.close();
      }
      const replaced = `${dataDir}.replaced-${randomUUID()}`;
      // The lock goes with the folder it is in: from here on the restored folder is the one that counts.
      await rename(dataDir, replaced);
      try {
        await rename(staging, dataDir);
      } catch (error) {
        await rename(replaced, dataDir);
        throw error;
      }
      swapped = true;
      await rm(replaced, { recursive: true, force: true });
      return summary;
    } finally {
      if (!swapped) await rm(staging, { recursive: true, force: true });
    }
  } finally {
    // Once swapped, the lock left with the replaced folder; a lock in `dataDir` now is a new owner's.
    if (!swapped) await unlock();
  }
}
