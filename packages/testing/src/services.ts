import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

/** Where tests find PostgreSQL: database `test`, user `postgres`, trust auth (the CI machine's set-up). */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const inCi = process.env.CI === 'true' || process.env.CI === '1';

/**
 * Decides whether a suite that needs a real service runs. Under CI a missing service is
 * a failure, never a silent skip; on a developer machine the suite is skipped with the
 * reason printed.
 */
async function requireService(name: string, suite: string, probe: () => Promise<void>): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (inCi) throw new Error(`${suite} needs ${name} and CI=true, so a missing ${name} is a failure: ${reason}`);
    console.warn(`[skip] ${suite}: ${name} is not reachable (${reason}); set it up to run these tests.`);
    return false;
  }
}

/** @example const hasPostgres = await requirePostgres('replay store'); describe.runIf(hasPostgres)(…) */
export function requirePostgres(suite: string): Promise<boolean> {
  return requireService('PostgreSQL', suite, async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
    await client.connect();
    await client.end();
  });
}

export function requireRedis(suite: string): Promise<boolean> {
  return requireService('Redis', suite, async () => {
    const redis = new Redis(TEST_REDIS_URL, {
      lazyConnect: true,
      connectTimeout: 3000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      await redis.connect();
      await redis.ping();
    } finally {
      redis.disconnect();
    }
  });
}

/**
 * Creates an empty database of its own for one test file, so files run in parallel
 * without seeing each other's rows, and returns its URL and a function that drops it.
 */
export async function freshDatabase(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        // Let connections that are closing finish on their own: forcing them out would
        // deliver a FATAL error to a client that has stopped listening (an unhandled error).
        for (let poll = 0; poll < 50; poll++) {
          const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
          if (rows[0]?.n === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
