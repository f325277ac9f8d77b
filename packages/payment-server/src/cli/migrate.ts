import { join } from 'node:path';
import { loadConfig } from '../config.js';
import { migrate } from '../storage/migrate.js';
import type { Migration } from '../storage/migrations/index.js';
import { openDatabase } from '../storage/open.js';
import { options } from './args.js';
import type { CliIo } from './commands.js';
import { output } from './output.js';

/** `0029 evidence`: the number as the migration's file is named. */
const label = (migration: Migration) => `${String(migration.version).padStart(4, '0')} ${migration.name}`;

/**
 * What `migrate` says: which migrations it applied, and the schema's version after them.
 * @example migrationSummary([], 31) // 'Schema at 31: nothing to apply.'
 */
export function migrationSummary(applied: readonly Migration[], schema: number): string {
  if (applied.length === 0) return `Schema at ${schema}: nothing to apply.`;
  const count = applied.length === 1 ? '1 migration' : `${applied.length} migrations`;
  return `Applied ${count}: ${applied.map(label).join(', ')}. Schema at ${schema}.`;
}

/**
 * `caisse-server migrate`: applies the pending migrations (under the migration lock, as
 * every start does) and lists them; `--json` gives `{ applied: [{ version, name }], schema }`.
 * @example const code = await migrateCommand([], io)
 */
export async function migrateCommand(args: string[], io: CliIo): Promise<number> {
  options(args, {});
  const config = loadConfig(io.env);
  const where = config.DATABASE_URL
    ? { url: config.DATABASE_URL }
    : config.CAISSE_DATA_DIR === ''
      ? {}
      : { dataDir: join(config.CAISSE_DATA_DIR, 'pglite') };
  const db = await openDatabase({ ...where, migrate: false });
  try {
    const { applied } = await migrate(db);
    // The database's own record, not this version's list: a database a newer release migrated says so.
    const { rows } = await db.query<{ schema: number }>('SELECT max(version) AS schema FROM schema_migrations');
    const schema = rows[0]?.schema ?? 0;
    output(io).result(
      { applied: applied.map((migration) => ({ version: migration.version, name: migration.name })), schema },
      migrationSummary(applied, schema),
    );
    return 0;
  } finally {
    await db.close();
  }
}
