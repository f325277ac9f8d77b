import { currencyExponent } from './currency.js';
import { CaisseError } from './errors.js';
import { LIMITS } from './limits.js';

/** An amount of money: a whole number of minor units (cents for EUR) and its currency. Never a float. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

export function isAmount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= LIMITS.amount;
}

/**
 * @example money(1250, 'EUR') // { amount: 1250, currency: 'EUR' } — 12.50 EUR
 */
export function money(amount: number, currency: string): Money {
  currencyExponent(currency);
  if (!isAmount(amount)) {
    throw new CaisseError('amount_invalid', `Amount must be a whole number of minor units between 0 and ${LIMITS.amount}.`);
  }
  return { amount, currency };
}

/**
 * Parses a decimal string in major units into minor units, refusing anything that would
 * need rounding.
 * @example toMinorUnits('12.5', 'EUR') // 1250
 */
export function toMinorUnits(decimal: string, currency: string): number {
  const exponent = currencyExponent(currency);
  const match = /^(\d{1,13})(?:\.(\d+))?$/.exec(decimal);
  if (!match) throw new CaisseError('amount_invalid', 'Amount must be written like 12.50, with a dot and no sign.');
  const whole = match[1] as string;
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) {
    throw new CaisseError('amount_invalid', `${currency} has ${exponent} decimal places; "${decimal}" has more.`);
  }
  return money(Number(whole + fraction.padEnd(exponent, '0')), currency).amount;
}

/**
 * Writes minor units as a plain decimal string in major units, for logs, CSV and forms
 * (not for display to people: use {@link formatMoney}).
 * @example toDecimalString({ amount: 1250, currency: 'EUR' }) // '12.50'
 */
export function toDecimalString(value: Money): string {
  // Validated first: a negative or fractional amount would otherwise print as garbage such as "0.-5".
  const { amount, currency } = money(value.amount, value.currency);
  const exponent = currencyExponent(currency);
  if (exponent === 0) return String(amount);
  const digits = String(amount).padStart(exponent + 1, '0');
  return `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/**
 * Formats money for people in the given locale. Uses the ISO exponent, not the locale's
 * habit, so 100 JPY minor units show as ¥100 and never as ¥1.00.
 * @example formatMoney({ amount: 1250, currency: 'EUR' }, 'fr-FR') // '12,50 €'
 */
export function formatMoney(value: Money, locale?: string): string {
  // Validated first: a fractional amount would otherwise be rounded silently for display.
  const { amount, currency } = money(value.amount, value.currency);
  const exponent = currencyExponent(currency);
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency,
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  }).format(amount / 10 ** exponent);
}
