import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { cleanText } from './html.js';
import {
  checkoutPage,
  confirmOnPhonePage,
  errorPage,
  historyPage,
  LOCALES,
  type Locale,
  pendingBankPage,
  refusalPage,
  resultRedirectPage,
} from './index.js';
import {
  allStartTags,
  attributes,
  bodyText,
  confirmView,
  errorView,
  expectWellFormedPage,
  historyView,
  pendingView,
  purchaseView,
  refusalView,
  resultView,
  startTags,
  textOf,
} from './test-support.js';

/** Merchant-controlled text may hold anything the ticket schema lets through, and names from storage even more. */
const HOSTILE = {
  script: '<script>alert(1)</script>',
  attribute: '"><img src=x onerror=alert(1)>',
  singleQuote: "' autofocus onfocus='alert(1)",
  breakout: '</bdi></main><script src=//evil.example/x.js></script>',
  rtlOverride: 'Livre \u202e€ 00,1 latoT\u202c',
  isolates: '\u2066A\u2069 \u202aB\u202b C\u202d',
  entities: '&lt;b&gt; &amp; &#60;',
  placeholder: '{merchant} {amount} {operator}',
  controls: 'a\u0000b\u0007c\u001b[31md\u0085e',
};
const KNOWN_ATTRIBUTES = new Set(
  'lang dir charset name content rel href integrity class id tabindex aria-label aria-labelledby aria-describedby aria-invalid aria-hidden role method action novalidate type value autocomplete autocapitalize autocorrect spellcheck maxlength required for datetime scope hreflang'.split(
    ' ',
  ),
);
const HOSTILE_TEXT = Object.values(HOSTILE).join(' ¦ ');
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/;
/** Control characters other than the newlines of the templates. */
const CONTROLS = /(?!\n)\p{Cc}/u;

/** Every page with every merchant-, customer- and operator-supplied string hostile. */
const PAGES: [string, (locale: Locale) => string][] = [
  [
    'checkout',
    (locale) =>
      checkoutPage(
        purchaseView({
          merchantName: HOSTILE_TEXT,
          serial: HOSTILE.attribute,
          items: Object.values(HOSTILE).map((label) => ({ label, quantity: 1, unitAmount: 100 })),
          amount: 900,
          account: HOSTILE.singleQuote,
          operatorName: HOSTILE.script,
          csrfToken: HOSTILE.attribute,
          requested: ['email'],
          fulfilment: 'deferred',
        }),
        locale,
      ),
  ],
  [
    'authentication',
    (locale) => checkoutPage(purchaseView({ kind: 'authentication', items: [], amount: 0, merchantName: HOSTILE_TEXT }), locale),
  ],
  ['confirm', (locale) => confirmOnPhonePage(confirmView({ merchantName: HOSTILE_TEXT, operatorName: HOSTILE.breakout }), locale)],
  ['pending', (locale) => pendingBankPage(pendingView({ merchantName: HOSTILE_TEXT }), locale)],
  ['result', (locale) => resultRedirectPage(resultView({ merchantName: HOSTILE_TEXT }), locale)],
  [
    'refusal',
    (locale) =>
      refusalPage(
        refusalView({
          reason: 'account_locked',
          merchantName: HOSTILE_TEXT,
          returnUrl: 'https://shop.example/c?a="><script>',
          operatorName: HOSTILE_TEXT,
        }),
        locale,
      ),
  ],
  ['error', (locale) => errorPage(errorView({ detail: HOSTILE_TEXT, code: HOSTILE.script, operatorName: HOSTILE.rtlOverride }), locale)],
  [
    'history',
    (locale) =>
      historyPage(
        historyView({
          customer: { account: HOSTILE.script },
          period: { from: HOSTILE.attribute, to: HOSTILE.rtlOverride },
          payments: Object.values(HOSTILE).map((text, index) => ({
            at: new Date(Date.UTC(2026, 1, 1 + index)),
            merchantName: text,
            serial: text,
            amount: 100,
            refunded: 0,
            currency: 'EUR',
            status: 'authorised' as const,
          })),
        }),
        locale,
      ),
  ],
  [
    'history, empty',
    (locale) => historyPage(historyView({ payments: [], period: { from: HOSTILE.script, to: HOSTILE.isolates } }), locale),
  ],
  ['history sign-in', (locale) => historyPage(historyView({ customer: undefined, account: HOSTILE.attribute }), locale)],
];

