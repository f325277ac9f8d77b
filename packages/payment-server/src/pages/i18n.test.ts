import { REFUSAL_REASONS, type RefusalReason, requestedData } from '@caisse/protocol';
import { describe, expect, test } from 'vitest';
import { bdi } from './html.js';
import {
  formatAmount,
  formatIsoDate,
  formatRelative,
  formatTime,
  LOCALES,
  type Locale,
  MESSAGES,
  type MessageKey,
  pickLocale,
  plural,
  refusalKeys,
  requestedKey,
  t,
  text,
} from './i18n.js';
import { en } from './locales/en.js';

const KEYS = Object.keys(en) as MessageKey[];
const placeholders = (template: string) => [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
/** Normalises the no-break spaces Intl puts in French amounts and dates. */
const spaces = (value: string) => value.replace(/[\u00a0\u202f]/g, ' ');

/** Texts that are rightly the same in English and French. */
const SAME_IN_BOTH = new Set<MessageKey>(['time.until', 'checkout.itemQuantity', 'checkout.total', 'history.col.date']);

describe('catalogue', () => {
  test.each(LOCALES)('%s has exactly the English keys, none empty', (locale) => {
    expect(Object.keys(MESSAGES[locale]).sort()).toEqual([...KEYS].sort());
    for (const key of KEYS) expect(MESSAGES[locale][key].trim(), key).not.toBe('');
  });

  test.each(LOCALES)('%s has the same placeholders as English in every text', (locale) => {
    for (const key of KEYS) expect(placeholders(MESSAGES[locale][key]), key).toEqual(placeholders(en[key]));
  });

  test('every French text is translated (differs from the English one) except a few shared forms', () => {
    const untranslated = KEYS.filter((key) => !SAME_IN_BOTH.has(key) && MESSAGES.fr[key] === MESSAGES.en[key]);
    expect(untranslated).toEqual([]);
  });

  test('texts are plain text, never markup', () => {
    for (const locale of LOCALES) for (const key of KEYS) expect(MESSAGES[locale][key], key).not.toMatch(/[<>]/);
  });

  test('every refusal reason of the protocol is explained in every language: what happened and what to do', () => {
    const reasons = Object.keys(REFUSAL_REASONS) as RefusalReason[];
    expect(reasons.length).toBeGreaterThanOrEqual(11);
    for (const reason of reasons) {
      const keys = refusalKeys(reason);
      for (const locale of LOCALES) {
        for (const key of [keys.title, keys.what, keys.next]) expect(MESSAGES[locale][key], `${locale} ${key}`).toBeTruthy();
      }
      expect(MESSAGES.fr[keys.what]).not.toBe(MESSAGES.en[keys.what]);
      expect(MESSAGES.fr[keys.next]).not.toBe(MESSAGES.en[keys.next]);
    }
  });

  test('the refusal texts cover exactly the protocol reasons (no stale reason left behind)', () => {
    const inCatalogue = new Set(KEYS.filter((key) => key.startsWith('refusal.') && key.endsWith('.title')).map((key) => key.split('.')[1]));
    expect([...inCatalogue].sort()).toEqual(Object.keys(REFUSAL_REASONS).sort());
  });

  test('every kind of requested customer data has its words', () => {
    for (const kind of requestedData.options) for (const locale of LOCALES) expect(MESSAGES[locale][requestedKey(kind)]).toBeTruthy();
  });
});

describe('t and text', () => {
  test('escape the text and text parameters, keep markup parameters', () => {
    expect(String(t('en', 'checkout.titlePay', { merchant: '<b>"x"</b>' }))).toBe('Pay &lt;b&gt;&quot;x&quot;&lt;/b&gt;');
    expect(String(t('en', 'checkout.titlePay', { merchant: bdi('A & B') }))).toBe('Pay <bdi>A &amp; B</bdi>');
    expect(text('fr', 'checkout.titlePay', { merchant: '<b>' })).toBe('Payer <b>');
  });

  test('fill every occurrence and leave the rest of the text alone', () => {
    expect(text('en', 'refusal.account_locked.what', { limit: 5 })).toBe(
      'Your account is locked after 5 wrong access keys, to protect it. Nothing was charged.',
    );
  });

  test('plural forms follow the language rules', () => {
    expect(String(plural('en', 'identify.attemptsLeft', 1))).toBe('1 attempt left before the account is locked.');
    expect(String(plural('en', 'identify.attemptsLeft', 0))).toBe('0 attempts left before the account is locked.');
    expect(String(plural('fr', 'identify.attemptsLeft', 1))).toBe('Il reste 1 essai avant le blocage du compte.');
    expect(String(plural('fr', 'identify.attemptsLeft', 3))).toBe('Il reste 3 essais avant le blocage du compte.');
  });
});

describe('pickLocale', () => {
  test.each<[string | undefined | null, string | undefined | null, Locale]>([
    [undefined, undefined, 'en'],
    [null, null, 'en'],
    ['', undefined, 'en'],
    ['fr-FR,fr;q=0.9,en;q=0.8', undefined, 'fr'],
    ['en-US,en;q=0.9,fr;q=0.8', undefined, 'en'],
    ['de-DE, fr;q=0.5, en;q=0.4', undefined, 'fr'],
    ['de-DE, es', undefined, 'en'],
    ['en;q=0.3, fr;q=0.7', undefined, 'fr'],
    ['fr;q=0, en;q=0.1', undefined, 'en'],
    ['fr;q=0', undefined, 'en'],
    ['FR-ca', undefined, 'fr'],
    ['fr_BE', undefined, 'fr'],
    ['*', undefined, 'en'],
    ['fr;q=0.8, en;q=0.8', undefined, 'fr'],
    ['fr;q=abc, en;q=0.2', undefined, 'en'],
    ['fr;q=1.5, en;q=0.2', undefined, 'en'],
    ['en', 'fr', 'fr'],
    ['fr', 'en', 'en'],
    ['fr', 'de', 'fr'],
    ['fr', 'FR-ca', 'fr'],
    ['en', '<script>', 'en'],
    ['en', '', 'en'],
  ])('pickLocale(%j, %j) is %s', (header, query, expected) => {
    expect(pickLocale(header, query)).toBe(expected);
  });

  test('a huge or hostile header is read in bounded time and falls back to English', () => {
    expect(pickLocale(`${'x-'.repeat(100_000)}fr`)).toBe('en');
    expect(pickLocale(`${'de,'.repeat(40)}fr`)).toBe('en');
    expect(pickLocale(';;;,,,=q=,;q=')).toBe('en');
  });
});

describe('formatting in the page locale', () => {
  test('amounts: French 12,90 €, English €12.90, currency exponents respected', () => {
    expect(spaces(formatAmount(1290, 'EUR', 'fr'))).toBe('12,90 €');
    expect(formatAmount(1290, 'EUR', 'en')).toBe('€12.90');
    expect(spaces(formatAmount(123_456_789, 'EUR', 'fr'))).toBe('1 234 567,89 €');
    expect(formatAmount(1500, 'JPY', 'en')).toBe('JP¥1,500');
    expect(spaces(formatAmount(1234, 'KWD', 'fr'))).toBe('1,234 KWD');
  });

  test('times carry their zone; relative times are in words', () => {
    const at = new Date('2026-03-02T14:35:00Z');
    expect(formatTime(at, 'en', 'UTC')).toBe('14:35 UTC');
    expect(formatTime(at, 'fr', 'Europe/Paris')).toBe('15:35 UTC+1');
    expect(formatRelative(at, new Date('2026-03-02T14:20:00Z'), 'en')).toBe('in 15 minutes');
    expect(formatRelative(at, new Date('2026-03-02T14:20:00Z'), 'fr')).toBe('dans 15 minutes');
    expect(formatRelative(at, new Date('2026-03-02T14:36:00Z'), 'fr')).toBeUndefined();
  });

  test('calendar dates are written out; anything else is shown as given, cleaned', () => {
    expect(formatIsoDate('2026-03-02', 'en')).toBe('2 March 2026');
    expect(formatIsoDate('2026-03-02', 'fr')).toBe('2 mars 2026');
    expect(formatIsoDate('2026-02-30', 'en')).toBe('2026-02-30');
    expect(formatIsoDate('x\u202ey', 'en')).toBe('xy');
  });
});
