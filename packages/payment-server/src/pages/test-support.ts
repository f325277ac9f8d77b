/**
 * Fixtures and structural checks for the page tests. No DOM library is installed, so the
 * checks read the HTML with small regular expressions. That is sound here because every
 * interpolated value is escaped (`<`, `>`, `"`, `'`, `&`): inside a tag, `>` only ends it,
 * and attribute values never hold a quote.
 */
import { expect } from 'vitest';
import type { CheckoutView } from './checkout.js';
import type { ConfirmOnPhoneView } from './confirm.js';
import type { ErrorView } from './error.js';
import type { HistoryView } from './history.js';
import type { PendingBankView } from './pending.js';
import type { RefusalView } from './refusal.js';
import type { ResultRedirectView } from './result.js';

export const NOW = new Date('2026-03-02T14:20:00Z');
export const EXPIRES = new Date('2026-03-02T14:35:00Z');

export function purchaseView(overrides: Partial<CheckoutView> = {}): CheckoutView {
  return {
    kind: 'purchase',
    merchantName: 'Librairie du Port',
    serial: 'CMD-2026-0042',
    items: [
      { label: 'L’Étranger — Albert Camus', quantity: 2, unitAmount: 450 },
      { label: 'Marque-page', quantity: 1, unitAmount: 390 },
    ],
    amount: 1290,
    vat: 215,
    currency: 'EUR',
    expiresAt: EXPIRES,
    now: NOW,
    csrfToken: 'csrf-token-123',
    actions: { identify: '/checkout/s1/identify', cancel: '/checkout/s1/cancel' },
    ...overrides,
  };
}

export function authenticationView(overrides: Partial<CheckoutView> = {}): CheckoutView {
  return purchaseView({ kind: 'authentication', items: [], amount: 0, vat: 0, ...overrides });
}

/** Le Kiosque asks for "read for an hour, up to €2.00": an allowance ticket's page, ending an hour after {@link NOW}. */
export function allowanceView(overrides: Partial<CheckoutView> = {}): CheckoutView {
  return purchaseView({
    kind: 'allowance',
    merchantName: 'Le Kiosque',
    serial: 'HOUR-7',
    items: [],
    amount: 200,
    vat: 0,
    allowance: { expiresAt: NOW.getTime() / 1000 + 3600 },
    ...overrides,
  });
}

export function confirmView(overrides: Partial<ConfirmOnPhoneView> = {}): ConfirmOnPhoneView {
  return {
    kind: 'purchase',
    merchantName: 'Librairie du Port',
    amount: 1290,
    currency: 'EUR',
    expiresAt: new Date('2026-03-02T14:25:00Z'),
    now: NOW,
    csrfToken: 'csrf-token-123',
    actions: { refresh: '/checkout/s1', cancel: '/checkout/s1/cancel' },
    ...overrides,
  };
}

export function pendingView(overrides: Partial<PendingBankView> = {}): PendingBankView {
  return {
    merchantName: 'Librairie du Port',
    amount: 12_900,
    currency: 'EUR',
    actions: { refresh: '/checkout/s1' },
    now: NOW,
    ...overrides,
  };
}

export function resultView(overrides: Partial<ResultRedirectView> = {}): ResultRedirectView {
  return {
    outcome: 'paid',
    merchantName: 'Librairie du Port',
    url: 'https://shop.example/caisse/return?voucher=eyJhbGciOiJFZERTQSJ9.e30.c2ln&x=1',
    now: NOW,
    ...overrides,
  };
}

export function refusalView(overrides: Partial<RefusalView> = {}): RefusalView {
  return { reason: 'insufficient_funds', now: NOW, ...overrides };
}

export function errorView(overrides: Partial<ErrorView> = {}): ErrorView {
  return { status: 404, code: 'session_unknown', now: NOW, ...overrides };
}

export function historyView(overrides: Partial<HistoryView> = {}): HistoryView {
  return {
    csrfToken: 'csrf-token-123',
    actions: { identify: '/account/identify', period: '/account', signOut: '/account/sign-out' },
    customer: { account: 'alice' },
    period: { from: '2026-02-01', to: '2026-02-28' },
    payments: [
      {
        at: new Date('2026-02-20T09:15:00Z'),
        merchantName: 'Librairie du Port',
        serial: 'CMD-7',
        amount: 1290,
        refunded: 0,
        currency: 'EUR',
        status: 'authorised',
      },
      {
        at: new Date('2026-02-12T18:02:00Z'),
        merchantName: 'Kiosque',
        serial: 'K-1',
        amount: 250,
        refunded: 0,
        currency: 'EUR',
        status: 'held',
      },
      {
        at: new Date('2026-02-11T10:30:00Z'),
        merchantName: 'Librairie du Port',
        serial: 'CMD-5',
        amount: 4000,
        refunded: 1200,
        currency: 'EUR',
        status: 'released',
      },
      {
        at: new Date('2026-02-10T08:00:00Z'),
        merchantName: 'Kiosque',
        serial: 'K-0',
        amount: 990,
        refunded: 990,
        currency: 'EUR',
        status: 'authorised',
      },
      {
        at: new Date('2026-02-05T12:00:00Z'),
        merchantName: 'Uhren AG',
        serial: 'U-9',
        amount: 5000,
        refunded: 0,
        currency: 'CHF',
        status: 'authorised',
      },
      {
        at: new Date('2026-02-03T12:00:00Z'),
        merchantName: 'Forum',
        serial: 'F-1',
        amount: 0,
        refunded: 0,
        currency: 'EUR',
        status: 'authenticated',
      },
    ],
    now: NOW,
    ...overrides,
  };
}

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);

