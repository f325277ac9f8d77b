import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../storage/database.js';
import { openTestDatabase, type TestDatabase, testDrivers } from '../storage/test-support.js';
import { clientAddress, createAttemptThrottle } from './attempt-throttle.js';

const MINUTE = 60_000;
const drivers = await testDrivers('payment-server attempt throttle');

/** A frozen clock the test moves: the throttle never reads the system's. */
function clock() {
  let at = Date.parse('2026-11-22T10:00:00Z');
  return {
    now: () => at,
    advance(ms: number) {
      at += ms;
    },
  };
}

let clients = 0;
/** A client of its own per test: tests share one database. */
const client = () => `203.0.113.${++clients}`;

describe.each(drivers)('the attempt throttle on %s', (driver) => {
  let handle: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    handle = await openTestDatabase(driver, 'attempt_throttle');
    db = handle.db;
  });
  afterAll(() => handle?.close());

  const buckets = async (name: string) =>
    (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM limit_buckets WHERE limit_name = $1', [name])).rows[0]?.n;

  it('lets a client make `limit` wrong attempts, then makes it wait for the next one to come back', async () => {
    const time = clock();
    const throttle = createAttemptThrottle({ db, name: 'test_window', limit: 5, windowMs: 10 * MINUTE, now: time.now });
    const a = client();
    for (let attempt = 0; attempt < 5; attempt++) {
      expect(await throttle.retryAfter(a)).toBe(0);
      expect(await throttle.failed(a)).toBe(0);
    }
    // One attempt comes back every 2 minutes.
    expect(await throttle.retryAfter(a)).toBe(120);
    // Counting while empty takes nothing, and says how long to wait.
    expect(await throttle.failed(a)).toBe(120);
    time.advance(MINUTE);
    expect(await throttle.retryAfter(a)).toBe(60);
    time.advance(MINUTE);
    expect(await throttle.retryAfter(a)).toBe(0);
    expect(await throttle.failed(a)).toBe(0);
    expect(await throttle.retryAfter(a)).toBe(120);
    // After a whole window the bucket is full again.
    time.advance(10 * MINUTE);
    for (let attempt = 0; attempt < 5; attempt++) expect(await throttle.failed(a)).toBe(0);
    expect(await throttle.failed(a)).toBe(120);
  });

  it('keeps clients, and limits, apart', async () => {
    const time = clock();
    const identify = createAttemptThrottle({ db, name: 'test_apart', limit: 2, now: time.now });
    const quotes = createAttemptThrottle({ db, name: 'test_apart_other', limit: 2, now: time.now });
    const [a, b] = [client(), client()];
    await identify.failed(a);
    await identify.failed(a);
    expect(await identify.retryAfter(a)).toBeGreaterThan(0);
    expect(await identify.retryAfter(b)).toBe(0);
    expect(await quotes.retryAfter(a)).toBe(0);
  });

  it('is one limit for every throttle over the same database, as for instances of the server', async () => {
    const time = clock();
    const first = createAttemptThrottle({ db, name: 'test_shared', limit: 4, now: time.now });
    const second = createAttemptThrottle({ db, name: 'test_shared', limit: 4, now: time.now });
    const a = client();
    for (const throttle of [first, second, first, second]) expect(await throttle.failed(a)).toBe(0);
    expect(await first.retryAfter(a)).toBe(150);
    expect(await second.retryAfter(a)).toBe(150);
  });

  it('writes nothing for a client that only asks whether it may try', async () => {
    const throttle = createAttemptThrottle({ db, name: 'test_reads', limit: 3, now: clock().now });
    for (let attempt = 0; attempt < 10; attempt++) expect(await throttle.retryAfter(client())).toBe(0);
    expect(await buckets('test_reads')).toBe(0);
  });

  it('never makes anyone wait with a limit of 0, and keeps nothing', async () => {
    const throttle = createAttemptThrottle({ db, name: 'test_off', limit: 0 });
    const a = client();
    for (let attempt = 0; attempt < 20; attempt++) expect(await throttle.failed(a)).toBe(0);
    expect(await throttle.retryAfter(a)).toBe(0);
    expect(await buckets('test_off')).toBe(0);
  });

  it('counts each of many attempts at once exactly once', async () => {
    const throttle = createAttemptThrottle({ db, name: 'test_concurrent', limit: 7, now: clock().now });
    const a = client();
    const waits = await Promise.all(Array.from({ length: 30 }, () => throttle.failed(a)));
    expect(waits.filter((wait) => wait === 0)).toHaveLength(7);
    expect(waits.filter((wait) => wait > 0)).toHaveLength(23);
  });

  it('stores a client key too long for the table by its hash, still apart from others', async () => {
    const throttle = createAttemptThrottle({ db, name: 'test_long', limit: 1, now: clock().now });
    const long = 'x'.repeat(300);
    expect(await throttle.failed(long)).toBe(0);
    expect(await throttle.retryAfter(long)).toBeGreaterThan(0);
    expect(await throttle.retryAfter(`${long}y`)).toBe(0);
    const { rows } = await db.query<{ client: string }>("SELECT client FROM limit_buckets WHERE limit_name = 'test_long'");
    expect(rows.map((row) => row.client)).toEqual([expect.stringMatching(/^sha256:[0-9a-f]{64}$/)]);
  });

  it('refuses a limit name the table would not take, and a limit that is not a whole number', () => {
    expect(() => createAttemptThrottle({ db, name: 'Identify', limit: 1 })).toThrow(TypeError);
    expect(() => createAttemptThrottle({ db, name: 'identify', limit: 1.5 })).toThrow(TypeError);
    expect(() => createAttemptThrottle({ db, name: 'identify', limit: -1 })).toThrow(TypeError);
  });
});

describe('the client address', () => {
  const app = (trustProxy: boolean) => new Hono().get('/', (c) => c.text(clientAddress(c, trustProxy)));

  it('takes the last X-Forwarded-For address only behind a trusted proxy: the client can forge the others', async () => {
    const headers = { 'x-forwarded-for': '10.0.0.1, 203.0.113.7' };
    expect(await (await app(true).request('/', { headers })).text()).toBe('203.0.113.7');
    expect(await (await app(false).request('/', { headers })).text()).toBe('unknown');
  });
});
