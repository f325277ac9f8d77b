import { describe, expect, it } from 'vitest';
import { afterFailure, checkRetryPolicy, DEFAULT_RETRY_POLICY, retryDelay } from './schedule.js';

const DAY = 24 * 60 * 60_000;

describe('the retry schedule', () => {
  it('waits up to 10 s after the first failure, doubling each time, never more than 1 h at once', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30].map((attempt) => retryDelay(attempt, DEFAULT_RETRY_POLICY, () => 1));
    expect(ceilings).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 640_000, 1_280_000, 2_560_000, 3_600_000, 3_600_000]);
    expect(retryDelay(10_000, DEFAULT_RETRY_POLICY, () => 1)).toBe(3_600_000);
  });

  it('draws each wait uniformly from zero to its ceiling (full jitter)', () => {
    expect(retryDelay(3, DEFAULT_RETRY_POLICY, () => 0)).toBe(0);
    expect(retryDelay(3, DEFAULT_RETRY_POLICY, () => 0.25)).toBe(10_000);
    const draws = Array.from({ length: 500 }, () => retryDelay(4));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(80_000);
    // Spread out, not bunched at the ceiling: what jitter is for.
    expect(new Set(draws.map((draw) => Math.floor(draw / 8_000))).size).toBeGreaterThanOrEqual(8);
  });

  it('schedules the last attempt at the end of the 3-day window, and parks after a failure there', () => {
    const created = new Date('2026-11-22T10:00:00Z');
    const retryUntil = new Date(created.getTime() + 3 * DAY);
    expect(afterFailure(1, created, retryUntil, DEFAULT_RETRY_POLICY, () => 0.5)).toEqual({
      park: false,
      retryAt: new Date(created.getTime() + 5_000),
    });
    const late = new Date(retryUntil.getTime() - 60_000);
    expect(afterFailure(200, late, retryUntil, DEFAULT_RETRY_POLICY, () => 0.99)).toEqual({ park: false, retryAt: retryUntil });
    expect(afterFailure(201, retryUntil, retryUntil)).toEqual({ park: true });
    expect(afterFailure(201, new Date(retryUntil.getTime() + 1), retryUntil)).toEqual({ park: true });
  });

  it('refuses a policy that would retry at once forever or never', () => {
    expect(() => checkRetryPolicy({ baseMs: 0, maxWaitMs: 1_000, windowMs: DAY })).toThrow(TypeError);
    expect(() => checkRetryPolicy({ baseMs: 10_000, maxWaitMs: 1_000, windowMs: DAY })).toThrow(TypeError);
    expect(() => checkRetryPolicy({ baseMs: 10_000, maxWaitMs: 60_000, windowMs: Number.NaN })).toThrow(TypeError);
  });
});
