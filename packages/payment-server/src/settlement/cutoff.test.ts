import { describe, expect, it } from 'vitest';
import { settlementCsv } from './csv.js';
import { cutoffOf, isDate, latestClosedDate, parseCutoff, previousDate } from './cutoff.js';

describe('settlement cut-off', () => {
  it('parses HH:MM in UTC and refuses anything else', () => {
    expect(parseCutoff('22:00')).toEqual({ hour: 22, minute: 0 });
    expect(parseCutoff('00:05')).toEqual({ hour: 0, minute: 5 });
    for (const text of ['24:00', '7:00', '22:60', '22h00', '', '22:00Z']) expect(parseCutoff(text), text).toBeUndefined();
  });

  it('reads calendar dates only', () => {
    expect(isDate('2024-02-29')).toBe(true);
    for (const text of ['2023-02-29', '2026-13-01', '2026-1-01', '20260101', '2026-01-01T00:00:00Z'])
      expect(isDate(text), text).toBe(false);
  });

  it('closes a day at its cut-off; the latest closed day waits for the grace period', () => {
    const cutoff = { hour: 22, minute: 30 };
    expect(cutoffOf('2026-03-01', cutoff).toISOString()).toBe('2026-03-01T22:30:00.000Z');
    expect(previousDate('2026-03-01')).toBe('2026-02-28');
    const grace = 5 * 60_000;
    expect(latestClosedDate(new Date('2026-03-01T22:34:59Z'), cutoff, grace)).toBe('2026-02-28');
    expect(latestClosedDate(new Date('2026-03-01T22:35:00Z'), cutoff, grace)).toBe('2026-03-01');
    expect(latestClosedDate(new Date('2026-03-02T01:00:00Z'), cutoff, grace)).toBe('2026-03-01');
  });
});

describe('settlement CSV', () => {
  it('quotes fields as RFC 4180 says and keeps spreadsheet formulas inert', () => {
    const csv = settlementCsv({
      merchantId: '=HYPERLINK("x")',
      date: '2026-03-01',
      currencies: [
        {
          currency: 'EUR',
          period: { from: '2026-02-28T22:00:00.000Z', to: '2026-03-01T22:00:00.000Z' },
          openingBalance: -5,
          payments: { count: 1, amount: 100 },
          escrowReleases: { count: 0, amount: 0 },
          allowances: { count: 3, amount: 40 },
          refunds: { count: 0, amount: 0 },
          other: { count: 0, amount: 0 },
          payout: { id: null, status: 'none', amount: 0, reference: null },
          closingBalance: 135,
        },
      ],
    });
    const [, row] = csv.split('\r\n');
    expect(row?.startsWith(`"'=HYPERLINK(""x"")",2026-03-01,EUR,`)).toBe(true);
    expect(row).toContain(',-5,1,100,');
    expect(row?.endsWith(',,none,0,,135,3,40')).toBe(true);
  });
});
