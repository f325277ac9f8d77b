import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { clientAddress, createAttemptThrottle } from './attempt-throttle.js';

const MINUTE = 60_000;

function clock() {
  let at = 1_000_000;
  return {
    now: () => at,
    advance(ms: number) {
      at += ms;
    },
  };
}

describe('the attempt throttle', () => {
  it('lets a client make `limit` wrong attempts, then makes it wait for the next one to come back', () => {
    const time = clock();
    const throttle = createAttemptThrottle({ limit: 5, windowMs: 10 * MINUTE, now: time.now });
    for (let attempt = 0; attempt < 5; attempt++) {
      expect(throttle.retryAfter('a')).toBe(0);
      throttle.failed('a');
    }
    // One attempt comes back every 2 minutes.
    expect(throttle.retryAfter('a')).toBe(120);
    time.advance(MINUTE);
    expect(throttle.retryAfter('a')).toBe(60);
    time.advance(MINUTE);
    expect(throttle.retryAfter('a')).toBe(0);
    throttle.failed('a');
    expect(throttle.retryAfter('a')).toBe(120);
    time.advance(10 * MINUTE);
    for (let attempt = 0; attempt < 5; attempt++) throttle.failed('a');
    expect(throttle.retryAfter('a')).toBeGreaterThan(0);
  });

  it('keeps clients apart', () => {
    const throttle = createAttemptThrottle({ limit: 2, now: clock().now });
    throttle.failed('a');
    throttle.failed('a');
    expect(throttle.retryAfter('a')).toBeGreaterThan(0);
    expect(throttle.retryAfter('b')).toBe(0);
  });

  it('never makes anyone wait with a limit of 0', () => {
    const throttle = createAttemptThrottle({ limit: 0 });
    for (let attempt = 0; attempt < 100; attempt++) throttle.failed('a');
    expect(throttle.retryAfter('a')).toBe(0);
  });

  it('remembers at most maxClients, forgetting the longest idle first', () => {
    const time = clock();
    const throttle = createAttemptThrottle({ limit: 1, maxClients: 2, now: time.now });
    throttle.failed('a');
    throttle.failed('b');
    throttle.failed('a'); // a failed last: b is now the longest idle
    throttle.failed('c');
    expect(throttle.retryAfter('a')).toBeGreaterThan(0);
    expect(throttle.retryAfter('b')).toBe(0);
    expect(throttle.retryAfter('c')).toBeGreaterThan(0);
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
