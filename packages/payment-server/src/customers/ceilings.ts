import type { Queryable } from '../storage/database.js';

/**
 * Daily and monthly ceilings count what a customer paid since the start of the current
 * calendar day and month, in the operator's time zone (default UTC), not a rolling
 * window: "300.00 a day" then means what a customer reads it to mean.
 */

/**
 * What the ceilings need from the payments: the sum of a customer's authorised payments
 * (minor units) in a currency since an instant, less what was refunded of them: money
 * given back is not spent. Implemented by the payments domain.
 */
export interface SpendingReader {
  /** `executor`: the payment's transaction, when the total must be exact under concurrency. */
  spentSince(customerId: string, currency: string, since: Date, executor?: Queryable): Promise<bigint>;
}

export interface CeilingPeriod {
  readonly ceiling: bigint;
  /** Paid in the period before this payment. */
  readonly spent: bigint;
  /** What is left in the period after this payment. */
  readonly remaining: bigint;
  /** When the period started. */
  readonly since: Date;
}

export interface CeilingStatus {
  readonly currency: string;
  readonly amount: bigint;
  readonly day: CeilingPeriod;
  readonly month: CeilingPeriod;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws a RangeError for a time zone this runtime does not know. */
export function checkTimeZone(timeZone: string): string {
  formatter(timeZone);
  return timeZone;
}

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

function wallClock(
  instant: number,
  timeZone: string,
): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** The zone's offset from UTC at an instant, in milliseconds (+3 600 000 for Paris in winter). */
function offsetAt(instant: number, timeZone: string): number {
  const wall = wallClock(instant, timeZone);
  const wholeSecond = Math.floor(instant / 1000) * 1000;
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second) - wholeSecond;
}

const DAY = 86_400_000;

/**
 * The first instant of a local date: local midnight under the offset in force the day
 * before or the day after (they differ only when the offset changes that day), keeping
 * the earliest candidate that falls on the date. Where midnight does not exist (a zone
 * that springs forward at 00:00) that is the instant of the change.
 */
function startOfLocalDate(year: number, month: number, day: number, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, day);
  const candidates = [wall - offsetAt(wall - DAY, timeZone), wall - offsetAt(wall + DAY, timeZone), wall - offsetAt(wall, timeZone)];
  const onDate = candidates.filter((instant) => {
    const local = wallClock(instant, timeZone);
    return local.year === year && local.month === month && local.day === day;
  });
  return new Date(onDate.length > 0 ? Math.min(...onDate) : wall - offsetAt(wall, timeZone));
}

/**
 * The start of the calendar day and month that contain `at`, in the time zone.
 * @example periodStarts(new Date('2026-03-29T12:00:00Z'), 'Europe/Paris') // day 2026-03-28T23:00Z, month 2026-02-28T23:00Z
 */
export function periodStarts(at: Date, timeZone = 'UTC'): { day: Date; month: Date } {
  const { year, month, day } = wallClock(at.getTime(), timeZone);
  return { day: startOfLocalDate(year, month, day, timeZone), month: startOfLocalDate(year, month, 1, timeZone) };
}