describe.each(LOCALES)('hostile strings in %s', (locale) => {
  test.each(PAGES)('%s: rendered inert — still one well-formed page, no markup from the data', (_name, render) => {
    const html = render(locale);
    expectWellFormedPage(html, locale);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    // Only the attributes the templates write: none comes from the data.
    const names = new Set(allStartTags(html).flatMap((tag) => Object.keys(attributes(tag))));
    expect([...names].filter((name) => !KNOWN_ATTRIBUTES.has(name))).toEqual([]);
  });

  test.each(PAGES)('%s: no bidi override or control character reaches the page', (_name, render) => {
    const html = render(locale);
    expect(html).not.toMatch(BIDI_CONTROLS);
    expect(html).not.toMatch(CONTROLS);
  });

  test.each(PAGES)('%s: the title holds text only', (_name, render) => {
    expect(/<title>([^<]*)<\/title>/.test(render(locale))).toBe(true);
  });
});

describe('hostile merchant text', () => {
  test('is escaped once (entities stay visible as typed), isolated in <bdi>, and never re-interpolated', () => {
    const html = checkoutPage(purchaseView({ merchantName: HOSTILE_TEXT }), 'en');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&#39; autofocus onfocus=&#39;alert(1)');
    expect(html).toContain('&amp;lt;b&amp;gt; &amp;amp; &amp;#60;');
    // A "{amount}" in a merchant name stays as typed: values are never templates.
    expect(bodyText(html)).toContain('{merchant} {amount} {operator}');
    // Every occurrence of the name is inside a bidi isolate.
    const escapedName = checkoutPage(purchaseView({ merchantName: HOSTILE.script }), 'en');
    const occurrences = escapedName.split('&lt;script&gt;alert(1)&lt;/script&gt;').length - 1;
    const isolated = escapedName.split('<bdi>&lt;script&gt;alert(1)&lt;/script&gt;</bdi>').length - 1;
    expect(occurrences).toBeGreaterThanOrEqual(4);
    // The <title> holds no markup, so it is the one place without <bdi>.
    expect(isolated).toBe(occurrences - 1);
    expect(textOf(escapedName, 'title')).toBe('Pay <script>alert(1)</script> – Caisse');
  });

  test('an RTL override cannot reorder the amount: it is removed and the label is isolated', () => {
    const html = checkoutPage(purchaseView({ items: [{ label: HOSTILE.rtlOverride, quantity: 1, unitAmount: 1290 }], vat: 0 }), 'en');
    expect(html).toContain('<span class="label"><bdi>Livre € 00,1 latoT</bdi></span>');
    expect(html).toContain('<dd class="grand num">€12.90</dd>');
  });

  test('cleanText removes controls and bidi overrides, keeps everything else', () => {
    expect(cleanText(HOSTILE.controls)).toBe('abc[31mde');
    expect(cleanText(HOSTILE.isolates)).toBe('A B C');
    expect(cleanText('עברית \u200f(1)\u200e العربية')).toBe('עברית \u200f(1)\u200e العربية');
  });

  test('the CSRF token and typed account are attribute values that cannot break out', () => {
    const html = checkoutPage(purchaseView({ csrfToken: HOSTILE.attribute, account: HOSTILE.singleQuote }), 'en');
    expect(startTags(html, 'input')).toContain('<input type="hidden" name="csrf" value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">');
    expect(html).toContain('value="&#39; autofocus onfocus=&#39;alert(1)"');
  });
});

describe('source rules', () => {
  const dir = new URL('.', import.meta.url);
  const sources = readdirSync(dir)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && name !== 'test-support.ts')
    .map((name) => [name, readFileSync(new URL(name, dir), 'utf8')] as const);

  test('no page uses raw(): everything goes through the escaping template', () => {
    expect(sources.length).toBeGreaterThan(5);
    for (const [name, source] of sources) expect(source, name).not.toMatch(/\braw\s*\(/);
  });

  test('no page builds markup in plain strings or untagged template strings', () => {
    for (const [name, source] of sources) {
      const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      expect(code, name).not.toMatch(/(?<!\bh)`\s*<[a-zA-Z!/]/);
      expect(code, name).not.toMatch(/['"]\s*<[a-zA-Z!/]/);
    }
  });
});
