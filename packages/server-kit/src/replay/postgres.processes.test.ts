import { fileURLToPath } from 'node:url';
import { freshDatabase, requirePostgres } from '@caisse/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Racer, race, spawnRacer } from '../__fixtures__/racing-process.js';
import { postgresReplayStore } from './postgres.js';

const hasPostgres = await requirePostgres('postgres replay store across processes');

/** The child runs ../postgres.ts itself (types erased by TypeScript's transpileModule in a module hook), with its own `pg` pool. */
const CHILD = fileURLToPath(new URL('./__fixtures__/claim-keys.mjs', import.meta.url));

describe.runIf(hasPostgres)('postgresReplayStore across processes', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let pool: pg.Pool;
  const claimers: Racer<{ won: string[] }>[] = [];

  beforeAll(async () => {
    database = await freshDatabase('replay_processes');
    pool = new pg.Pool({ connectionString: database.url });
    await postgresReplayStore({ client: pool, table: 'replay_shared' }).ensureSchema();
  });

  afterAll(async () => {
    for (const claimer of claimers) if (claimer.process.exitCode === null) claimer.process.kill();
    await pool?.end();
    await database?.drop();
  });

  it('gives each of 100 keys to exactly one of two processes claiming them at the same moment', async () => {
    const keys = Array.from({ length: 100 }, (_, index) => `voucher:${index}:'"\n\u{1F9FE}`);
    const env = {
      REPLAY_DATABASE_URL: database.url,
      REPLAY_TABLE: 'replay_shared',
      REPLAY_KEYS: JSON.stringify(keys),
      REPLAY_EXPIRES_AT: String(Date.now() + 10 * 60_000),
    };
    claimers.push(spawnRacer(CHILD, env), spawnRacer(CHILD, env));
    const [first = [], second = []] = (await race(claimers)).map((result) => result.won);

    expect(new Set(claimers.map((claimer) => claimer.process.pid)).size).toBe(2);
    for (const key of keys) expect(Number(first.includes(key)) + Number(second.includes(key)), key).toBe(1);
    expect(first.length + second.length).toBe(keys.length);
    const rows = await pool.query<{ count: number }>('SELECT count(*)::integer AS count FROM replay_shared');
    expect(rows.rows[0]?.count).toBe(keys.length);
  }, 60_000);
});
