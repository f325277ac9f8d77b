import { describe, expect, it } from 'vitest';
import { assertTotals, lineVat, totals } from './items.js';
import { LIMITS } from './limits.js';
import type { Item } from './messages/ticket.js';
import { caught, ticketItems } from './test-support.js';

const line = (quantity: number, unitAmount: number, vatRate: number, id = 'i1'): Item => ({
  id,
  label: 'Item',
  quantity,
  unitAmount,
  vatRate,
});

describe('lineVat', () => {
  it('extracts the VAT contained in a VAT-inclusive line', () => {
    expect(lineVat(1200, 2000)).toBe(200);
    expect(lineVat(2400, 550)).toBe(125);
    expect(lineVat(1700, 550)).toBe(89);
    expect(lineVat(105, 500)).toBe(5);
    expect(lineVat(1200, 0)).toBe(0);
    expect(lineVat(0, 2000)).toBe(0);
    expect(lineVat(1000, 10_000)).toBe(500);
  });

  it('rounds exact halves up, never to even', () => {
    expect(lineVat(3, 2000)).toBe(1); // 0.5
    expect(lineVat(9, 2000)).toBe(2); // 1.5
    expect(lineVat(15, 2000)).toBe(3); // 2.5: half-to-even would give 2
    expect(lineVat(1, 10_000)).toBe(1); // 0.5
    expect(lineVat(5, 10_000)).toBe(3); // 2.5
    expect(lineVat(999_999_999_999, 2000)).toBe(166_666_666_667); // …666.5
  });

  it('rounds other fractions to the nearest unit', () => {
    expect(lineVat(1000, 550)).toBe(52); // 52.13
    expect(lineVat(1001, 2000)).toBe(167); // 166.83
    expect(lineVat(999_999_999_997, 1)).toBe(99_990_001); // 99 990 000.9996
  });

  it('stays exact near LIMITS.amount where line × rate exceeds 2^53', () => {
    expect(lineVat(LIMITS.amount, LIMITS.vatRate)).toBe(500_000_000_000);
    expect(lineVat(999_999_999_999, 10_000)).toBe(500_000_000_000); // …999.5
    expect(lineVat(999_999_999_999, 9999)).toBe(499_974_998_749); // …749.4975
    // Floating point computes 368675671635.5 here and would round up; the exact value is 368675671635.4999…
    expect(lineVat(809_622_534_015, 8361)).toBe(368_675_671_635);
    expect(Math.round((809_622_534_015 * 8361) / (10_000 + 8361))).toBe(368_675_671_636);
  });
});

describe('totals', () => {
  it('sums quantity × unitAmount and the VAT of each line', () => {
    expect(totals(ticketItems())).toEqual({ amount: 2199, vat: 172 });
    expect(totals([line(2, 1200, 550, 'b1')])).toEqual({ amount: 2400, vat: 125 });
  });

  it('rounds VAT per line, not on the total', () => {
    // Three lines of 0.03 at 20 %: 3 × round(0.5) = 3, whereas round(9 / 6) would be 2.
    const items = [line(1, 3, 2000, 'a'), line(1, 3, 2000, 'b'), line(1, 3, 2000, 'c')];
    expect(totals(items)).toEqual({ amount: 9, vat: 3 });
    expect(lineVat(9, 2000)).toBe(2);
  });

  it('gives zero for no items', () => {
    expect(totals([])).toEqual({ amount: 0, vat: 0 });
  });

  it('accepts lines and sums that reach LIMITS.amount exactly', () => {
    expect(totals([line(1, LIMITS.amount, 2000)])).toEqual({ amount: LIMITS.amount, vat: 166_666_666_667 });
    expect(totals([line(LIMITS.quantity, 1_000_000, 10_000)])).toEqual({ amount: LIMITS.amount, vat: 500_000_000_000 });
    expect(totals([line(3, 333_333_333_333, 9999)])).toEqual({ amount: 999_999_999_999, vat: 499_974_998_749 });
    const hundred = Array.from({ length: 100 }, (_, i) => line(1, LIMITS.amount / 100, 2000, `i${i}`));
    expect(totals(hundred).amount).toBe(LIMITS.amount);
  });

  it('refuses a line over LIMITS.amount with amount_invalid, before multiplying', () => {
    expect(caught(() => totals([line(3, 333_333_333_334, 0)])).code).toBe('amount_invalid');
    expect(caught(() => totals([line(2, 500_000_000_001, 0)])).code).toBe('amount_invalid');
    expect(caught(() => totals([line(LIMITS.quantity, LIMITS.amount, 0)])).code).toBe('amount_invalid');
  });

  it('refuses a sum over LIMITS.amount with amount_invalid', () => {
    const error = caught(() => totals([line(1, LIMITS.amount, 0, 'a'), line(1, 1, 0, 'b')]));
    expect(error.code).toBe('amount_invalid');
    expect(error.message).toContain('more than the largest allowed amount');
  });
});

describe('assertTotals', () => {
  it('passes when amount and VAT are the sums of the items', () => {
    expect(() => assertTotals(ticketItems(), { amount: 2199, vat: 172 })).not.toThrow();
    expect(() => assertTotals([], { amount: 0, vat: 0 })).not.toThrow();
  });

  it('refuses a wrong amount with amount_mismatch, naming both figures', () => {
    const error = caught(() => assertTotals(ticketItems(), { amount: 2100, vat: 172 }));
    expect(error.code).toBe('amount_mismatch');
    expect(error.message).toBe('amount is 2100 but the items add up to 2199.');
    expect(error.issues).toEqual([{ path: 'amount', message: 'expected 2199' }]);
  });

  it('refuses a wrong VAT with vat_mismatch, naming both figures', () => {
    const error = caught(() => assertTotals(ticketItems(), { amount: 2199, vat: 171 }));
    expect(error.code).toBe('vat_mismatch');
    expect(error.message).toBe("vat is 171 but the items' VAT adds up to 172.");
    expect(error.issues).toEqual([{ path: 'vat', message: 'expected 172' }]);
  });

  it('reports the amount before the VAT when both are wrong', () => {
    expect(caught(() => assertTotals(ticketItems(), { amount: 1, vat: 1 })).code).toBe('amount_mismatch');
  });

  it('reports an overflowing basket as amount_invalid, not as a mismatch', () => {
    const items = [line(1, LIMITS.amount, 0, 'a'), line(1, LIMITS.amount, 0, 'b')];
    expect(caught(() => assertTotals(items, { amount: LIMITS.amount, vat: 0 })).code).toBe('amount_invalid');
  });
});
