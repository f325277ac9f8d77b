import { createHash } from 'node:crypto';
import type { Database } from './database.js';
import { StorageError } from './errors.js';
import { LOCK_NAMESPACE, LOCKS } from './locks.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

export interface MigrationResult {
  /** Migrations this call applied (empty when the schema was already current). */
  applied: readonly Migration[];
}

function checksum(migration: Migration): string {
  return createHash('sha256').update(migration.sql).digest('hex');
}

function assertOrdered(migrations: readonly Migration[]): void {
  let previous = 0;
  for (const migration of migrations) {
    if (!Number.isSafeInteger(migration.version) || migration.version <= previous) {
      throw new StorageError(
        'migration_invalid',
        `Migration versions must be positive integers in increasing order; ${migration.version} follows ${previous}.`,
      );
    }
    previous = migration.version;
  }
}

/**
 * Brings the schema up to date, in one transaction, under a transaction-scoped advisory
 * lock: when several instances start together, one migrates and the others wait, then
 * find nothing left to do. DDL is transactional in PostgreSQL, so a failing migration
 * leaves the schema as it was. Refuses to run if an applied migration was edited since.
 * @example await migrate(db) // { applied: [] } when already current
 */
export async function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationResult> {
  assertOrdered(migrations);
  return db.transaction(
    async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, LOCKS.migrations]);
      await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
      const { rows } = await tx.query<{ version: number; checksum: string }>('SELECT version, checksum FROM schema_migrations');
      const done = new Map(rows.map((row) => [row.version, row.checksum]));
      const applied: Migration[] = [];
      for (const migration of migrations) {
        const recorded = done.get(migration.version);
        if (recorded !== undefined) {
          if (recorded !== checksum(migration)) {
            throw new StorageError(
              'migration_checksum_mismatch',
              `Migration ${migration.version} (${migration.name}) was changed after it was applied; add a new migration instead.`,
            );
          }
          continue;
        }
        await tx.exec(migration.sql);
        await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          checksum(migration),
        ]);
        applied.push(migration);
      }
      return { applied };
    },
    { unbounded: true },
  );
}
