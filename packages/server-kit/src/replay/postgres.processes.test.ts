import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freshDatabase, requirePostgres } from '@caisse/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresReplayStore } from './postgres.js';

const hasPostgres = await requirePostgres('postgres replay store across processes');

/** The child runs ../postgres.ts itself (types erased by TypeScript's transpileModule in a module hook), with its own `pg` pool. */
const CHILD = fileURLToPath(new URL('./__fixtures__/claim-keys.mjs', import.meta.url));

interface Claimer {
  process: ChildProcess;
  /** Resolves once the child has loaded the store and opened its connections. */
  ready: Promise<void>;
  /** Resolves with the keys this child won, once it has exited cleanly. */
  won: Promise<string[]>;
  go(): void;
}

function spawnClaimer(env: Record<string, string>): Claimer {
  const child = spawn(process.execPath, [CHILD], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const lines: string[] = [];
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'ready') markReady();
    else lines.push(line);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const failed = exited.then((code) => {
    throw new Error(`claimer ${child.pid} exited with ${code} before finishing: ${stderr}`);
  });
  failed.catch(() => {});
  const won = exited.then((code) => {
    const last = lines.at(-1);
    if (code !== 0 || last === undefined) throw new Error(`claimer ${child.pid} exited with ${code}: ${stderr}`);
    return (JSON.parse(last) as { won: string[] }).won;
  });
  return {
    process: child,
    // A child that dies while loading must fail the test, not leave it waiting for "ready".
    ready: Promise.race([ready, failed]),
    won,
    go: () => child.stdin.end('go\n'),
  };
}

describe.runIf(hasPostgres)('postgresReplayStore across processes', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let pool: pg.Pool;
  const claimers: Claimer[] = [];

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
    claimers.push(spawnClaimer(env), spawnClaimer(env));
    await Promise.all(claimers.map((claimer) => claimer.ready));
    for (const claimer of claimers) claimer.go();
    const [first = [], second = []] = await Promise.all(claimers.map((claimer) => claimer.won));

    expect(new Set(claimers.map((claimer) => claimer.process.pid)).size).toBe(2);
    for (const key of keys) expect(Number(first.includes(key)) + Number(second.includes(key)), key).toBe(1);
    expect(first.length + second.length).toBe(keys.length);
    const rows = await pool.query<{ count: number }>('SELECT count(*)::integer AS count FROM replay_shared');
    expect(rows.rows[0]?.count).toBe(keys.length);
  }, 60_000);
});
