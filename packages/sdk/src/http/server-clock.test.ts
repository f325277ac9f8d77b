import { describe, expect, it } from 'vitest';
import { serverClock } from './server-clock.js';

const LOCAL = Date.parse('2026-11-22T10:00:00.000Z');
const answered = (date: string | undefined) => new Response(null, date === undefined ? {} : { headers: { date } });

describe('the server clock', () => {
  it('keeps the device time when the server agrees within a few seconds, whole-second Date and all', () => {
    const clock = serverClock(() => new Date(LOCAL));
    expect(clock.observe(answered('Sun, 22 Nov 2026 10:00:03 GMT'))).toBe(false);
    expect(clock.now().getTime()).toBe(LOCAL);
  });

  it('signs on the server time when the device is minutes off, and stays put while it holds', () => {
    const clock = serverClock(() => new Date(LOCAL));
    expect(clock.observe(answered('Sun, 22 Nov 2026 09:50:00 GMT'))).toBe(true);
    expect(clock.now().toISOString()).toBe('2026-11-22T09:50:00.500Z');
    expect(clock.observe(answered('Sun, 22 Nov 2026 09:50:01 GMT'))).toBe(false);
    expect(clock.now().toISOString()).toBe('2026-11-22T09:50:00.500Z');
    // The device clock was fixed meanwhile: back to it.
    expect(clock.observe(answered('Sun, 22 Nov 2026 10:00:00 GMT'))).toBe(true);
    expect(clock.now().getTime()).toBe(LOCAL);
  });

  it('ignores answers without a readable Date (a browser without the CORS exposure)', () => {
    const clock = serverClock(() => new Date(LOCAL));
    expect(clock.observe(answered(undefined))).toBe(false);
    expect(clock.observe(answered('not a date'))).toBe(false);
    expect(clock.now().getTime()).toBe(LOCAL);
  });
});
