import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { requireRedis, TEST_REDIS_URL } from '@caisse/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from './__fixtures__/clock.js';
import { AWKWARD_KEYS } from './__fixtures__/keys.js';
import { type IoredisClient, type NodeRedisClient, redisReplayStore } from './redis.js';

const hasRedis = await requireRedis('redis replay store');

/** The node-redis calling convention (`sendCommand(string[])`), served by a real connection. */
function asNodeRedis(redis: Redis): NodeRedisClient {
  return { sendCommand: (args) => redis.call(args[0] ?? '', ...args.slice(1)) };
}

describe.runIf(hasRedis)('redisReplayStore', () => {
  const namespace = `caisse:test:${randomBytes(6).toString('hex')}:`;
  const connections: Redis[] = [];
  let redis: Redis;

  function connect(): Redis {
    const connection = new Redis(TEST_REDIS_URL);
    connections.push(connection);
    return connection;
  }

  beforeAll(() => {
    redis = connect();
  });

  afterAll(async () => {
    if (redis) {
      const leftovers = await redis.keys(`${namespace}*`);
      if (leftovers.length > 0) await redis.del(...leftovers);
    }
    for (const connection of connections) connection.disconnect();
  });

  /** Polls Redis itself, whose clock decides expiry; bounded so a record that never expires fails the test. */
  async function untilExpired(key: string): Promise<void> {
    const deadline = Date.now() + 5_000;
    while ((await redis.exists(key)) === 1) {
      if (Date.now() > deadline) throw new Error('the record did not expire');
      await delay(2);
    }
  }

  describe.each([
    ['ioredis', (connection: Redis): IoredisClient | NodeRedisClient => connection],
    ['node-redis', asNodeRedis],
  ] as const)('with a %s client', (shape, wrap) => {
    const prefix = `${namespace}${shape}:`;
    let tests = 0;

    /** Each test gets a prefix of its own, so tests never see each other's records. */
    function setUp() {
      const clock = manualClock(Date.now());
      const testPrefix = `${prefix}${++tests}:`;
      return { clock, prefix: testPrefix, store: redisReplayStore({ client: wrap(redis), prefix: testPrefix, now: clock.now }) };
    }

    it('accepts a key the first time and refuses it the second', async () => {
      const { store, clock } = setUp();
      await expect(store.claim('voucher:R1', clock.now() + 60_000)).resolves.toBe(true);
      await expect(store.claim('voucher:R1', clock.now() + 60_000)).resolves.toBe(false);
      await expect(store.claim('voucher:R2', clock.now() + 60_000)).resolves.toBe(true);
    });

    it('keeps the record for expiresAt minus now, by the injected clock', async () => {
      const { store, clock, prefix } = setUp();
      clock.advance(-3_600_000);
      await store.claim('voucher:R1', clock.now() + 60_000);
      const ttl = await redis.pttl(`${prefix}voucher:R1`);
      expect(ttl).toBeGreaterThan(55_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it('accepts the key again once Redis has expired the record', async () => {
      const { store, clock, prefix } = setUp();
      // An expiresAt already past still records the key, for the shortest time Redis allows.
      await expect(store.claim('voucher:R1', clock.now() - 1_000)).resolves.toBe(true);
      await untilExpired(`${prefix}voucher:R1`);
      await expect(store.claim('voucher:R1', clock.now() + 60_000)).resolves.toBe(true);
      await expect(store.claim('voucher:R1', clock.now() + 60_000)).resolves.toBe(false);
    });

    it('accepts a released key again', async () => {
      const { store, clock } = setUp();
      await store.claim('notification:N1', clock.now() + 60_000);
      await store.release('notification:N1');
      await expect(store.claim('notification:N1', clock.now() + 60_000)).resolves.toBe(true);
      await expect(store.claim('notification:N1', clock.now() + 60_000)).resolves.toBe(false);
      await expect(store.release('never-claimed')).resolves.toBeUndefined();
    });

    it('stores keys with quotes, protocol framing and Unicode verbatim under the prefix, each exactly once', async () => {
      const { store, clock, prefix } = setUp();
      const sentinel = `${prefix}sentinel`;
      await redis.set(sentinel, 'untouched');
      for (const key of AWKWARD_KEYS) await expect(store.claim(key, clock.now() + 60_000), key).resolves.toBe(true);
      for (const key of AWKWARD_KEYS) await expect(store.claim(key, clock.now() + 60_000), key).resolves.toBe(false);
      const stored = (await redis.keys(`${prefix}*`)).filter((key) => key !== sentinel).sort();
      expect(stored).toEqual(AWKWARD_KEYS.map((key) => prefix + key).sort());
      await expect(redis.get(sentinel)).resolves.toBe('untouched');
    });

    it('gives exactly one of 200 concurrent claims of one key, over 10 connections', async () => {
      const { clock, prefix } = setUp();
      const stores = Array.from({ length: 10 }, () => redisReplayStore({ client: wrap(connect()), prefix, now: clock.now }));
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, index) => stores[index % stores.length]?.claim('voucher:R1', clock.now() + 60_000)),
      );
      expect(results.filter((result) => result === true)).toHaveLength(1);
    });

    it('rejects with replay_store_unavailable once the connection is closed', async () => {
      const closed = new Redis(TEST_REDIS_URL, { lazyConnect: true });
      const store = redisReplayStore({ client: wrap(closed), prefix });
      closed.disconnect();
      await expect(store.claim('voucher:R1', Date.now() + 60_000)).rejects.toMatchObject({
        name: 'CaisseError',
        code: 'replay_store_unavailable',
        cause: expect.any(Error),
      });
      await expect(store.release('voucher:R1')).rejects.toMatchObject({ code: 'replay_store_unavailable' });
    });
  });

  it('uses caisse:replay: as the default prefix', async () => {
    const key = `${namespace.slice('caisse:'.length)}default`;
    const store = redisReplayStore({ client: redis });
    try {
      await store.claim(key, Date.now() + 60_000);
      await expect(redis.exists(`caisse:replay:${key}`)).resolves.toBe(1);
    } finally {
      await redis.del(`caisse:replay:${key}`);
    }
  });

  it('rejects with replay_store_unavailable when the server cannot be reached', async () => {
    const unreachable = new Redis({ host: '127.0.0.1', port: 1, maxRetriesPerRequest: 0, retryStrategy: () => null });
    unreachable.on('error', () => {});
    try {
      const store = redisReplayStore({ client: unreachable });
      await expect(store.claim('voucher:R1', Date.now() + 60_000)).rejects.toMatchObject({ code: 'replay_store_unavailable' });
    } finally {
      unreachable.disconnect();
    }
  });
});

