import { describe, expect, it } from 'vitest';
import { CURRENCY_EXPONENTS, currencyExponent, isCurrencyCode } from './currency.js';
import { caught } from './test-support.js';

describe('currencyExponent', () => {
  it('gives the ISO 4217 minor-unit exponent', () => {
    expect(currencyExponent('EUR')).toBe(2);
    expect(currencyExponent('USD')).toBe(2);
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('ISK')).toBe(0);
    expect(currencyExponent('XOF')).toBe(0);
    expect(currencyExponent('KWD')).toBe(3);
    expect(currencyExponent('TND')).toBe(3);
    expect(currencyExponent('CLF')).toBe(4);
    expect(currencyExponent('UYW')).toBe(4);
  });

  it('refuses unknown, lower-case, withdrawn and unit-less codes with currency_unknown', () => {
    for (const code of ['XXX', 'eur', 'EURO', 'EU', '', 'HRK', 'XAU', 'XTS', 'toString', 'constructor']) {
      const error = caught(() => currencyExponent(code));
      expect(error.code).toBe('currency_unknown');
    }
  });

  it('names the unknown code in the message, cut short', () => {
    expect(caught(() => currencyExponent('ABC')).message).toBe('Unknown currency "ABC".');
    expect(caught(() => currencyExponent('X'.repeat(1000))).message).toBe('Unknown currency "XXXXXXXX".');
  });
});

describe('isCurrencyCode', () => {
  it('accepts active codes only, and never a non-string', () => {
    expect(isCurrencyCode('EUR')).toBe(true);
    expect(isCurrencyCode('eur')).toBe(false);
    for (const value of [undefined, null, 978, ['EUR'], { code: 'EUR' }]) expect(isCurrencyCode(value)).toBe(false);
  });
});

describe('CURRENCY_EXPONENTS', () => {
  it('holds three-letter codes with exponents 0, 2, 3 or 4', () => {
    expect(CURRENCY_EXPONENTS.size).toBeGreaterThan(150);
    for (const [code, exponent] of CURRENCY_EXPONENTS) {
      expect(code).toMatch(/^[A-Z]{3}$/);
      expect([0, 2, 3, 4]).toContain(exponent);
    }
  });
});
