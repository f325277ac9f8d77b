import type { AllowancePeriod } from '@caisse/protocol';

/**
 * Where period `periodNo` (0 first) of an allowance granted at `grantedAt` ends: that many
 * days, weeks or calendar months after the grant, plus one (in UTC; a grant on the 31st
 * renews on the last day of shorter months, and on the 31st again after them), never
 * after the allowance's expiry. Without a period, the allowance is one period up to its expiry.
 * @example periodEnd(new Date('2026-01-31T10:00:00Z'), 'month', 0, expiry) // 2026-02-28T10:00:00Z
 */
export function periodEnd(grantedAt: Date, period: AllowancePeriod | null, periodNo: number, expiresAt: Date): Date {
  if (period === null) return expiresAt;
  const count = periodNo + 1;
  const end = new Date(grantedAt);
  if (period === 'day') end.setUTCDate(end.getUTCDate() + count);
  else if (period === 'week') end.setUTCDate(end.getUTCDate() + 7 * count);
  else {
    const day = grantedAt.getUTCDate();
    end.setUTCDate(1);
    end.setUTCMonth(end.getUTCMonth() + count);
    const lastDay = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() + 1, 0)).getUTCDate();
    end.setUTCDate(Math.min(day, lastDay));
  }
  return end < expiresAt ? end : expiresAt;
}
