import { freshDatabase, requirePostgres } from '@caisse/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from './__fixtures__/clock.js';
import { AWKWARD_KEYS } from './__fixtures__/keys.js';
import { type PostgresReplayStoreOptions, postgresReplayStore } from './postgres.js';

const hasPostgres = await requirePostgres('postgres replay store');

describe.runIf(hasPostgres)('postgresReplayStore', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let pool: pg.Pool;
  let tables = 0;

  beforeAll(async () => {
    database = await freshDatabase('replay_store');
    pool = new pg.Pool({ connectionString: database.url, max: 10 });
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  /** Each test gets a table of its own, so tests neither see nor clean each other's rows. */
  async function setUp(options: Partial<PostgresReplayStoreOptions> = {}) {
    const clock = manualClock();
    const table = `replay_${++tables}`;
    const store = postgresReplayStore({ client: pool, table, now: clock.now, ...options });
    await store.ensureSchema();
    const keys = async () =>
      (await pool.query<{ key: string }>(`SELECT key FROM ${table} ORDER BY key COLLATE "C"`)).rows.map((row) => row.key);
    return { store, clock, table, keys };
  }

  it('accepts a key the first time and refuses it the second', async () => {
    const { store, clock } = await setUp();
    await expect(store.claim('voucher:R1', clock.now() + 60_000)).resolves.toBe(true);
    await expect(store.claim('voucher:R1', clock.now() + 60_000)).resolves.toBe(false);
    await expect(store.claim('voucher:R2', clock.now() + 60_000)).resolves.toBe(true);
  });

  it('refuses the key until the instant it expires, then accepts it again', async () => {
    const { store, clock } = await setUp();
    const expiresAt = clock.now() + 60_123;
    await store.claim('voucher:R1', expiresAt);
    clock.set(expiresAt - 1);
    await expect(store.claim('voucher:R1', expiresAt + 60_000)).resolves.toBe(false);
    clock.set(expiresAt);
    await expect(store.claim('voucher:R1', expiresAt + 60_000)).resolves.toBe(true);
    await expect(store.claim('voucher:R1', expiresAt + 60_000)).resolves.toBe(false);
  });

  it('a refused claim does not extend the record', async () => {
    const { store, clock } = await setUp();
    await store.claim('k', clock.now() + 1_000);
    await expect(store.claim('k', clock.now() + 1_000_000)).resolves.toBe(false);
    clock.advance(1_000);
    await expect(store.claim('k', clock.now() + 1_000)).resolves.toBe(true);
  });

  it('accepts a released key again', async () => {
    const { store, clock } = await setUp();
    await store.claim('notification:N1', clock.now() + 60_000);
    await store.release('notification:N1');
    await expect(store.claim('notification:N1', clock.now() + 60_000)).resolves.toBe(true);
    await expect(store.claim('notification:N1', clock.now() + 60_000)).resolves.toBe(false);
    await expect(store.release('never-claimed')).resolves.toBeUndefined();
  });

  it('stores keys with quotes, SQL, line breaks and Unicode verbatim, each exactly once', async () => {
    const { store, clock, keys } = await setUp();
    for (const key of AWKWARD_KEYS) await expect(store.claim(key, clock.now() + 60_000), key).resolves.toBe(true);
    for (const key of AWKWARD_KEYS) await expect(store.claim(key, clock.now() + 60_000), key).resolves.toBe(false);
    const byCodeUnit = [...AWKWARD_KEYS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(await keys()).toEqual(byCodeUnit);
    await store.release("'); DROP TABLE caisse_replay; --");
    expect(await keys()).toHaveLength(AWKWARD_KEYS.length - 1);
  });

  it('gives exactly one of 200 concurrent claims of a new key, through a pool of 10 connections', async () => {
    const { store, clock } = await setUp();
    const results = await Promise.all(Array.from({ length: 200 }, () => store.claim('voucher:R1', clock.now() + 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('gives exactly one of 200 concurrent claims of an expired key', async () => {
    const { store, clock } = await setUp();
    await store.claim('voucher:R1', clock.now() + 1_000);
    clock.advance(1_000);
    const results = await Promise.all(Array.from({ length: 200 }, () => store.claim('voucher:R1', clock.now() + 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('gives exactly one win per key to two stores sharing the table', async () => {
    const { store, clock, table } = await setUp();
    const other = new pg.Pool({ connectionString: database.url, max: 10 });
    try {
      const second = postgresReplayStore({ client: other, table, now: clock.now });
      const keys = Array.from({ length: 100 }, (_, index) => `voucher:${index}`);
      const claims = keys.flatMap((key) => [store.claim(key, clock.now() + 60_000), second.claim(key, clock.now() + 60_000)]);
      const results = await Promise.all(claims);
      for (const [index, key] of keys.entries()) expect([results[2 * index], results[2 * index + 1]].filter(Boolean), key).toHaveLength(1);
    } finally {
      await other.end();
    }
  });

  describe('expired rows', () => {
    it('are deleted every cleanupEvery claims, and live rows kept', async () => {
      const { store, clock, keys } = await setUp({ cleanupEvery: 4 });
      await store.claim('live', clock.now() + 60_000);
      await store.claim('expired-1', clock.now() + 1_000);
      await store.claim('expired-2', clock.now() + 1_000);
      clock.advance(1_000);
      expect(await keys()).toEqual(['expired-1', 'expired-2', 'live']);
      await store.claim('fourth', clock.now() + 60_000);
      expect(await keys()).toEqual(['fourth', 'live']);
    });

    it('are kept when cleanupEvery is 0, until purgeExpired deletes them', async () => {
      const { store, clock, keys } = await setUp({ cleanupEvery: 0 });
      for (let index = 0; index < 5; index++) await store.claim(`expired-${index}`, clock.now() + 1_000);
      await store.claim('live', clock.now() + 60_000);
      clock.advance(1_000);
      await store.claim('after', clock.now() + 60_000);
      expect(await keys()).toHaveLength(7);
      await expect(store.purgeExpired()).resolves.toBe(5);
      expect(await keys()).toEqual(['after', 'live']);
      await expect(store.purgeExpired()).resolves.toBe(0);
    });
  });

  it('creates its table and expiry index once, however often ensureSchema runs', async () => {
    const { store, table } = await setUp();
    await store.ensureSchema();
    const indexes = await pool.query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE tablename = $1 ORDER BY indexname', [
      table,
    ]);
    expect(indexes.rows.map((row) => row.indexdef)).toEqual([
      expect.stringContaining('(expires_at)'),
      expect.stringMatching(/UNIQUE INDEX .* \(key\)/),
    ]);
  });

  it('accepts only a plain identifier as table name', () => {
    for (const table of ['Caisse_Replay', 'replay-store', 'public.replay', 'x"; DROP TABLE y; --', '', '1replay', 'a'.repeat(49)]) {
      expect(() => postgresReplayStore({ client: pool, table }), table).toThrow(TypeError);
    }
    expect(() => postgresReplayStore({ client: pool, table: `_${'a'.repeat(47)}` })).not.toThrow();
    for (const cleanupEvery of [-1, 1.5, Number.NaN]) expect(() => postgresReplayStore({ client: pool, cleanupEvery })).toThrow(TypeError);
  });

  describe('fails closed', () => {
    it('rejects with replay_store_unavailable when the pool is closed', async () => {
      const closed = new pg.Pool({ connectionString: database.url });
      const store = postgresReplayStore({ client: closed, table: 'replay_closed' });
      await closed.end();
      const claim = store.claim('voucher:R1', Date.now() + 60_000);
      await expect(claim).rejects.toMatchObject({ name: 'CaisseError', code: 'replay_store_unavailable', cause: expect.any(Error) });
      await expect(store.release('voucher:R1')).rejects.toMatchObject({ code: 'replay_store_unavailable' });
    });

    it('rejects with replay_store_unavailable when the server cannot be reached', async () => {
      const unreachable = new pg.Pool({ host: '127.0.0.1', port: 1, user: 'postgres', connectionTimeoutMillis: 2_000 });
      try {
        const store = postgresReplayStore({ client: unreachable });
        await expect(store.claim('voucher:R1', Date.now() + 60_000)).rejects.toMatchObject({ code: 'replay_store_unavailable' });
        await expect(store.ensureSchema()).rejects.toMatchObject({ code: 'replay_store_unavailable' });
      } finally {
        await unreachable.end();
      }
    });

    it('rejects with replay_store_unavailable, saying what to do, when the table is missing', async () => {
      const store = postgresReplayStore({ client: pool, table: 'replay_never_created' });
      await expect(store.claim('voucher:R1', Date.now() + 60_000)).rejects.toMatchObject({
        code: 'replay_store_unavailable',
        message: expect.stringContaining('ensureSchema()'),
        cause: expect.objectContaining({ code: '42P01' }),
      });
    });

    it('rejects the claim that runs a failed cleanup, recording nothing', async () => {
      const failures: string[] = [];
      const flaky = {
        query: (text: string, params?: unknown[]) => {
          if (text.startsWith('WITH purged')) {
            failures.push(text);
            return Promise.reject(new Error('connection reset'));
          }
          return pool.query(text, params);
        },
      };
      const { clock, table, keys } = await setUp();
      const store = postgresReplayStore({ client: flaky, table, cleanupEvery: 2, now: clock.now });
      await expect(store.claim('first', clock.now() + 60_000)).resolves.toBe(true);
      await expect(store.claim('second', clock.now() + 60_000)).rejects.toMatchObject({ code: 'replay_store_unavailable' });
      expect(failures).toHaveLength(1);
      expect(await keys()).toEqual(['first']);
    });
  });
});
