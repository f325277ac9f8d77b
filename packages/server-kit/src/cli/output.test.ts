import { CaisseError } from '@caisse/protocol';
import { describe, expect, test } from 'vitest';
import { parseInstant } from './args.js';
import { CliError } from './errors.js';
import { describeError, moneyView, printable, toJson } from './output.js';

describe('printing untrusted text', () => {
  test('printable escapes controls, C1, bidi and invisible characters, and cuts long text', () => {
    expect(printable('a\u001b[31mb\u009bc\u202ed\u200be\nf')).toBe('a\\u001b[31mb\\u009bc\\u202ed\\u200be\\u000af');
    expect(printable('x'.repeat(10), 4)).toBe('xxxx…');
    expect(printable('Crème brûlée €5 — 日本')).toBe('Crème brûlée €5 — 日本');
  });

  test('toJson stays valid JSON with the same value', () => {
    const value = { 'k\u001b': 'v\u009b\u202e\u2028', n: 1 };
    const text = toJson(value);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence.
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u202e]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe('describeError', () => {
  test('keeps the stable code and one problem per issue', () => {
    const error = new CaisseError('claims_invalid', 'Invalid claims: amount: too big.', {
      issues: [
        { path: 'amount', message: 'too big' },
        { path: '', message: 'Unrecognized key: "\u001b"' },
      ],
    });
    expect(describeError(error)).toEqual({
      code: 'claims_invalid',
      message: 'Invalid claims: amount: too big.',
      problems: [
        { code: 'claims_invalid', path: 'amount', message: 'too big' },
        { code: 'claims_invalid', path: '', message: 'Unrecognized key: "\\u001b"' },
      ],
    });
    expect(describeError(new CliError('usage', 'bad')).code).toBe('usage');
  });

  test('an unexpected error is internal_error, its message not shown', () => {
    expect(describeError(new TypeError('secret detail'))).toMatchObject({
      code: 'internal_error',
      message: expect.not.stringContaining('secret'),
    });
  });
});

describe('moneyView', () => {
  test.each([
    [1590, 'EUR', '15.90 EUR'],
    [5, 'EUR', '0.05 EUR'],
    [1350, 'JPY', '1350 JPY'],
    [1234, 'KWD', '1.234 KWD'],
    [0, 'EUR', '0.00 EUR'],
  ])('%d %s is %s', (minor, currency, decimal) => {
    expect(moneyView(minor, currency).decimal).toBe(decimal);
  });

  test.each([
    [-1, 'EUR'],
    [1.5, 'EUR'],
    ['1590', 'EUR'],
    [1590, 'XXX'],
    [1590, undefined],
    [1e13, 'EUR'],
  ])('no decimal for %j %j', (minor, currency) => {
    expect(moneyView(minor, currency)).toEqual({ minor, currency });
  });
});

describe('parseInstant', () => {
  test.each([
    ['2026-11-22', '2026-11-22T00:00:00.000Z'],
    ['2026-11-22T10:00Z', '2026-11-22T10:00:00.000Z'],
    ['2026-11-22T10:00:00.5Z', '2026-11-22T10:00:00.500Z'],
    ['2026-11-22T11:00:00+01:00', '2026-11-22T10:00:00.000Z'],
    ['2028-02-29', '2028-02-29T00:00:00.000Z'],
  ])('%s', (text, iso) => {
    expect(parseInstant(text, 'at').toISOString()).toBe(iso);
  });

  test.each(['2026-11-22T10:00:00', '2027-02-29', '2026-04-31', '22/11/2026', 'now', ''])('refuses %j', (text) => {
    expect(() => parseInstant(text, 'at')).toThrow(CliError);
  });
});
