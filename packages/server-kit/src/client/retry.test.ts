import { describe, expect, it } from 'vitest';
import { type AttemptOutcome, parseRetryAfter, RETRY_DEFAULTS, retryDelay, retryPolicy } from './retry.js';

const policy = retryPolicy({});
const status = (code: number, problem = 'internal_error', retryAfter?: number): AttemptOutcome => ({
  kind: 'status',
  status: code,
  code: problem,
  retryAfter,
});
const always = () => 1;

describe('retryDelay', () => {
  it('retries lost requests and server failures with a doubling, capped back-off', () => {
    expect(retryDelay({ kind: 'network' }, 1, policy, always)).toBe(300);
    expect(retryDelay({ kind: 'timeout' }, 2, policy, always)).toBe(600);
    expect(retryDelay({ kind: 'network' }, 9, retryPolicy({ limit: 10 }), always)).toBe(RETRY_DEFAULTS.backoffLimit);
    for (const code of [500, 502, 503, 504]) expect(retryDelay(status(code), 1, policy, always)).toBe(300);
    // Full jitter: anywhere from 0 to the cap.
    expect(retryDelay({ kind: 'network' }, 1, policy, () => 0)).toBe(0);
  });

  it('stops after the limit', () => {
    expect(retryDelay({ kind: 'network' }, RETRY_DEFAULTS.limit, policy, always)).toBeDefined();
    expect(retryDelay({ kind: 'network' }, RETRY_DEFAULTS.limit + 1, policy, always)).toBeUndefined();
    expect(retryDelay(status(503), 1, retryPolicy(0), always)).toBeUndefined();
  });

  it('never retries an answer about the request itself', () => {
    for (const [code, problem] of [
      [400, 'request_invalid'],
      [401, 'signature_invalid'],
      [404, 'payment_unknown'],
      [409, 'token_replayed'],
      [409, 'payment_not_held'],
      [413, 'body_too_large'],
      [422, 'idempotency_conflict'],
      [501, 'not_implemented'],
    ] as const) {
      expect(retryDelay(status(code, problem), 1, policy, always), `${code} ${problem}`).toBeUndefined();
    }
    expect(retryDelay({ kind: 'response_invalid' }, 1, policy, always)).toBeUndefined();
  });

  it('retries 429 only when told when, and waits what Retry-After says up to maxRetryAfter', () => {
    expect(retryDelay(status(429, 'rate_limited'), 1, policy, always)).toBeUndefined();
    expect(retryDelay(status(429, 'rate_limited', 2), 1, policy, always)).toBe(2_000);
    expect(retryDelay(status(503, 'internal_error', 7), 1, policy, always)).toBe(7_000);
    expect(retryDelay(status(429, 'rate_limited', 61), 1, policy, always)).toBeUndefined();
    expect(retryDelay(status(429, 'rate_limited', 61), 1, retryPolicy({ maxRetryAfter: 61_000 }), always)).toBe(61_000);
  });

  it('waits for the original of a keyed POST still running (idempotency_in_progress)', () => {
    expect(retryDelay(status(409, 'idempotency_in_progress', 1), 1, policy, always)).toBe(1_000);
    expect(retryDelay(status(409, 'idempotency_in_progress'), 1, policy, always)).toBe(300);
  });
});

describe('retryPolicy', () => {
  it('takes a number as the limit and refuses values that would silently change the policy', () => {
    expect(retryPolicy(5)).toEqual({ ...RETRY_DEFAULTS, limit: 5 });
    for (const bad of [{ limit: -1 }, { limit: 1.5 }, { backoff: Number.NaN }, { maxRetryAfter: Number.POSITIVE_INFINITY }]) {
      expect(() => retryPolicy(bad), JSON.stringify(bad)).toThrow(TypeError);
    }
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and ignores anything else', () => {
    const now = Date.parse('2026-03-01T10:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Sun, 01 Mar 2026 10:00:05 GMT', now)).toBe(5);
    expect(parseRetryAfter('Sun, 01 Mar 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
