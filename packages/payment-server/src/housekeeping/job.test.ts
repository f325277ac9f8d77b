import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import type { Database, Queryable } from '../storage/database.js';
import { openTestDatabase, type TestDatabase } from '../storage/test-support.js';
import { DAY, MINUTE, rowMaker, stillThere } from './__fixtures__/rows.js';
import { housekeepingJob } from './job.js';

const P = new Date('2026-06-01T12:00:00Z');
const ago = (ms: number) => new Date(P.getTime() - ms);

/**
 * The server's background run, as an operator reads it in the logs (PGlite; the SQL is
 * pruneExpired's, tested on both drivers): what was deleted at info, nothing when nothing
 * was, a kind of row that fails at error without keeping the others from being pruned,
 * one run at a time, and a stop that waits for the run in flight.
 */
describe('the housekeeping job', () => {
  let handle: TestDatabase;
  let db: Database;
  let rows: ReturnType<typeof rowMaker>;
  const lines: { level: string; event: string; [field: string]: unknown }[] = [];
  const log = createLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line)) });
  const events = () => lines.map(({ time: _time, ...line }) => line);

  beforeAll(async () => {
    handle = await openTestDatabase('pglite', 'housekeeping_job');
    db = handle.db;
    rows = rowMaker(db);
  });
  afterAll(() => handle?.close());

  it('logs what it deleted, table by table, at info; nothing at all when there was nothing', async () => {
    const shop = await rows.merchant();
    await rows.assertion(shop, ago(MINUTE));
    await rows.checkout(shop, { openedAt: ago(30 * DAY), ticketExp: ago(29 * DAY), end: 'cancelled' });
    const job = housekeepingJob({ db, now: () => P, log });
    lines.length = 0;

    await job.run();
    expect(events()).toEqual([
      {
        level: 'info',
        event: 'housekeeping.pruned',
        pruned: [
          { table: 'api_assertions', rows: 1 },
          { table: 'tickets', rows: 1 },
          { table: 'checkout_sessions', rows: 1 },
        ],
        total: 3,
        complete: true,
      },
    ]);
    await job.run();
    expect(events()).toHaveLength(1);
  });

  it('logs a kind of row it could not prune at error, and prunes the others all the same', async () => {
    const shop = await rows.merchant();
    const assertion = await rows.assertion(shop, ago(MINUTE));
    const notification = await rows.notification(shop, 'delivered', ago(40 * DAY));
    const broken: Queryable = {
      driver: db.driver,
      exec: (sql) => db.exec(sql),
      query: (sql, params) => (sql.includes('notifications') ? Promise.reject(new Error('relation is locked')) : db.query(sql, params)),
    };
    lines.length = 0;

    await housekeepingJob({ db: broken, now: () => P, log }).run();

    expect(events()).toEqual([
      { level: 'info', event: 'housekeeping.pruned', pruned: [{ table: 'api_assertions', rows: 1 }], total: 1, complete: false },
      {
        level: 'error',
        event: 'housekeeping.prune_failed',
        kind: 'delivered notifications',
        error: { name: 'Error', message: 'relation is locked', stack: expect.stringContaining('Error: relation is locked\n    at ') },
      },
      {
        level: 'error',
        event: 'housekeeping.prune_failed',
        kind: 'parked notifications',
        error: { name: 'Error', message: 'relation is locked', stack: expect.stringContaining('Error: relation is locked\n    at ') },
      },
    ]);
    expect(await stillThere(db, 'api_assertions', 'jti', [assertion])).toEqual([false]);
    expect(await stillThere(db, 'notifications', 'id', [notification])).toEqual([true]);
  });

  it('runs once at a time, and stops after the batch in flight', async () => {
    const shop = await rows.merchant();
    for (let i = 0; i < 3; i++) await rows.assertion(shop, ago(MINUTE));
    let statements = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The first statement waits until the test lets it go: the run is in flight meanwhile.
    const slow: Queryable = {
      driver: db.driver,
      exec: (sql) => db.exec(sql),
      query: async (sql, params) => {
        if (statements++ === 0) await held;
        return db.query(sql, params);
      },
    };
    const job = housekeepingJob({ db: slow, now: () => P, log });
    const first = job.run();
    const second = job.run();
    expect(second).toBe(first);
    const stopped = job.stop();
    release();
    await stopped;
    // The batch in flight was finished (the assertions are gone), and nothing after it ran.
    expect(statements).toBe(1);
    expect((await db.query('SELECT 1 FROM api_assertions WHERE merchant_id = $1', [shop])).rows).toEqual([]);
    await job.run();
    expect(statements).toBe(1);
  });
});
