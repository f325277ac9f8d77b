import { randomBytes } from 'node:crypto';
import { freshDatabase, requirePostgres, requireRedis, TEST_REDIS_URL } from '@caisse/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcome } from '../__fixtures__/outcome.js';
import { ISSUER, MERCHANT_ID, NOW, parties } from '../__fixtures__/parties.js';
import { memoryReplayStore } from '../replay/memory.js';
import { postgresReplayStore } from '../replay/postgres.js';
import { redisReplayStore } from '../replay/redis.js';
import type { ReplayStore } from '../replay/store.js';
import { DEFAULT_VOUCHER_REPLAY_WINDOW, verifyVoucher } from './verify.js';

const hasPostgres = await requirePostgres('vouchers brought back late, on the PostgreSQL replay store');
const hasRedis = await requireRedis('vouchers brought back late, on the Redis replay store');

const minutes = (count: number) => new Date(NOW.getTime() + count * 60_000);

/**
 * The stores are built on the system clock (their default): the verifier hands its own
 * frozen clock to each claim, so no test here depends on the day it runs. Redis keeps a
 * record for a time to live counted by its own clock from the claim, so moving the
 * verifier's clock past the window cannot end a Redis record.
 */
const stores: { name: string; enabled: boolean; expiresOnCallerClock: boolean; make: () => Promise<ReplayStore> }[] = [
  { name: 'memory', enabled: true, expiresOnCallerClock: true, make: async () => memoryReplayStore() },
  {
    name: 'PostgreSQL',
    enabled: hasPostgres,
    expiresOnCallerClock: true,
    make: async () => {
      const store = postgresReplayStore({ client: pool, cleanupEvery: 1 });
      await store.ensureSchema();
      return store;
    },
  },
  {
    name: 'Redis',
    enabled: hasRedis,
    expiresOnCallerClock: false,
    make: async () => redisReplayStore({ client: redis, prefix: `caisse:test:${randomBytes(6).toString('hex')}:` }),
  },
];

let database: Awaited<ReturnType<typeof freshDatabase>> | undefined;
let pool: pg.Pool;
let redis: Redis;

beforeAll(async () => {
  if (hasPostgres) {
    database = await freshDatabase('voucher_late_return');
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
  }
  if (hasRedis) redis = new Redis(TEST_REDIS_URL);
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
  redis?.disconnect();
});

/** Verifies one voucher of `ticket` at the given moments, always with the same store and options. */
function returns(replayStore: ReplayStore, options: { replayWindow?: number } = {}) {
  const checkout = parties();
  const ticket = checkout.ticket();
  // The payment server sends every return of the browser the voucher it signed at payment.
  const token = checkout.voucher(ticket);
  return (when: Date) =>
    outcome(
      verifyVoucher(token, {
        issuer: ISSUER,
        audience: MERCHANT_ID,
        keys: checkout.serverKeys,
        replayStore,
        ticket: ticket.reference,
        state: ticket.claims.state,
        now: () => when,
        ...options,
      }),
    );
}

describe.each(stores)('a voucher brought back late, on the $name replay store', ({ enabled, make }) => {
  it.runIf(enabled)('is accepted once, then refused as replayed 2 minutes and 2 hours later, after it expired', async () => {
    const at = returns(await make());
    expect(await at(NOW)).toBe('accepted');
    expect(await at(minutes(2))).toBe('token_replayed');
    expect(await at(minutes(120))).toBe('token_replayed');
  });

  it.runIf(enabled)('refuses a voucher first brought after it expired as expired, every time, and records nothing', async () => {
    const at = returns(await make());
    expect(await at(minutes(2))).toBe('token_expired');
    expect(await at(minutes(3))).toBe('token_expired');
  });
});

/** Stores whose records end on the verifier's clock: a window can be crossed by moving that clock. */
describe.each(stores.filter((store) => store.expiresOnCallerClock))('the replay window, on the $name replay store', ({ enabled, make }) => {
  it.runIf(enabled)('remembers a voucher for the replay window the merchant sets', async () => {
    const at = returns(await make(), { replayWindow: 600 });
    expect(await at(NOW)).toBe('accepted');
    expect(await at(minutes(9))).toBe('token_replayed');
    expect(await at(minutes(11))).toBe('token_expired');
  });

  it.runIf(enabled)('forgets a voucher after the default window of 4 days, and still never accepts it again', async () => {
    const at = returns(await make());
    expect(await at(NOW)).toBe('accepted');
    expect(await at(minutes(DEFAULT_VOUCHER_REPLAY_WINDOW / 60 - 1))).toBe('token_replayed');
    expect(await at(minutes(DEFAULT_VOUCHER_REPLAY_WINDOW / 60 + 1))).toBe('token_expired');
  });
});

describe('verifyVoucher replayWindow', () => {
  it.each([-1, 1.5, Number.NaN])('refuses %s as a window instead of forgetting vouchers at once', async (replayWindow) => {
    const checkout = parties();
    const ticket = checkout.ticket();
    const verifying = verifyVoucher(checkout.voucher(ticket), {
      issuer: ISSUER,
      audience: MERCHANT_ID,
      keys: checkout.serverKeys,
      replayStore: memoryReplayStore(),
      ticket: ticket.reference,
      replayWindow,
      now: () => NOW,
    });
    await expect(verifying).rejects.toThrow(TypeError);
  });
});
