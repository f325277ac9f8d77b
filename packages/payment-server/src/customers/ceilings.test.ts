import { describe, expect, it } from 'vitest';
import { checkTimeZone, periodStarts } from './ceilings.js';

const iso = (starts: { day: Date; month: Date }) => ({ day: starts.day.toISOString(), month: starts.month.toISOString() });

describe('periodStarts', () => {
  it('counts calendar days and months in UTC by default', () => {
    expect(iso(periodStarts(new Date('2026-11-22T10:00:00Z')))).toEqual({
      day: '2026-11-22T00:00:00.000Z',
      month: '2026-11-01T00:00:00.000Z',
    });
    expect(iso(periodStarts(new Date('2026-11-01T00:00:00Z')))).toEqual({
      day: '2026-11-01T00:00:00.000Z',
      month: '2026-11-01T00:00:00.000Z',
    });
    expect(iso(periodStarts(new Date('2026-10-31T23:59:59.999Z')))).toEqual({
      day: '2026-10-31T00:00:00.000Z',
      month: '2026-10-01T00:00:00.000Z',
    });
  });

  it('counts them in the operator time zone, across daylight saving changes', () => {
    // Paris: UTC+1 in winter, UTC+2 in summer; clocks go forward on 29 March 2026 and back on 25 October 2026.
    expect(iso(periodStarts(new Date('2026-11-22T10:00:00Z'), 'Europe/Paris'))).toEqual({
      day: '2026-11-21T23:00:00.000Z',
      month: '2026-10-31T23:00:00.000Z',
    });
    expect(iso(periodStarts(new Date('2026-11-30T23:30:00Z'), 'Europe/Paris'))).toEqual({
      day: '2026-11-30T23:00:00.000Z',
      month: '2026-11-30T23:00:00.000Z',
    });
    expect(iso(periodStarts(new Date('2026-03-29T12:00:00Z'), 'Europe/Paris'))).toEqual({
      day: '2026-03-28T23:00:00.000Z',
      month: '2026-02-28T23:00:00.000Z',
    });
    expect(iso(periodStarts(new Date('2026-03-30T12:00:00Z'), 'Europe/Paris'))).toEqual({
      day: '2026-03-29T22:00:00.000Z',
      month: '2026-02-28T23:00:00.000Z',
    });
    expect(iso(periodStarts(new Date('2026-10-25T12:00:00Z'), 'Europe/Paris'))).toEqual({
      day: '2026-10-24T22:00:00.000Z',
      month: '2026-09-30T22:00:00.000Z',
    });
    expect(iso(periodStarts(new Date('2026-11-22T10:00:00Z'), 'America/New_York'))).toEqual({
      day: '2026-11-22T05:00:00.000Z',
      month: '2026-11-01T04:00:00.000Z',
    });
  });

  it('starts a day at its first instant where midnight does not exist', () => {
    // Santiago (Chile) springs forward from 00:00 to 01:00 on 6 September 2026.
    expect(periodStarts(new Date('2026-09-06T12:00:00Z'), 'America/Santiago').day.toISOString()).toBe('2026-09-06T04:00:00.000Z');
  });

  it('refuses a time zone it does not know', () => {
    expect(() => checkTimeZone('Mars/Olympus_Mons')).toThrow(RangeError);
    expect(checkTimeZone('Europe/Paris')).toBe('Europe/Paris');
  });
});
