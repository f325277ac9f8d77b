import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../storage/database.js';
import { openTestDatabase, type TestDatabase, testDrivers } from '../storage/test-support.js';
import { createAssertionStore } from './assertion-store.js';

const drivers = await testDrivers('api assertion store');

describe.each(drivers)('assertion jti store on %s', (driver) => {
  let handle: TestDatabase;
  let db: Database;
  const t0 = new Date('2026-05-01T12:00:00Z');
  const later = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

  beforeAll(async () => {
    handle = await openTestDatabase(driver, 'api_assertions', { poolSize: 12 });
    db = handle.db;
  });
  afterAll(() => handle.close());

  it('accepts a jti once per merchant while it lives, then lets it be used again', async () => {
    const store = createAssertionStore(db);
    expect(await store.consume('shop-a', 'j1', later(90), t0)).toBe(true);
    expect(await store.consume('shop-a', 'j1', later(90), later(10))).toBe(false);
    expect(await store.consume('shop-b', 'j1', later(90), later(10))).toBe(true);
    expect(await store.consume('shop-a', 'j1', later(89), later(89))).toBe(false);
    // Past its expiry no assertion carrying the old one can be accepted: the id is free.
    expect(await store.consume('shop-a', 'j1', later(200), later(90))).toBe(true);
    expect(await store.consume('shop-a', 'j1', later(200), later(91))).toBe(false);
  });

  it('lets exactly one of 12 concurrent uses win', async () => {
    const store = createAssertionStore(db);
    const results = await Promise.all(Array.from({ length: 12 }, () => store.consume('shop-c', 'race', later(60), t0)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('purges rows past their expiry and keeps the live ones', async () => {
    const store = createAssertionStore(db);
    await store.consume('shop-d', 'old', later(30), t0);
    await store.consume('shop-d', 'live', later(3_000), t0);
    expect(await store.purgeExpired(later(2_000))).toBeGreaterThanOrEqual(1);
    const { rows } = await db.query<{ jti: string }>("SELECT jti FROM api_assertions WHERE merchant_id = 'shop-d'");
    expect(rows.map((row) => row.jti)).toEqual(['live']);
  });
});
