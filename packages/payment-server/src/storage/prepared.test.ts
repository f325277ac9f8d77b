import { freshDatabase } from '@caisse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparedStatement } from './database.js';
import { openPostgres } from './postgres.js';
import { testDrivers } from './test-support.js';

const hasPostgres = (await testDrivers('prepared statements')).includes('postgres');

/** A statement marked for preparing: prepared once per connection, unless the operator turned that off (a pooler in transaction mode). */
const MARKED = preparedStatement('SELECT $1::int4 + 1 AS next');

describe.runIf(hasPostgres)('statements marked with preparedStatement, on PostgreSQL', () => {
  let database: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    database = await freshDatabase('prepared');
  });
  afterAll(() => database?.drop());

  /** What the connection that ran the marked statement has prepared. */
  async function preparedAfterRun(preparedStatements?: boolean): Promise<string[]> {
    const db = openPostgres({ url: database.url, poolSize: 1, ...(preparedStatements === undefined ? {} : { preparedStatements }) });
    try {
      return await db.transaction(async (tx) => {
        expect((await tx.query<{ next: number }>(MARKED, [41])).rows).toEqual([{ next: 42 }]);
        const { rows } = await tx.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements');
        return rows.map((row) => row.statement);
      });
    } finally {
      await db.close();
    }
  }

  it('are prepared once per connection by default', async () => {
    expect(await preparedAfterRun()).toEqual([MARKED]);
  });

  it('are sent unprepared with preparedStatements: false, as a pooler in transaction mode needs', async () => {
    expect(await preparedAfterRun(false)).toEqual([]);
  });
});
