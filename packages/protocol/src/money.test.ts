import { describe, expect, it } from 'vitest';
import { LIMITS } from './limits.js';
import { formatMoney, isAmount, money, toDecimalString, toMinorUnits } from './money.js';
import { caught } from './test-support.js';

describe('isAmount', () => {
  it('accepts whole minor units from 0 to LIMITS.amount', () => {
    for (const value of [0, 1, 1250, LIMITS.amount]) expect(isAmount(value)).toBe(true);
  });

  it('refuses negatives, fractions, values over the limit and non-numbers', () => {
    for (const value of [-1, 0.5, 12.5, LIMITS.amount + 1, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, '1250', 1250n, null]) {
      expect(isAmount(value)).toBe(false);
    }
  });
});

describe('money', () => {
  it('builds a Money value', () => {
    expect(money(1250, 'EUR')).toEqual({ amount: 1250, currency: 'EUR' });
    expect(money(0, 'JPY')).toEqual({ amount: 0, currency: 'JPY' });
  });

  it('refuses a bad amount with amount_invalid', () => {
    for (const amount of [-1, 12.5, LIMITS.amount + 1, Number.NaN]) expect(caught(() => money(amount, 'EUR')).code).toBe('amount_invalid');
  });

  it('checks the currency first, with currency_unknown', () => {
    expect(caught(() => money(-1, 'ZZZ')).code).toBe('currency_unknown');
  });
});

describe('toMinorUnits', () => {
  it('reads a decimal string in major units', () => {
    expect(toMinorUnits('12.5', 'EUR')).toBe(1250);
    expect(toMinorUnits('12.50', 'EUR')).toBe(1250);
    expect(toMinorUnits('12', 'EUR')).toBe(1200);
    expect(toMinorUnits('0.01', 'EUR')).toBe(1);
    expect(toMinorUnits('0', 'EUR')).toBe(0);
    expect(toMinorUnits('007.50', 'EUR')).toBe(750);
    expect(toMinorUnits('100', 'JPY')).toBe(100);
    expect(toMinorUnits('1.234', 'KWD')).toBe(1234);
    expect(toMinorUnits('1.5', 'KWD')).toBe(1500);
    expect(toMinorUnits('0.0001', 'CLF')).toBe(1);
  });

  it('reaches LIMITS.amount exactly and refuses one minor unit more', () => {
    expect(toMinorUnits('10000000000.00', 'EUR')).toBe(LIMITS.amount);
    expect(toMinorUnits('1000000000000', 'JPY')).toBe(LIMITS.amount);
    expect(toMinorUnits('100000000.0000', 'CLF')).toBe(LIMITS.amount);
    expect(caught(() => toMinorUnits('10000000000.01', 'EUR')).code).toBe('amount_invalid');
    expect(caught(() => toMinorUnits('9999999999999.9999', 'CLF')).code).toBe('amount_invalid');
  });

  it('refuses more decimals than the currency has, rather than rounding', () => {
    for (const [text, currency] of [
      ['12.501', 'EUR'],
      ['12.500', 'EUR'],
      ['100.0', 'JPY'],
      ['1.2345', 'KWD'],
      ['1.00001', 'CLF'],
    ] as const) {
      const error = caught(() => toMinorUnits(text, currency));
      expect(error.code).toBe('amount_invalid');
      expect(error.message).toContain('decimal places');
    }
  });

  it('refuses signs, exponents, separators other than a dot, and anything but ASCII digits', () => {
    for (const text of [
      '-1',
      '+1',
      '-0.50',
      '1e3',
      '1E3',
      '1.5e2',
      ' 1',
      '1 ',
      '1,50',
      '1 000',
      '.5',
      '5.',
      '',
      '.',
      '0x10',
      'Infinity',
      'NaN',
      '١٢',
      '１２',
      '1_000',
      '12.5\n',
    ]) {
      expect(caught(() => toMinorUnits(text, 'EUR')).code).toBe('amount_invalid');
    }
  });

  it('refuses more than 13 integer digits before reading them as a number', () => {
    expect(caught(() => toMinorUnits('12345678901234', 'JPY')).code).toBe('amount_invalid');
    expect(caught(() => toMinorUnits('9'.repeat(400), 'JPY')).code).toBe('amount_invalid');
  });

  it('refuses an unknown currency with currency_unknown', () => {
    expect(caught(() => toMinorUnits('1.00', 'ABC')).code).toBe('currency_unknown');
  });
});

