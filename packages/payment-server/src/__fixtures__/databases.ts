import { freshDatabase, requirePostgres } from '@caisse/testing';
import type { Database } from '../storage/database.js';
import { openDatabase } from '../storage/open.js';

/**
 * The two drivers every storage-backed suite runs against: PGlite in memory and a real
 * PostgreSQL (a database of its own per call). Under CI=true a missing PostgreSQL fails
 * the suite; elsewhere its half is skipped with the reason printed.
 * @example
 * describe.each(await testDatabases('customers'))('customers on $name', ({ open }) => { … })
 */
export interface TestDatabase {
  name: 'pglite' | 'postgres';
  /** Opens a migrated, empty database; `close` it (the PostgreSQL one is dropped). */
  open(): Promise<Database>;
}

export async function testDatabases(suite: string): Promise<TestDatabase[]> {
  const drivers: TestDatabase[] = [{ name: 'pglite', open: () => openDatabase() }];
  if (await requirePostgres(suite)) {
    drivers.push({
      name: 'postgres',
      open: async () => {
        const fresh = await freshDatabase(suite.replace(/\W+/g, '_').toLowerCase());
        const db = await openDatabase({ url: fresh.url });
        return {
          ...db,
          close: async () => {
            await db.close();
            await fresh.drop();
          },
        } as Database;
      },
    });
  }
  return drivers;
}