/** The attributes of one start tag, by name. Values are as written (escaped). */
export function attributes(tag: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  const inner = tag.replace(/^<[a-zA-Z0-9-]+/, '').replace(/\/?>$/, '');
  for (const match of inner.matchAll(/([^\s=]+)(?:="([^"]*)")?/g)) attrs[match[1] as string] = match[2] ?? '';
  return attrs;
}

/** Every start tag of an element, e.g. all `<input …>`. */
export function startTags(html: string, name: string): string[] {
  return [...html.matchAll(new RegExp(`<${name}\\b[^>]*>`, 'g'))].map((match) => match[0]);
}

/** Every start tag of the document (not the doctype). */
export function allStartTags(html: string): string[] {
  return [...html.matchAll(/<[a-zA-Z][^>]*>/g)].map((match) => match[0]);
}

/** The text content of the first element `name` (tags removed, whitespace collapsed). */
export function textOf(html: string, name: string): string {
  const match = new RegExp(`<${name}\\b[^>]*>([\\s\\S]*?)</${name}>`).exec(html);
  return match ? plain(match[1] as string) : '';
}

const INLINE = /^<\/?(?:a|b|bdi|em|span|strong|time)\b/;

/** Tags removed (block tags leave a space), entities of the escaper decoded, no-break spaces and runs of whitespace as one space. */
export function plain(html: string): string {
  return html
    .replace(/<[^>]*>/g, (tag) => (INLINE.test(tag) ? '' : ' '))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[\s\u00a0\u202f]+/g, ' ')
    .trim();
}

/** The visible text of the page body, for "says X" assertions. */
export function bodyText(html: string): string {
  return plain(/<body>([\s\S]*)<\/body>/.exec(html)?.[1] ?? '');
}

/** The `<main>` part of a page. */
export function mainOf(html: string): string {
  return /<main\b[^>]*>([\s\S]*)<\/main>/.exec(html)?.[1] ?? '';
}

/**
 * The structural facts every page must have: a document in the given language with the
 * viewport meta, the stylesheet and no inline style or script; one `<h1>` inside one
 * `<main>`; the skip link's target; balanced tags; unique ids; every visible input
 * labelled by a `<label for>`; every `aria-describedby`/`aria-labelledby` pointing at
 * an existing id; no remote resource.
 */
export function expectWellFormedPage(html: string, locale: string): void {
  expect(html.startsWith('<!doctype html>\n')).toBe(true);
  expect(startTags(html, 'html')).toEqual([expect.stringContaining(`lang="${locale}"`)]);
  expect(html).toContain('<meta charset="utf-8">');
  expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  expect(textOf(html, 'title').length).toBeGreaterThan(0);

  // CSP `default-src 'none'; style-src 'self'`: no inline style, no script, no event handler.
  expect(html).not.toMatch(/<style\b/i);
  expect(html).not.toMatch(/<script\b/i);
  for (const tag of allStartTags(html)) {
    for (const name of Object.keys(attributes(tag))) {
      expect(name, tag).not.toMatch(/^(?:on.*|style|autofocus|formaction|srcdoc)$/i);
    }
  }
  expect(html).not.toMatch(/<(?:img|iframe|object|embed|base|frame)\b/i);
  expect(html).not.toMatch(/http-equiv/i);
  for (const link of startTags(html, 'link')) {
    const href = attributes(link).href ?? '';
    expect(href.startsWith('/') || href.startsWith('data:')).toBe(true);
  }

  expect(startTags(html, 'h1')).toHaveLength(1);
  expect(startTags(html, 'main')).toHaveLength(1);
  expect(mainOf(html)).toMatch(/<h1>/);
  expect(html).toContain('<a class="skip-link" href="#main">');
  expect(html).toContain('<main id="main" tabindex="-1">');

  // Balanced tags.
  const stack: string[] = [];
  for (const match of html.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*>/g)) {
    const [, closing, rawName] = match;
    const name = (rawName as string).toLowerCase();
    if (VOID.has(name)) continue;
    if (closing) expect(`</${stack.pop()}>`).toBe(`</${name}>`);
    else stack.push(name);
  }
  expect(stack).toEqual([]);

  // Ids unique; references resolve.
  const ids = [...html.matchAll(/\sid="([^"]*)"/g)].map((match) => match[1] as string);
  expect(new Set(ids).size).toBe(ids.length);
  for (const match of html.matchAll(/\saria-(?:describedby|labelledby)="([^"]*)"/g)) {
    for (const id of (match[1] as string).split(' ')) expect(ids).toContain(id);
  }
  for (const match of html.matchAll(/\shref="#([^"]*)"/g)) expect(ids).toContain(match[1]);

  // Every visible input is labelled by exactly one <label for>.
  const labelFors = startTags(html, 'label').map((label) => attributes(label).for);
  for (const input of startTags(html, 'input')) {
    const attrs = attributes(input);
    if (attrs.type === 'hidden') continue;
    expect(attrs.id, input).toBeTruthy();
    expect(
      labelFors.filter((target) => target === attrs.id),
      input,
    ).toHaveLength(1);
  }
  // Every label points at a control on the page.
  for (const target of labelFors) expect(ids).toContain(target);
  // Every form posts or gets to this server, and every POST form carries the CSRF token.
  for (const form of startTags(html, 'form')) {
    const attrs = attributes(form);
    expect(attrs.action?.startsWith('/')).toBe(true);
    expect(['get', 'post']).toContain(attrs.method);
  }
  for (const match of html.matchAll(/<form\b[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/g)) {
    expect(match[1]).toMatch(/<input type="hidden" name="csrf" value="[^"]+">/);
  }
  for (const match of html.matchAll(/<form\b[^>]*method="get"[^>]*>([\s\S]*?)<\/form>/g)) {
    expect(match[1]).not.toContain('name="csrf"');
  }
}
