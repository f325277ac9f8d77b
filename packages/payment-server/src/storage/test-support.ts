/**
 * Test support: runs a suite against every driver available. PGlite always; PostgreSQL
 * when it is reachable (and, under CI=true, a missing PostgreSQL fails the suite).
 * Not exported from the package.
 */
import { freshDatabase, requirePostgres } from '@caisse/testing';
import type { Database, Transaction } from './database.js';
import { openDatabase } from './open.js';

export type TestDriver = 'pglite' | 'postgres';

export async function testDrivers(suite: string): Promise<TestDriver[]> {
  return (await requirePostgres(suite)) ? ['pglite', 'postgres'] : ['pglite'];
}

export interface TestDatabase {
  db: Database;
  /** PostgreSQL only: the URL of this test's own database. */
  url: string | undefined;
  close(): Promise<void>;
}

/** A migrated database of its own: PGlite in memory, or a fresh PostgreSQL database. */
export async function openTestDatabase(driver: TestDriver, prefix: string, options: { poolSize?: number } = {}): Promise<TestDatabase> {
  if (driver === 'pglite') {
    const db = await openDatabase();
    return { db, url: undefined, close: () => db.close() };
  }
  const fresh = await freshDatabase(prefix);
  const db = await openDatabase({ url: fresh.url, poolSize: options.poolSize ?? 16 });
  return {
    db,
    url: fresh.url,
    close: async () => {
      await db.close();
      await fresh.drop();
    },
  };
}

const ROLLBACK = Symbol('rollback');

/** Runs `fn` in a transaction that is always rolled back, and returns what `fn` returned. */
export async function rolledBack<T>(db: Database, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  let result: T | undefined;
  try {
    await db.transaction(async (tx) => {
      result = await fn(tx);
      throw ROLLBACK;
    });
  } catch (error) {
    if (error !== ROLLBACK) throw error;
  }
  return result as T;
}

/** Resolves once `count` parties have arrived; each party awaits the returned promise. */
export function barrier(count: number): { arrive: () => Promise<void>; fail: (error: unknown) => void } {
  let arrived = 0;
  let release!: () => void;
  let abort!: (error: unknown) => void;
  const all = new Promise<void>((resolve, reject) => {
    release = resolve;
    abort = reject;
  });
  all.catch(() => undefined);
  return {
    arrive: () => {
      arrived++;
      if (arrived === count) release();
      return all;
    },
    fail: (error) => abort(error),
  };
}
