import { CaisseError } from './errors.js';
import { LIMITS } from './limits.js';
import type { Item } from './messages/ticket.js';

export interface Totals {
  /** Sum of `quantity × unitAmount` over the items. */
  amount: number;
  /** Sum of the VAT contained in each line. */
  vat: number;
}

/**
 * VAT contained in a VAT-inclusive line amount, rounded half up to the minor unit:
 * `round(line × rate / (10000 + rate))`. Computed on BigInt so that no intermediate
 * product loses precision.
 * @example lineVat(1200, 2000) // 200 — 12.00 incl. 20 % VAT holds 2.00 of VAT
 */
export function lineVat(lineAmount: number, vatRate: number): number {
  const numerator = BigInt(lineAmount) * BigInt(vatRate);
  const denominator = BigInt(LIMITS.vatRate + vatRate);
  return Number((2n * numerator + denominator) / (2n * denominator));
}

/**
 * Amount and VAT of a list of items. Throws `amount_invalid` if a line or the total
 * leaves the allowed range, so callers never see a rounded or overflowed sum.
 * @example totals([{ id: 'b1', label: 'Book', quantity: 2, unitAmount: 1200, vatRate: 550 }]) // { amount: 2400, vat: 125 }
 */
export function totals(items: readonly Item[]): Totals {
  let amount = 0;
  let vat = 0;
  for (const item of items) {
    if (item.unitAmount > Math.floor(LIMITS.amount / Math.max(item.quantity, 1))) {
      throw new CaisseError('amount_invalid', `Item "${item.id}" costs more than the largest allowed amount.`);
    }
    const line = item.quantity * item.unitAmount;
    amount += line;
    vat += lineVat(line, item.vatRate);
    if (amount > LIMITS.amount) throw new CaisseError('amount_invalid', 'The items add up to more than the largest allowed amount.');
  }
  return { amount, vat };
}

/**
 * The rule every party checks: a ticket's `amount` and `vat` are exactly the sums of its
 * items. Throws `amount_mismatch` or `vat_mismatch` naming both figures.
 */
export function assertTotals(items: readonly Item[], expected: Totals): void {
  const actual = totals(items);
  if (actual.amount !== expected.amount) {
    throw new CaisseError('amount_mismatch', `amount is ${expected.amount} but the items add up to ${actual.amount}.`, {
      issues: [{ path: 'amount', message: `expected ${actual.amount}` }],
    });
  }
  if (actual.vat !== expected.vat) {
    throw new CaisseError('vat_mismatch', `vat is ${expected.vat} but the items' VAT adds up to ${actual.vat}.`, {
      issues: [{ path: 'vat', message: `expected ${actual.vat}` }],
    });
  }
}
