import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { CHECKOUT_CSS, CHECKOUT_CSS_HREF, CHECKOUT_CSS_INTEGRITY, CHECKOUT_CSS_PATH, CHECKOUT_CSS_SHA256 } from './css.js';
import {
  checkoutPage,
  confirmOnPhonePage,
  errorPage,
  historyPage,
  LOCALES,
  pendingBankPage,
  refusalPage,
  resultRedirectPage,
} from './index.js';
import { confirmView, errorView, historyView, pendingView, purchaseView, refusalView, resultView } from './test-support.js';

/** The custom properties declared in the first block that starts with `selectorStart`. */
function properties(css: string, selectorStart: string): Record<string, string> {
  const start = css.indexOf(selectorStart);
  expect(start).toBeGreaterThanOrEqual(0);
  const rootStart = css.indexOf(':root {', start);
  const block = css.slice(rootStart, css.indexOf('}', rootStart));
  return Object.fromEntries([...block.matchAll(/(--[a-z-]+):\s*(#[0-9a-f]{6});/g)].map((match) => [match[1], match[2]]));
}

/** WCAG 2.x relative luminance and contrast ratio. */
function luminance(hex: string): number {
  const channels = [1, 3, 5].map((index) => Number.parseInt(hex.slice(index, index + 2), 16) / 255);
  const [r, g, b] = channels.map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function contrast(a: string, b: string): number {
  const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (high + 0.05) / (low + 0.05);
}

/** The declarations of the rule whose selector list is exactly `selector`. */
function rule(selector: string): string {
  const start = CHECKOUT_CSS.indexOf(`\n${selector} {`);
  expect(start, selector).toBeGreaterThanOrEqual(0);
  return CHECKOUT_CSS.slice(start, CHECKOUT_CSS.indexOf('}', start));
}

const light = properties(CHECKOUT_CSS, ':root {');
const dark = { ...light, ...properties(CHECKOUT_CSS, '@media (prefers-color-scheme: dark)') };

describe.each([
  ['light', light],
  ['dark', dark],
])('%s scheme contrast', (_scheme, colours) => {
  const c = (name: string) => colours[name] as string;
  test.each([
    ['--fg', '--bg'],
    ['--fg', '--surface'],
    ['--muted', '--bg'],
    ['--muted', '--surface'],
    ['--link', '--bg'],
    ['--link', '--surface'],
    ['--primary-fg', '--primary'],
    ['--danger', '--bg'],
    ['--danger', '--surface'],
  ])('text %s on %s is at least 4.5:1', (fg, bg) => {
    expect(contrast(c(fg), c(bg))).toBeGreaterThanOrEqual(4.5);
  });

  test.each([
    ['--focus', '--bg'],
    ['--focus', '--surface'],
    ['--border', '--bg'],
    ['--danger', '--bg'],
    ['--primary', '--bg'],
  ])('non-text %s on %s is at least 3:1', (fg, bg) => {
    expect(contrast(c(fg), c(bg))).toBeGreaterThanOrEqual(3);
  });
});

describe('CHECKOUT_CSS', () => {
  test('both colour schemes define every colour', () => {
    expect(Object.keys(light).sort()).toEqual(Object.keys(properties(CHECKOUT_CSS, '@media (prefers-color-scheme: dark)')).sort());
    expect(Object.keys(light).length).toBeGreaterThanOrEqual(10);
    expect(CHECKOUT_CSS).toContain('color-scheme: light dark;');
  });

  test('controls are at least 44 px high (touch targets)', () => {
    for (const selector of [
      '.button',
      'input[type="text"],\ninput[type="password"],\ninput[type="date"],\ntextarea',
      '.skip-link',
      '.lang-switch a,\n.site-footer a',
    ]) {
      expect(rule(selector)).toContain('min-height: 44px;');
    }
  });

  test('focus is always visible: a 3 px outline on :focus-visible, the skip link shows when focused', () => {
    expect(rule(':focus-visible')).toContain('outline: 3px solid var(--focus);');
    expect(rule('.skip-link:focus')).toContain('transform: none;');
    // The only outline removed is on <main>, which takes focus from the skip link but is not a control.
    expect(CHECKOUT_CSS.match(/outline:\s*(?:none|0)\b/g)).toHaveLength(1);
    expect(rule('main:focus')).toContain('outline: none;');
  });

  test('respects reduced motion, colour scheme and forced colours; readable at 320 px', () => {
    expect(CHECKOUT_CSS).toContain('@media (prefers-reduced-motion: reduce)');
    expect(CHECKOUT_CSS).toContain('@media (prefers-color-scheme: dark)');
    expect(CHECKOUT_CSS).toContain('@media (forced-colors: active)');
    expect(rule('body')).toContain('min-width: 320px;');
    expect(rule('body')).toContain('overflow-wrap: anywhere;');
    expect(rule('.table-scroll')).toContain('overflow-x: auto;');
  });

  test('loads nothing: no fonts, imports or remote URLs', () => {
    expect(CHECKOUT_CSS).not.toMatch(/url\(|@import|@font-face|https?:/i);
  });

  test('braces balance', () => {
    expect(CHECKOUT_CSS.split('{').length).toBe(CHECKOUT_CSS.split('}').length);
  });

  test('the hash, integrity and versioned URL are those of the exact text', () => {
    expect(CHECKOUT_CSS_SHA256).toBe(createHash('sha256').update(CHECKOUT_CSS).digest('hex'));
    expect(CHECKOUT_CSS_INTEGRITY).toBe(`sha256-${createHash('sha256').update(Buffer.from(CHECKOUT_CSS, 'utf8')).digest('base64')}`);
    expect(CHECKOUT_CSS_PATH).toBe('/assets/checkout.css');
    expect(CHECKOUT_CSS_HREF).toBe(`/assets/checkout.css?v=${CHECKOUT_CSS_SHA256.slice(0, 16)}`);
  });

  test('every class the pages use is styled', () => {
    const pages = LOCALES.flatMap((locale) => [
      checkoutPage(purchaseView({ fulfilment: 'deferred', requested: ['email'], error: { code: 'missing', fields: ['account'] } }), locale),
      confirmOnPhonePage(confirmView(), locale),
      pendingBankPage(pendingView(), locale),
      resultRedirectPage(resultView(), locale),
      refusalPage(refusalView({ merchantName: 'Shop', returnUrl: 'https://shop.example/' }), locale),
      errorPage(errorView({ retryUrl: '/x', backUrl: 'https://shop.example/' }), locale),
      historyPage(historyView({ languageLinks: { en: '/a', fr: '/a' }, supportUrl: 'https://help.example/' }), locale),
      historyPage(historyView({ periodError: 'period_invalid' }), locale),
    ]);
    const classes = new Set(
      pages.flatMap((html) => [...html.matchAll(/\sclass="([^"]*)"/g)].flatMap((match) => (match[1] as string).split(' '))),
    );
    expect(classes.size).toBeGreaterThan(20);
    for (const name of classes) expect(CHECKOUT_CSS, name).toMatch(new RegExp(`\\.${name}(?![\\w-])`));
  });
});
