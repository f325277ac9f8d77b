import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Transaction } from './database.js';
import { isStorageError, sqlState } from './errors.js';
import { barrier, openTestDatabase, type TestDatabase, testDrivers } from './test-support.js';

const drivers = await testDrivers('payment-server storage');

function serializationFailure(): Error {
  return Object.assign(new Error('could not serialize access due to concurrent update'), { code: '40001' });
}

describe.each(drivers)('database on %s', (driver) => {
  let handle: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    handle = await openTestDatabase(driver, 'storage_db');
    db = handle.db;
    await db.exec('CREATE TABLE counters (id int PRIMARY KEY, n bigint NOT NULL)');
  });
  afterAll(() => handle.close());

  it('names its driver', () => {
    expect(db.driver).toBe(driver);
  });

  it('returns int8 as bigint and takes bigint parameters beyond 2^53', async () => {
    const { rows } = await db.query<{ big: bigint; small: number; sum: bigint }>(
      'SELECT $1::int8 AS big, 7::int4 AS small, (2::int8 + 3) AS sum',
      [9_007_199_254_740_993n],
    );
    expect(rows).toEqual([{ big: 9_007_199_254_740_993n, small: 7, sum: 5n }]);
  });

  it('reports rows changed', async () => {
    await db.query('INSERT INTO counters VALUES (1, 0), (2, 0)');
    const result = await db.query('UPDATE counters SET n = n + 1 WHERE id IN (1, 2)');
    expect(result.rowCount).toBe(2);
  });

  it('commits what the function wrote and rolls back when it throws', async () => {
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO counters VALUES (10, 1)');
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO counters VALUES (11, 1)');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const { rows } = await db.query<{ id: number }>('SELECT id FROM counters WHERE id IN (10, 11) ORDER BY id');
    expect(rows).toEqual([{ id: 10 }]);
  });

  it('applies the isolation level and read-only mode', async () => {
    const level = await db.transaction(
      async (tx) => (await tx.query<{ transaction_isolation: string }>('SHOW transaction_isolation')).rows[0]?.transaction_isolation,
      { isolation: 'serializable' },
    );
    expect(level).toBe('serializable');
    const failure = await db
      .transaction((tx) => tx.query('INSERT INTO counters VALUES (20, 0)'), { readOnly: true })
      .catch((error: unknown) => error);
    expect(sqlState(failure)).toBe('25006'); // read_only_sql_transaction
  });

  it('refuses a transaction handle used after its transaction ended', async () => {
    let leaked: Transaction | undefined;
    await db.transaction(async (tx) => {
      leaked = tx;
    });
    const failure = await leaked?.query('SELECT 1').catch((error: unknown) => error);
    expect(isStorageError(failure, 'transaction_closed')).toBe(true);
  });

  it('rolls a failed savepoint back and keeps the transaction usable', async () => {
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO counters VALUES (30, 1)');
      await expect(tx.savepoint((inner) => inner.query('INSERT INTO counters VALUES (30, 2)'))).rejects.toMatchObject({ code: '23505' });
      await tx.savepoint((inner) => inner.query('INSERT INTO counters VALUES (31, 1)'));
    });
    const { rows } = await db.query<{ id: number; n: bigint }>('SELECT id, n FROM counters WHERE id IN (30, 31) ORDER BY id');
    expect(rows).toEqual([
      { id: 30, n: 1n },
      { id: 31, n: 1n },
    ]);
  });

  it('runs a transaction again after a serialization failure, from the start', async () => {
    let attempts = 0;
    const result = await db.transaction(async (tx) => {
      attempts++;
      await tx.query('INSERT INTO counters VALUES (40, $1)', [attempts]);
      if (attempts < 3) throw serializationFailure();
      return 'done';
    });
    expect(result).toBe('done');
    expect(attempts).toBe(3);
    const { rows } = await db.query<{ n: bigint }>('SELECT n FROM counters WHERE id = 40');
    expect(rows).toEqual([{ n: 3n }]); // the first two attempts left nothing behind
  });

  it('gives up after maxRetries with a typed error that keeps the cause', async () => {
    let attempts = 0;
    const failure = await db
      .transaction(
        async () => {
          attempts++;
          throw serializationFailure();
        },
        { maxRetries: 2 },
      )
      .catch((error: unknown) => error);
    expect(attempts).toBe(3);
    expect(isStorageError(failure, 'transaction_retries_exhausted')).toBe(true);
    expect(sqlState((failure as Error).cause)).toBe('40001');
  });

  it('does not retry other errors', async () => {
    let attempts = 0;
    await expect(
      db.transaction(async (tx) => {
        attempts++;
        await tx.query('SELECT * FROM no_such_table');
      }),
    ).rejects.toMatchObject({ code: '42P01' });
    expect(attempts).toBe(1);
  });
});

describe.runIf(drivers.includes('postgres'))('database on postgres, concurrently', () => {
  let handle: TestDatabase;

  beforeAll(async () => {
    handle = await openTestDatabase('postgres', 'storage_concurrent');
    await handle.db.exec('CREATE TABLE counters (id int PRIMARY KEY, n bigint NOT NULL); INSERT INTO counters VALUES (1, 0)');
  });
  afterAll(() => handle.close());

  it('retries a real serialization failure so that two serializable increments both land', async () => {
    // Both transactions read before either writes (the barrier holds the first attempts
    // together), so one of them must fail with 40001 and be run again.
    const bothRead = barrier(2);
    let attempts = 0;
    const increment = () =>
      handle.db.transaction(
        async (tx) => {
          attempts++;
          const { rows } = await tx.query<{ n: bigint }>('SELECT n FROM counters WHERE id = 1');
          if (attempts <= 2) await bothRead.arrive();
          await tx.query('UPDATE counters SET n = $1 WHERE id = 1', [(rows[0]?.n ?? 0n) + 1n]);
        },
        { isolation: 'serializable' },
      );
    await Promise.all([increment(), increment()]);
    expect(attempts).toBe(3);
    const { rows } = await handle.db.query<{ n: bigint }>('SELECT n FROM counters WHERE id = 1');
    expect(rows).toEqual([{ n: 2n }]);
  });
});
