import { rename, rm, writeFile } from 'node:fs/promises';
import { openBackup } from './backup-archive.js';
import { type BackupContents, backupContents } from './backup-contents.js';
import type { Database } from './database.js';
import { StorageError } from './errors.js';
import { isPgliteDatabase } from './pglite.js';

export interface BackupSummary extends BackupContents {
  file: string;
  /** The size of the file written. */
  bytes: number;
}

/**
 * Writes a consistent backup of the embedded database to `file` (a gzipped tarball of its
 * data folder, mode 0600: it holds every customer's data), from the open database, so it
 * runs beside the server's own work: PGlite copies its folder while no statement runs.
 * Before `file` is written, the copy is opened in memory and counted: what is reported is
 * what the file restores, and a failed backup never replaces a good one. PostgreSQL is
 * refused (`backup_unsupported`): back it up with pg_dump.
 * @example const { bytes, payments, auditHead } = await backupDatabase(server.db, '/backups/caisse.tar.gz')
 */
export async function backupDatabase(db: Database, file: string): Promise<BackupSummary> {
  if (!isPgliteDatabase(db)) throw new StorageError('backup_unsupported');
  const tarball = Buffer.from(await (await db.dumpDataDir()).arrayBuffer());
  const partial = `${file}.${process.pid}.partial`;
  try {
    await writeFile(partial, tarball, { mode: 0o600 });
    const copy = await openBackup(partial);
    let contents: BackupContents;
    try {
      contents = await backupContents(copy);
    } finally {
      await copy.close();
    }
    await rename(partial, file);
    return { file, bytes: tarball.length, ...contents };
  } finally {
    await rm(partial, { force: true });
  }
}
