import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase } from '@caisse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStorageError } from './errors.js';
import { migrate } from './migrate.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';
import { openDatabase } from './open.js';
import { openTestDatabase, type TestDatabase, testDrivers } from './test-support.js';

const drivers = await testDrivers('payment-server migrations');

async function versions(handle: TestDatabase): Promise<number[]> {
  const { rows } = await handle.db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  return rows.map((row) => row.version);
}

describe.each(drivers)('migrations on %s', (driver) => {
  let handle: TestDatabase;

  beforeAll(async () => {
    handle = await openTestDatabase(driver, 'storage_migrate');
  });
  afterAll(() => handle.close());

  it('applied every migration once at open, and a second run applies nothing', async () => {
    expect(await versions(handle)).toEqual(MIGRATIONS.map((migration) => migration.version));
    expect(await migrate(handle.db)).toEqual({ applied: [] });
    expect(await versions(handle)).toEqual(MIGRATIONS.map((migration) => migration.version));
  });

  it('applies a new migration, then never again', async () => {
    const extra: Migration = { version: 1000, name: 'extra', sql: 'CREATE TABLE extra_1000 (id int)' };
    expect((await migrate(handle.db, [...MIGRATIONS, extra])).applied).toEqual([extra]);
    expect((await migrate(handle.db, [...MIGRATIONS, extra])).applied).toEqual([]);
  });

  it('refuses to run when an applied migration was edited', async () => {
    const edited = MIGRATIONS.map((migration, index) => (index === 0 ? { ...migration, sql: `${migration.sql}\n-- edited` } : migration));
    const failure = await migrate(handle.db, edited).catch((error: unknown) => error);
    expect(isStorageError(failure, 'migration_checksum_mismatch')).toBe(true);
  });

  it('applies pending migrations all or nothing', async () => {
    const good: Migration = { version: 2000, name: 'good', sql: 'CREATE TABLE good_2000 (id int)' };
    const bad: Migration = { version: 2001, name: 'bad', sql: 'CREATE TABLE bad_2001 (id no_such_type)' };
    await expect(migrate(handle.db, [...MIGRATIONS, good, bad])).rejects.toMatchObject({ code: '42704' });
    const { rows } = await handle.db.query(`SELECT 1 FROM pg_tables WHERE tablename IN ('good_2000', 'bad_2001')`);
    expect(rows).toEqual([]);
    expect(await versions(handle)).not.toContain(2000);
  });

  it('refuses migrations out of order', async () => {
    const failure = await migrate(handle.db, [...MIGRATIONS].reverse()).catch((error: unknown) => error);
    expect(isStorageError(failure, 'migration_invalid')).toBe(true);
  });
});

describe('openDatabase options', () => {
  it('refuses a URL and a data folder together, and URLs that are not PostgreSQL', async () => {
    for (const options of [{ url: 'postgres://localhost/x', dataDir: '/tmp/x' }, { url: 'mysql://localhost/x' }]) {
      const failure = await openDatabase(options).catch((error: unknown) => error);
      expect(isStorageError(failure, 'config_invalid')).toBe(true);
    }
  });

  it('keeps a PGlite data folder across restarts, and does not migrate it twice', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'caisse-pglite-'));
    try {
      const first = await openDatabase({ dataDir });
      await first.query(`INSERT INTO ledger_accounts (type, owner_id, currency) VALUES ('merchant_till', 'm-restart', 'EUR')`);
      const { rows: before } = await first.query<{ applied_at: Date }>('SELECT applied_at FROM schema_migrations ORDER BY version');
      await first.close();

      const second = await openDatabase({ dataDir });
      try {
        const { rows: accounts } = await second.query(`SELECT owner_id FROM ledger_accounts WHERE owner_id = 'm-restart'`);
        expect(accounts).toEqual([{ owner_id: 'm-restart' }]);
        const { rows: after } = await second.query<{ applied_at: Date }>('SELECT applied_at FROM schema_migrations ORDER BY version');
        expect(after).toEqual(before);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe.runIf(drivers.includes('postgres'))('migrations on postgres, several instances starting together', () => {
  let fresh: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    fresh = await freshDatabase('storage_start');
  });
  afterAll(() => fresh.drop());

  it('migrates once while four instances open the same empty database at the same time', async () => {
    const instances = await Promise.all(Array.from({ length: 4 }, () => openDatabase({ url: fresh.url, poolSize: 2 })));
    try {
      const first = instances[0];
      if (first === undefined) throw new Error('no instance');
      const { rows } = await first.query<{ version: number; n: bigint }>(
        'SELECT version, count(*) OVER (PARTITION BY version) AS n FROM schema_migrations ORDER BY version',
      );
      expect(rows).toEqual(MIGRATIONS.map((migration) => ({ version: migration.version, n: 1n })));
    } finally {
      await Promise.all(instances.map((db) => db.close()));
    }
  });
});
