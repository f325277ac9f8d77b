const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The daily cut-off, from `CAISSE_SETTLEMENT_CUTOFF` (`HH:MM`, UTC). */
export interface Cutoff {
  hour: number;
  minute: number;
}

/** Parses `HH:MM` (00:00–23:59). @example parseCutoff('22:00') // { hour: 22, minute: 0 } */
export function parseCutoff(text: string): Cutoff | undefined {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return match ? { hour: Number(match[1]), minute: Number(match[2]) } : undefined;
}

/** Whether `text` is a calendar date written `YYYY-MM-DD`. */
export function isDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === text;
}

/** The instant day `date` closes: `date` at the cut-off, UTC. */
export function cutoffOf(date: string, cutoff: Cutoff): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) + (cutoff.hour * 60 + cutoff.minute) * 60_000);
}

/** The day before `date`. */
export function previousDate(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - DAY_MS).toISOString().slice(0, 10);
}

/** The latest day whose cut-off (plus `graceMs`) has passed at `at`. */
export function latestClosedDate(at: Date, cutoff: Cutoff, graceMs: number): string {
  const today = at.toISOString().slice(0, 10);
  return cutoffOf(today, cutoff).getTime() + graceMs <= at.getTime() ? today : previousDate(today);
}