describe('toDecimalString', () => {
  it('writes minor units as major units with exactly the currency exponent', () => {
    expect(toDecimalString({ amount: 1250, currency: 'EUR' })).toBe('12.50');
    expect(toDecimalString({ amount: 5, currency: 'EUR' })).toBe('0.05');
    expect(toDecimalString({ amount: 0, currency: 'EUR' })).toBe('0.00');
    expect(toDecimalString({ amount: 100, currency: 'JPY' })).toBe('100');
    expect(toDecimalString({ amount: 1234, currency: 'KWD' })).toBe('1.234');
    expect(toDecimalString({ amount: 1, currency: 'CLF' })).toBe('0.0001');
    expect(toDecimalString({ amount: LIMITS.amount, currency: 'EUR' })).toBe('10000000000.00');
    expect(toDecimalString({ amount: LIMITS.amount - 1, currency: 'EUR' })).toBe('9999999999.99');
  });

  it('refuses a negative or fractional amount instead of printing nonsense', () => {
    expect(caught(() => toDecimalString({ amount: -5, currency: 'EUR' })).code).toBe('amount_invalid');
    expect(caught(() => toDecimalString({ amount: 12.5, currency: 'EUR' })).code).toBe('amount_invalid');
    expect(caught(() => toDecimalString({ amount: LIMITS.amount + 1, currency: 'EUR' })).code).toBe('amount_invalid');
    expect(caught(() => toDecimalString({ amount: 1, currency: 'XYZ' })).code).toBe('currency_unknown');
  });

  it('round-trips with toMinorUnits in every exponent', () => {
    let seed = 42;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed;
    };
    const amounts = [0, 1, 9, 10, 99, 100, 101, 1_000, 123_456_789, LIMITS.amount - 1, LIMITS.amount];
    for (let i = 0; i < 200; i++) amounts.push((next() * 1000 + (next() % 1000)) % (LIMITS.amount + 1));
    for (const currency of ['JPY', 'EUR', 'KWD', 'CLF']) {
      for (const amount of amounts) {
        expect(toMinorUnits(toDecimalString({ amount, currency }), currency)).toBe(amount);
      }
    }
  });
});

describe('formatMoney', () => {
  it('formats for English readers', () => {
    expect(formatMoney({ amount: 123_456, currency: 'EUR' }, 'en-US')).toBe('€1,234.56');
    expect(formatMoney({ amount: 5, currency: 'EUR' }, 'en')).toBe('€0.05');
    expect(formatMoney({ amount: 1999, currency: 'USD' }, 'en-US')).toBe('$19.99');
    expect(formatMoney({ amount: 1999, currency: 'GBP' }, 'en-GB')).toBe('£19.99');
  });

  it('formats for French readers, with their non-breaking spaces', () => {
    expect(formatMoney({ amount: 1250, currency: 'EUR' }, 'fr-FR')).toBe('12,50\u00a0€');
    expect(formatMoney({ amount: 123_456, currency: 'EUR' }, 'fr-FR')).toBe('1\u202f234,56\u00a0€');
    expect(formatMoney({ amount: 123_456, currency: 'EUR' }, 'fr')).toBe('1\u202f234,56\u00a0€');
  });

  it('follows the ISO exponent, never the locale habit', () => {
    expect(formatMoney({ amount: 100, currency: 'JPY' }, 'en-US')).toBe('¥100');
    expect(formatMoney({ amount: 1234, currency: 'KWD' }, 'en-US')).toBe('KWD\u00a01.234');
    expect(formatMoney({ amount: 12_345, currency: 'CLF' }, 'en-US')).toBe('CLF\u00a01.2345');
  });

  it('shows the largest amount to the last minor unit', () => {
    expect(formatMoney({ amount: LIMITS.amount - 1, currency: 'EUR' }, 'en-US')).toBe('€9,999,999,999.99');
    expect(formatMoney({ amount: LIMITS.amount - 1, currency: 'CLF' }, 'en-US')).toBe('CLF\u00a099,999,999.9999');
  });

  it('refuses a fractional amount and an unknown currency', () => {
    expect(caught(() => formatMoney({ amount: 12.5, currency: 'EUR' }, 'en')).code).toBe('amount_invalid');
    expect(caught(() => formatMoney({ amount: 1, currency: 'EURO' }, 'en')).code).toBe('currency_unknown');
  });
});