describe('redisReplayStore without a server', () => {
  it('rejects with replay_store_unavailable, keeping the cause, when the client fails', async () => {
    const cause = new Error('ECONNRESET');
    const store = redisReplayStore({ client: { sendCommand: () => Promise.reject(cause) } });
    await expect(store.claim('voucher:R1', Date.now() + 60_000)).rejects.toMatchObject({ code: 'replay_store_unavailable', cause });
  });

  it('rejects with replay_store_unavailable on a reply that is neither OK nor nil', async () => {
    for (const reply of ['QUEUED', 1, undefined, Buffer.from('OK')]) {
      const store = redisReplayStore({ client: { sendCommand: async () => reply } });
      await expect(store.claim('voucher:R1', Date.now() + 60_000), String(reply)).rejects.toMatchObject({
        code: 'replay_store_unavailable',
      });
    }
  });

  it('sends one SET … PX ttl NX with the key as a single argument', async () => {
    const sent: string[][] = [];
    const store = redisReplayStore({
      client: {
        sendCommand: async (args) => {
          sent.push(args);
          return 'OK';
        },
      },
      prefix: 'p:',
      now: () => 1_000,
    });
    await store.claim('a b\r\nc', 61_000.5);
    await store.claim('late', 500);
    await store.release('a b\r\nc');
    expect(sent).toEqual([
      ['SET', 'p:a b\r\nc', '1', 'PX', '60001', 'NX'],
      ['SET', 'p:late', '1', 'PX', '1', 'NX'],
      ['DEL', 'p:a b\r\nc'],
    ]);
  });

  it('prefers call when a client has both call and sendCommand, as ioredis does', async () => {
    const calls: unknown[][] = [];
    const client = {
      call: async (...args: unknown[]) => {
        calls.push(args);
        return 'OK';
      },
      sendCommand: () => Promise.reject(new Error('ioredis sendCommand takes a Command object')),
    };
    await expect(redisReplayStore({ client, now: () => 0 }).claim('k', 10)).resolves.toBe(true);
    expect(calls).toEqual([['SET', 'caisse:replay:k', '1', 'PX', '10', 'NX']]);
  });

  it('refuses a client that is neither ioredis nor node-redis', () => {
    expect(() => redisReplayStore({ client: {} as NodeRedisClient })).toThrow(TypeError);
  });
});
