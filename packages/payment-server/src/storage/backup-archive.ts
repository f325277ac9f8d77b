import { createReadStream, openAsBlob } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { StorageError } from './errors.js';
import { openPglite, type PgliteDatabase } from './pglite.js';

/**
 * Reads the whole file through gunzip, which checks its CRC and length: a truncated or
 * corrupt backup is refused here, before PGlite (whose own gunzip fails outside any
 * promise, taking the process down) ever sees it.
 */
async function checkGzip(file: string): Promise<void> {
  try {
    await pipeline(
      createReadStream(file),
      createGunzip(),
      new Writable({
        write: (_chunk, _encoding, done) => done(),
      }),
    );
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is no such file' : 'it is truncated or corrupt';
    throw new StorageError('backup_invalid', `${file} is not a complete backup: ${reason}.`, { cause });
  }
}

/**
 * Opens the database a backup file holds, not migrated: into `dataDir` (an empty folder)
 * or into memory. Refuses (`backup_invalid`, nothing written but into `dataDir`) a file
 * that is not a whole gzipped tarball of a PGlite data folder holding a payment server's
 * database.
 * @example const db = await openBackup('caisse.tar.gz'); try { await backupContents(db) } finally { await db.close() }
 */
export async function openBackup(file: string, dataDir?: string): Promise<PgliteDatabase> {
  await checkGzip(file);
  let db: PgliteDatabase;
  try {
    db = await openPglite({ loadDataDir: await openAsBlob(file), ...(dataDir === undefined ? {} : { dataDir }) });
  } catch (cause) {
    throw new StorageError('backup_invalid', `${file} is a gzipped file, but not of a PGlite data folder PostgreSQL can start.`, { cause });
  }
  // Every payment server database has its migrations table from the first start on.
  const { rows } = await db.query<{ found: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS found`);
  if (rows[0]?.found !== true) {
    await db.close();
    throw new StorageError('backup_invalid', `${file} holds a PostgreSQL database, but not a payment server's.`);
  }
  return db;
}
