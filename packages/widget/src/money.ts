/**
 * Money for people, with the same output as `formatMoney` from `@caisse/protocol/money`:
 * the ISO 4217 minor-unit exponent, not the locale's habit, so 100 JPY minor units show
 * as ¥100 and 1234 KWD minor units as KWD 1.234. Not imported from there: that module
 * brings the protocol's whole error-message table and currency list into the browser
 * (1.8 KB gzipped, most of the script-tag file's margin). `money.test.ts` checks that both
 * give the same text for every currency the protocol knows, in English and French.
 */

const EXPONENT_0 = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF';
const EXPONENT_3 = 'BHD IQD JOD KWD LYD OMR TND';
const EXPONENT_4 = 'CLF UYW';

/**
 * Whether `amount` is a whole number of minor units from 0 to 10^12 and `currency` three capital letters.
 * @example isMoney(1290, 'EUR') // true
 */
export const isMoney = (amount: unknown, currency: unknown): boolean =>
  Number.isSafeInteger(amount) && (amount as number) >= 0 && (amount as number) <= 1e12 && /^[A-Z]{3}$/.test(currency as string);

/**
 * Formats whole minor units of `currency` in `locale` (the browser's if absent or not a
 * valid language tag). Throws a `RangeError` for an amount that is not a whole number of
 * minor units between 0 and 10^12, or a currency that is not three capital letters.
 * @example formatMoney(1290, 'EUR', 'fr-FR') // '12,90 €'
 */
export function formatMoney(amount: number, currency: string, locale?: string): string {
  if (!isMoney(amount, currency)) throw new RangeError('Not money');
  const digits = EXPONENT_0.includes(currency) ? 0 : EXPONENT_3.includes(currency) ? 3 : EXPONENT_4.includes(currency) ? 4 : 2;
  const format = (tag?: string) =>
    new Intl.NumberFormat(tag, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(
      amount / 10 ** digits,
    );
  try {
    return format(locale);
  } catch {
    return format();
  }
}
