import { CURRENCY_EXPONENTS, formatMoney as protocolFormatMoney } from '@caisse/protocol';
import { describe, expect, it } from 'vitest';
import { formatMoney, isMoney } from './money.js';

describe('formatMoney', () => {
  it('gives the same text as @caisse/protocol for every currency it knows, in English and French', () => {
    for (const currency of CURRENCY_EXPONENTS.keys()) {
      for (const locale of ['en', 'fr-FR', 'en-US']) {
        for (const amount of [0, 1, 1234, 1_000_000_000_000]) {
          expect(formatMoney(amount, currency, locale), `${amount} ${currency} ${locale}`).toBe(
            protocolFormatMoney({ amount, currency }, locale),
          );
        }
      }
    }
  });

  it('uses the ISO exponent, not the locale habit', () => {
    expect(formatMoney(1350, 'JPY', 'en')).toBe('¥1,350');
    expect(formatMoney(1350, 'JPY', 'fr')).toBe('1\u202f350\u00a0JPY');
    expect(formatMoney(1290, 'EUR', 'en')).toBe('€12.90');
    expect(formatMoney(1290, 'EUR', 'fr-FR')).toBe('12,90\u00a0€');
    expect(formatMoney(1234, 'KWD', 'en')).toBe('KWD\u00a01.234');
  });

  it('falls back to the default locale for an invalid language tag', () => {
    expect(formatMoney(1290, 'EUR', '!!')).toBe(formatMoney(1290, 'EUR'));
  });

  it('refuses what is not money', () => {
    for (const [amount, currency] of [
      [12.5, 'EUR'],
      [-1, 'EUR'],
      [1e12 + 1, 'EUR'],
      [Number.NaN, 'EUR'],
      [1, 'eur'],
      [1, 'EURO'],
    ] as const) {
      expect(isMoney(amount, currency)).toBe(false);
      expect(() => formatMoney(amount, currency)).toThrow(RangeError);
    }
    expect(isMoney('1', 'EUR')).toBe(false);
    expect(isMoney(1, 'EUR')).toBe(true);
  });
});
