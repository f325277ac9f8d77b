import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileArgument, options, required } from '../cli/args.js';
import type { CliIo } from '../cli/commands.js';
import { migrationSummary } from '../cli/migrate.js';
import { output } from '../cli/output.js';
import { type Config, loadConfig } from '../config.js';
import type { PaymentServer } from '../server.js';
import { backupDatabase } from './backup.js';
import type { BackupContents } from './backup-contents.js';
import { restoreDatabase } from './backup-restore.js';
import { isStorageError, StorageError } from './errors.js';

/** The backup commands, for the usage text of `caisse-server`. */
export const BACKUP_USAGE = `  backup                        --out FILE  (the embedded database as a gzipped tarball, consistent, also while the
                                server runs; PostgreSQL: pg_dump, see the README)
  restore                       --from FILE [--force]  (the server stopped: the backup is checked and migrated, then
                                swapped in; --force replaces a database already there)`;

type WithServer = <T>(io: CliIo, run: (server: PaymentServer) => Promise<T>) => Promise<T>;

/**
 * Runs `backup --out FILE` or `restore --from FILE [--force]`, or answers undefined when
 * `argv` is neither. Backup goes through `withServer` (the running server's database
 * through its admin socket, or one opened for it); restore needs the server stopped.
 * @example const code = await backupCommand(['backup', '--out', '/backups/caisse.tar.gz'], io, withServer)
 */
export async function backupCommand(argv: string[], io: CliIo, withServer: WithServer): Promise<number | undefined> {
  const [command = '', ...rest] = argv;
  if (command !== 'backup' && command !== 'restore') return undefined;
  try {
    return command === 'backup' ? await backup(rest, io, withServer) : await restore(rest, io);
  } catch (error) {
    // Refusals keep their code on the way out (the data folder in use is the storage lock's).
    if (!isStorageError(error)) throw error;
    output(io).failure(error.code, error.message);
    return 1;
  }
}

/** The embedded database's folder; the other databases have backups of their own (README, "Backup and restore"). */
function pgliteDataDir(io: CliIo, verb: 'back up' | 'restore'): { config: Config; dataDir: string } {
  const config = loadConfig(io.env);
  if (config.DATABASE_URL) {
    const how = verb === 'back up' ? 'back it up with pg_dump -Fc' : 'restore it with pg_restore, then `caisse-server migrate`';
    throw new StorageError('backup_unsupported', `With DATABASE_URL the database is PostgreSQL: ${how} (README, "Backup and restore").`);
  }
  if (config.CAISSE_DATA_DIR === '')
    throw new StorageError('backup_unsupported', 'CAISSE_DATA_DIR is empty: the database is in memory, and ends with its process.');
  return { config, dataDir: join(config.CAISSE_DATA_DIR, 'pglite') };
}

const size = (bytes: number) => `${bytes} bytes (${(bytes / 1_048_576).toFixed(1)} MiB)`;

function contentsLine(contents: BackupContents): string {
  return `${contents.payments} payment(s), ${contents.transfers} transfer(s), ${contents.auditBatches} audit batch(es)`;
}

function contentsJson(contents: BackupContents) {
  return {
    payments: contents.payments,
    transfers: contents.transfers,
    auditBatches: contents.auditBatches,
    auditHead: contents.auditHead === null ? null : `${contents.auditHead.seq}:${contents.auditHead.hash}`,
  };
}

async function backup(rest: string[], io: CliIo, withServer: WithServer): Promise<number> {
  const values = options(rest, { out: { type: 'string' } });
  const file = fileArgument(io, required(values, 'out'));
  pgliteDataDir(io, 'back up');
  const summary = await withServer(io, (server) => backupDatabase(server.db, file));
  const head = summary.auditHead === null ? [] : [`Audit head ${summary.auditHead.seq}:${summary.auditHead.hash}.`];
  output(io).result({ file: summary.file, bytes: summary.bytes, ...contentsJson(summary) }, [
    `Backed up to ${summary.file}: ${size(summary.bytes)}; it holds ${contentsLine(summary)}.`,
    ...head,
  ]);
  return 0;
}

async function restore(rest: string[], io: CliIo): Promise<number> {
  const values = options(rest, { from: { type: 'string' }, force: { type: 'boolean' } });
  const file = fileArgument(io, required(values, 'from'));
  const { config, dataDir } = pgliteDataDir(io, 'restore');
  const summary = await restoreDatabase({ dataDir, file, force: values.force === true });
  // The secret is not in the backup, on purpose: the server's keys in it are sealed with it.
  const secretFound =
    Boolean(config.CAISSE_SECRET) ||
    (await access(join(config.CAISSE_DATA_DIR, 'secret')).then(
      () => true,
      () => false,
    ));
  const head = summary.auditHead === null ? undefined : `${summary.auditHead.seq}:${summary.auditHead.hash}`;
  const print = output(io);
  print.result(
    {
      file,
      dataDir,
      bytes: summary.bytes,
      ...contentsJson(summary),
      applied: summary.applied.map(({ version, name }) => ({ version, name })),
      schema: summary.schema,
      secretFound,
    },
    [
      `Restored ${file} (${size(summary.bytes)}) into ${dataDir}: ${contentsLine(summary)}.`,
      migrationSummary(summary.applied, summary.schema),
      ...(head === undefined
        ? []
        : [`Audit head ${head}: check it against the head you kept, with \`caisse-server audit verify --expected-head SEQ:HASH\`.`]),
    ],
  );
  if (!secretFound) {
    print.note(
      `No secret in ${config.CAISSE_DATA_DIR} and no CAISSE_SECRET: put back the secret of the server that made this backup before starting it, or its keys cannot be unsealed.`,
    );
  }
  return 0;
}
