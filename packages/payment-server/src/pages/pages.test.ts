import { REFUSAL_REASONS, type RefusalReason } from '@caisse/protocol';
import { describe, expect, test } from 'vitest';
import {
  CHECKOUT_CSS_HREF,
  CHECKOUT_CSS_INTEGRITY,
  checkoutPage,
  confirmOnPhonePage,
  ERROR_PAGE_CODES,
  errorPage,
  historyPage,
  LOCALES,
  type Locale,
  MESSAGES,
  pendingBankPage,
  refusalPage,
  resultRedirectPage,
  totalsByCurrency,
} from './index.js';
import {
  allowanceView,
  attributes,
  authenticationView,
  bodyText,
  confirmView,
  errorView,
  expectWellFormedPage,
  historyView,
  mainOf,
  NOW,
  pendingView,
  plain,
  purchaseView,
  refusalView,
  resultView,
  startTags,
  textOf,
} from './test-support.js';

const REASONS = Object.keys(REFUSAL_REASONS) as RefusalReason[];
/** {@link NOW} in seconds since the epoch, as allowance terms write times. */
const NOW_S = NOW.getTime() / 1000;

/** Every page in both languages, for the checks that hold everywhere. */
const ALL_PAGES: [string, (locale: Locale) => string][] = [
  ['checkout', (locale) => checkoutPage(purchaseView(), locale)],
  [
    'checkout with errors',
    (locale) => checkoutPage(purchaseView({ error: { code: 'missing', fields: ['account', 'accessKey'] } }), locale),
  ],
  ['checkout, wrong key', (locale) => checkoutPage(purchaseView({ error: { code: 'credentials_invalid', attemptsLeft: 2 } }), locale)],
  [
    'checkout, deferred with requested data',
    (locale) => checkoutPage(purchaseView({ fulfilment: 'deferred', requested: ['shipping_address', 'email', 'name'] }), locale),
  ],
  [
    'checkout, requested data wrong',
    (locale) =>
      checkoutPage(
        purchaseView({
          requested: ['shipping_address', 'email'],
          sharedForm: { values: { email: 'x' }, errors: { email: 'invalid', shippingLine1: 'required' } },
        }),
        locale,
      ),
  ],
  ['authentication', (locale) => checkoutPage(authenticationView({ requested: ['email'] }), locale)],
  ['allowance', (locale) => checkoutPage(allowanceView({ allowance: { expiresAt: 1_772_466_000, period: 'day', chargeCap: 50 } }), locale)],
  [
    'allowance, phone named',
    (locale) => checkoutPage(allowanceView({ actions: { identify: '/i', cancel: '/c', phone: '/checkout/s1/phone' } }), locale),
  ],
  ['confirm on phone', (locale) => confirmOnPhonePage(confirmView(), locale)],
  [
    'confirm allowance on phone',
    (locale) => confirmOnPhonePage(confirmView({ kind: 'allowance', allowance: { expiresAt: 1_772_466_000 }, amount: 200 }), locale),
  ],
  ['confirm sign-in on phone', (locale) => confirmOnPhonePage(confirmView({ kind: 'authentication', amount: 0 }), locale)],
  ['pending bank', (locale) => pendingBankPage(pendingView(), locale)],
  ['result', (locale) => resultRedirectPage(resultView(), locale)],
  ...REASONS.map((reason): [string, (locale: Locale) => string] => [
    `refusal ${reason}`,
    (locale) =>
      refusalPage(refusalView({ reason, merchantName: 'Librairie', returnUrl: 'https://shop.example/cancel?refusal=abc' }), locale),
  ]),
  ...ERROR_PAGE_CODES.map((code): [string, (locale: Locale) => string] => [
    `error ${code}`,
    (locale) => errorPage(errorView({ code, status: 400, retryUrl: '/checkout/s1' }), locale),
  ]),
  ['history', (locale) => historyPage(historyView(), locale)],
  ['history, empty', (locale) => historyPage(historyView({ payments: [] }), locale)],
  [
    'history, bad period',
    (locale) => historyPage(historyView({ periodError: 'period_invalid', period: { from: 'x', to: '2026-01-01' } }), locale),
  ],
  ['history, sign in', (locale) => historyPage(historyView({ customer: undefined, payments: undefined }), locale)],
  [
    'history, sign in error',
    (locale) => historyPage(historyView({ customer: undefined, identifyError: { code: 'credentials_invalid' }, account: 'bob' }), locale),
  ],
];

describe.each(LOCALES)('every page in %s', (locale) => {
  test.each(ALL_PAGES)('%s is well formed and accessible', (_name, render) => {
    expectWellFormedPage(render(locale), locale);
  });

  test.each(ALL_PAGES)('%s links the versioned stylesheet with its integrity, and the footer names the operator', (_name, render) => {
    const html = render(locale);
    expect(startTags(html, 'link')[0]).toBe(`<link rel="stylesheet" href="${CHECKOUT_CSS_HREF}" integrity="${CHECKOUT_CSS_INTEGRITY}">`);
    expect(plain(/<footer[^>]*>([\s\S]*)<\/footer>/.exec(html)?.[1] ?? '')).toContain('Caisse');
    expect(textOf(html, 'title')).toMatch(/ – Caisse$/);
  });
});

describe('checkoutPage', () => {
  test('shows merchant, serial, each line with quantity, unit price and line total, VAT, total and expiry', () => {
    const html = checkoutPage(purchaseView(), 'en');
    const text = bodyText(html);
    expect(textOf(html, 'h1')).toBe('Pay Librairie du Port');
    expect(text).toContain('Order CMD-2026-0042');
    expect(text).toContain('L’Étranger — Albert Camus 2 × €4.50 Subtotal: €9.00');
    expect(text).toContain('Marque-page 1 × €3.90 Subtotal: €3.90');
    expect(text).toContain('Including VAT €2.15');
    expect(text).toContain('Total €12.90');
    expect(html).toContain('<dd class="grand num">€12.90</dd>');
    expect(text).toContain('This page expires at 14:35 UTC (in 15 minutes).');
    expect(html).toContain('<time datetime="2026-03-02T14:35:00.000Z">');
    expect(textOf(html, 'button')).toBe('Pay €12.90');
  });

  test('in French: French words, French amounts, time in the chosen zone', () => {
    const html = checkoutPage(purchaseView({ timeZone: 'Europe/Paris' }), 'fr');
    const text = bodyText(html);
    expect(textOf(html, 'h1')).toBe('Payer Librairie du Port');
    expect(text).toContain('Commande CMD-2026-0042');
    expect(text).toContain('2 × 4,50 € Sous-total : 9,00 €');
    expect(text).toContain('Dont TVA 2,15 €');
    expect(text).toContain('Total 12,90 €');
    expect(text).toContain('Cette page expire à 15:35 UTC+1 (dans 15 minutes).');
    expect(text).toContain('Identifiant de compte');
    expect(text).toContain('Clé d’accès');
    expect(text).toContain('Payer 12,90 €');
    expect(text).toContain('Annuler et revenir chez Librairie du Port');
    expect(text).not.toMatch(/\b(Pay|Order|Cancel|Account ID|Access key)\b/);
  });

  test('the identification form posts account and accessKey with the CSRF token, with the right autocomplete', () => {
    const html = checkoutPage(purchaseView({ account: 'alice' }), 'en');
    const form = /<form[^>]*aria-labelledby="identify-heading"[^>]*>([\s\S]*?)<\/form>/.exec(html);
    expect(form).not.toBeNull();
    expect(attributes(form?.[0] ?? '')).toMatchObject({ method: 'post', action: '/checkout/s1/identify', novalidate: '' });
    const inputs = startTags(form?.[1] ?? '', 'input').map(attributes);
    expect(inputs).toEqual([
      expect.objectContaining({ type: 'hidden', name: 'csrf', value: 'csrf-token-123' }),
      expect.objectContaining({ type: 'text', name: 'account', id: 'account', autocomplete: 'username', value: 'alice', required: '' }),
      expect.objectContaining({ type: 'password', name: 'accessKey', id: 'access-key', autocomplete: 'current-password', required: '' }),
      expect.objectContaining({ type: 'checkbox', name: 'usePoints', id: 'use-points', value: 'yes' }),
    ]);
    expect(inputs[2]).not.toHaveProperty('value');
    expect(html).not.toContain('aria-invalid');
    expect(html).not.toContain('role="alert"');
    expect(textOf(html, 'label')).toBe('Account ID');
  });

  test('"Use my loyalty points": unticked unless the customer ticked it, just above "Pay", described by its hint; no box to sign in', () => {
    const box = (html: string) => attributes(startTags(html, 'input').find((tag) => tag.includes('id="use-points"')) ?? '');
    const html = checkoutPage(purchaseView(), 'en');
    expect(box(html)).not.toHaveProperty('checked');
    expect(box(html)['aria-describedby']).toBe('use-points-hint');
    expect(html).toMatch(/<label for="use-points">Use my loyalty points<\/label>[\s\S]*?<div class="actions">\s*<button[^>]*>Pay €12.90/);
    expect(bodyText(html)).toContain(
      'Your points pay first, up to the total; the rest is paid as usual. A refund gives money back before points.',
    );
    expect(box(checkoutPage(purchaseView({ usePoints: true }), 'en'))).toHaveProperty('checked', '');
    expect(bodyText(checkoutPage(purchaseView(), 'fr'))).toContain('Utiliser mes points de fidélité');
    expect(checkoutPage(authenticationView(), 'en')).not.toContain('usePoints');
  });

  test('the cancel form posts to the cancel action with the CSRF token: "Cancel and return to <merchant>"', () => {
    const html = checkoutPage(purchaseView(), 'en');
    const cancel = /<form method="post" action="\/checkout\/s1\/cancel"[^>]*>([\s\S]*?)<\/form>/.exec(html);
    expect(cancel?.[1]).toContain('<input type="hidden" name="csrf" value="csrf-token-123">');
    expect(plain(cancel?.[1] ?? '')).toBe('Cancel and return to Librairie du Port');
  });

  test('a wrong access key: announced, attempts left, both fields invalid and described by the message, title says Error', () => {
    const html = checkoutPage(purchaseView({ error: { code: 'credentials_invalid', attemptsLeft: 1 } }), 'en');
    expect(textOf(html, 'title')).toBe('Error: Pay Librairie du Port – Caisse');
    const alert = /<div class="error-summary" role="alert"[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '';
    expect(plain(alert)).toContain('The account ID or the access key is not right. 1 attempt left before the account is locked.');
    for (const id of ['account', 'access-key']) {
      const input = attributes(startTags(html, 'input').find((tag) => tag.includes(`id="${id}"`)) ?? '');
      expect(input['aria-invalid']).toBe('true');
      expect(input['aria-describedby']?.split(' ')).toContain('identify-error-message');
    }
  });

  test('a wrong access key in French, plural', () => {
    const html = checkoutPage(purchaseView({ error: { code: 'credentials_invalid', attemptsLeft: 3 } }), 'fr');
    expect(textOf(html, 'title')).toMatch(/^Erreur : Payer/);
    expect(bodyText(html)).toContain('Il reste 3 essais avant le blocage du compte.');
  });

  test('without attempts left the message does not count them', () => {
    const html = checkoutPage(purchaseView({ error: { code: 'credentials_invalid' } }), 'en');
    expect(bodyText(html)).not.toContain('attempt');
  });

  test('missing fields: each field has its own error, linked from the summary, and only that field is invalid', () => {
    const html = checkoutPage(purchaseView({ error: { code: 'missing', fields: ['accessKey'] } }), 'en');
    expect(html).toContain('<li><a href="#access-key">Enter your access key.</a></li>');
    expect(html).toContain('<p class="field-error" id="access-key-error">Enter your access key.</p>');
    const key = attributes(startTags(html, 'input').find((tag) => tag.includes('id="access-key"')) ?? '');
    expect(key['aria-invalid']).toBe('true');
    expect(key['aria-describedby']).toBe('access-key-hint access-key-error');
    const account = attributes(startTags(html, 'input').find((tag) => tag.includes('id="account"')) ?? '');
    expect(account['aria-invalid']).toBeUndefined();
    expect(html).not.toContain('account-error');
  });

  test('throttled: says to wait', () => {
    const html = checkoutPage(purchaseView({ error: { code: 'too_many_requests' } }), 'fr');
    expect(bodyText(html)).toContain('Attendez une minute');
  });

  test('an authentication ticket says "Sign in to <merchant>", shows no amount and no "Pay"', () => {
    for (const [locale, heading, button, pay] of [
      ['en', 'Sign in to Librairie du Port', 'Sign in', /\bPay\b/],
      ['fr', 'Se connecter à Librairie du Port', 'Se connecter', /\bPayer\b/],
    ] as const) {
      const html = checkoutPage(authenticationView(), locale);
      expect(textOf(html, 'h1')).toBe(heading);
      expect(textOf(html, 'title')).toBe(`${heading} – Caisse`);
      expect(textOf(html, 'button')).toBe(button);
      expect(bodyText(html)).not.toMatch(pay);
      expect(bodyText(html)).not.toContain('€');
      expect(html).not.toContain('class="items"');
    }
    expect(bodyText(checkoutPage(authenticationView(), 'en'))).toContain('No money is taken.');
  });

  test('requested data is asked for once each, inside the identification form, with the consent said; nothing when nothing is asked', () => {
    const html = checkoutPage(
      purchaseView({
        requested: ['shipping_address', 'email', 'shipping_address'],
        actions: { identify: '/i', cancel: '/c', phone: '/p' },
      }),
      'en',
    );
    const form = /<form method="post" action="\/i"[\s\S]*?<\/form>/.exec(html)?.[0] ?? '';
    expect(startTags(form, 'input').filter((tag) => tag.includes('name="shippingLine1"'))).toHaveLength(1);
    expect(form).toContain('autocomplete="email"');
    expect(form).not.toContain('name="name"');
    expect(plain(form)).toContain('By confirming, you agree to share these details with Librairie du Port, and nothing else about you.');
    // The phone button sends the same form, after "Pay" (so Enter identifies), and is no separate form.
    expect(form).toMatch(/Pay[\s\S]*formaction="\/p"/);
    expect(html).not.toContain(' action="/p"');
    const plainPage = checkoutPage(purchaseView(), 'en');
    expect(plainPage).not.toContain('shared-consent');
    expect(plainPage).not.toContain('autocomplete="shipping');
  });

  test('requested data comes back with the values typed and each error next to its field', () => {
    const html = checkoutPage(
      purchaseView({
        requested: ['shipping_address'],
        sharedForm: {
          values: { shippingName: 'Ada "<b>"', shippingCountry: 'GBR' },
          errors: { shippingCountry: 'invalid', shippingCity: 'required' },
        },
      }),
      'fr',
    );
    expect(html).toContain('value="Ada &quot;&lt;b&gt;&quot;"');
    expect(html).toContain('<p class="field-error" id="shipping-city-error" data-code="required">Saisissez la ville.</p>');
    expect(html).toMatch(/id="shipping-country"[^>]*aria-describedby="shipping-country-hint shipping-country-error" aria-invalid="true"/);
    expect(html).toContain('<a href="#shipping-country">Saisissez le pays en deux lettres, par exemple FR ou BE.</a>');
  });

  test('deferred delivery says the money is held until delivery', () => {
    expect(bodyText(checkoutPage(purchaseView({ fulfilment: 'deferred' }), 'en'))).toContain(
      'Your money is held until Librairie du Port confirms delivery',
    );
    expect(bodyText(checkoutPage(purchaseView({ fulfilment: 'immediate' }), 'en'))).not.toContain('held');
  });

  test('the operator name, help link and language switch come from the view', () => {
    const html = checkoutPage(
      purchaseView({
        operatorName: 'Banque Lumière',
        supportUrl: 'https://help.example/caisse',
        languageLinks: { fr: '/checkout/s1?lang=fr' },
      }),
      'en',
    );
    expect(textOf(html, 'title')).toBe('Pay Librairie du Port – Banque Lumière');
    expect(html).toContain('<p class="operator">Banque Lumière</p>');
    expect(html).toContain('<a href="/checkout/s1?lang=fr" lang="fr" hreflang="fr">Français</a>');
    expect(html).toContain('<nav class="lang-switch" aria-label="Language">');
    expect(html).toContain('<a href="https://help.example/caisse" rel="noreferrer">Help from Banque Lumière</a>');
    expect(bodyText(html)).toContain('The identifier of your Banque Lumière account.');
  });

  test('a link to the page itself in the current language is not offered', () => {
    expect(checkoutPage(purchaseView({ languageLinks: { en: '/checkout/s1?lang=en' } }), 'en')).not.toContain('lang-switch');
  });

  test('actions that leave this server are a bug in the route: rendering throws', () => {
    for (const action of [
      'https://evil.example/steal',
      '//evil.example/x',
      'javascript:alert(1)',
      '/\\evil.example',
      'relative/path',
      '/a b',
    ]) {
      expect(() => checkoutPage(purchaseView({ actions: { identify: action, cancel: '/c' } }), 'en'), action).toThrow(TypeError);
      expect(() => confirmOnPhonePage(confirmView({ actions: { refresh: action, cancel: '/c' } }), 'en'), action).toThrow(TypeError);
    }
    expect(() => checkoutPage(purchaseView({ languageLinks: { fr: '//evil.example' } }), 'en')).toThrow(TypeError);
  });
});

describe('checkoutPage for an allowance', () => {
  test('says what is granted, to whom, until when, instead of lines and total; the button allows the maximum; no points', () => {
    const html = checkoutPage(allowanceView(), 'en');
    const text = bodyText(html);
    expect(textOf(html, 'title')).toBe('Give Le Kiosque an allowance – Caisse');
    expect(textOf(html, 'h1')).toBe('Give Le Kiosque an allowance');
    expect(text).toContain('Le Kiosque asks for an allowance: up to €2.00 until 2 Mar 2026, 15:20 UTC.');
    expect(html).toContain('<time datetime="2026-03-02T15:20:00.000Z">');
    expect(text).toContain('Within these limits, Le Kiosque charges you without asking again; what it does not use stays yours.');
    expect(text).toContain('An allowance is confirmed on your phone, with your PIN: you need a phone enrolled with Caisse.');
    expect(text).not.toMatch(/Your order|Including VAT|Total|renews|per charge/);
    expect(textOf(html, 'button')).toBe('Allow up to €2.00');
    expect(html).not.toContain('usePoints');
  });

  test('a recurring allowance with a per-charge cap says both, in English and in French', () => {
    const terms = { allowance: { expiresAt: NOW_S + 7 * 86_400, period: 'day', chargeCap: 50 } } as const;
    const en = bodyText(checkoutPage(allowanceView(terms), 'en'));
    expect(en).toContain('up to €2.00 until 9 Mar 2026, 14:20 UTC. It renews each day. At most €0.50 per charge.');
    const fr = checkoutPage(allowanceView({ ...terms, timeZone: 'Europe/Paris' }), 'fr');
    expect(textOf(fr, 'h1')).toBe('Accorder une provision à Le Kiosque');
    expect(bodyText(fr)).toContain(
      'Le Kiosque vous demande une provision : jusqu’à 2,00 €, valable jusqu’au 9 mars 2026, 15:20 UTC+1. Elle se renouvelle chaque jour. Au plus 0,50 € par paiement.',
    );
    expect(bodyText(fr)).toContain('Une provision se confirme sur votre téléphone, avec votre code');
    expect(bodyText(fr)).toContain('Autoriser jusqu’à 2,00 €');
    expect(bodyText(fr)).not.toMatch(/\b(Pay|Payer|Total)\b/);
  });

  test('"Confirm on my phone" for a named customer, with no points; an allowance page without its terms is a bug', () => {
    const html = checkoutPage(allowanceView({ actions: { identify: '/i', cancel: '/c', phone: '/checkout/s1/phone' } }), 'en');
    expect(textOf(html, 'button')).toBe('Confirm on my phone');
    expect(html).not.toContain('usePoints');
    expect(() => checkoutPage(allowanceView({ allowance: undefined }), 'en')).toThrow(TypeError);
  });
});

describe('confirmOnPhonePage', () => {
  test('shows payee, amount and the time to confirm by, a "Check again" link and the cancel form', () => {
    const html = confirmOnPhonePage(confirmView({ operatorName: 'Banque Lumière' }), 'en');
    const text = bodyText(html);
    expect(textOf(html, 'h1')).toBe('Confirm on your phone');
    expect(text).toContain('Open your Banque Lumière app');
    expect(text).toContain('Paid to Librairie du Port');
    expect(text).toContain('Amount €12.90');
    expect(text).toContain('Confirm before 14:25 UTC (in 5 minutes).');
    expect(text).toContain('This page does not update by itself');
    expect(html).toContain('<a class="button button-primary" href="/checkout/s1">Check again</a>');
    expect(html).toContain('<form method="post" action="/checkout/s1/cancel" class="inline-form">');
    expect(html).toContain('<span class="spinner" aria-hidden="true"></span>');
  });

  test('in French; for a sign-in, no amount', () => {
    const html = confirmOnPhonePage(confirmView(), 'fr');
    expect(textOf(html, 'h1')).toBe('Confirmez sur votre téléphone');
    expect(bodyText(html)).toContain('Montant 12,90 €');
    expect(bodyText(html)).toContain('Vérifier à nouveau');
    const signIn = confirmOnPhonePage(confirmView({ kind: 'authentication', amount: 0 }), 'fr');
    expect(bodyText(signIn)).toContain('Connexion à Librairie du Port');
    expect(bodyText(signIn)).not.toContain('€');
  });

  test('for an allowance: what the phone asks to grant, in English and in French', () => {
    const view = confirmView({
      kind: 'allowance',
      merchantName: 'Le Kiosque',
      amount: 200,
      allowance: { expiresAt: NOW_S + 3600, period: 'week' },
    });
    const en = bodyText(confirmOnPhonePage(view, 'en'));
    expect(en).toContain('check to whom you give the allowance and how much, then approve with your PIN.');
    expect(en).toContain('Le Kiosque asks for an allowance: up to €2.00 until 2 Mar 2026, 15:20 UTC. It renews each week.');
    expect(en).not.toMatch(/Paid to|Amount/);
    const fr = bodyText(confirmOnPhonePage(view, 'fr'));
    expect(fr).toContain('vérifiez à qui vous accordez la provision et son montant');
    expect(fr).toContain('Le Kiosque vous demande une provision : jusqu’à 2,00 €, valable jusqu’au 2 mars 2026, 15:20 UTC.');
    expect(fr).toContain('Elle se renouvelle chaque semaine.');
  });

  test('once the deadline has passed, the time is shown without a relative part', () => {
    const html = confirmOnPhonePage(confirmView({ now: new Date('2026-03-02T14:30:00Z') }), 'en');
    expect(bodyText(html)).toContain('Confirm before 14:25 UTC.');
  });
});

describe('pendingBankPage', () => {
  test('waiting for the bank, charged at most once, a "Check again" link, no form', () => {
    for (const [locale, heading, amount] of [
      ['en', 'Waiting for your bank', '€129.00'],
      ['fr', 'En attente de votre banque', '129,00 €'],
    ] as const) {
      const html = pendingBankPage(pendingView(), locale);
      expect(textOf(html, 'h1')).toBe(heading);
      expect(bodyText(html)).toContain(amount);
      expect(html).toContain('href="/checkout/s1"');
      expect(html).not.toContain('<form');
    }
    expect(bodyText(pendingBankPage(pendingView(), 'en'))).toContain('You are charged at most once');
  });
});

describe('resultRedirectPage', () => {
  test('one "Return to <merchant>" link to the URL, escaped, without referrer, and no automatic redirect', () => {
    const html = resultRedirectPage(resultView(), 'en');
    expect(textOf(html, 'h1')).toBe('Payment accepted');
    expect(html).toContain(
      '<a class="button button-primary" href="https://shop.example/caisse/return?voucher=eyJhbGciOiJFZERTQSJ9.e30.c2ln&amp;x=1" rel="noreferrer">Return to <bdi>Librairie du Port</bdi></a>',
    );
    expect(html).not.toMatch(/refresh/i);
    expect(html).not.toContain('<form');
  });

  test('every outcome has its heading in both languages', () => {
    for (const outcome of ['paid', 'held', 'authenticated', 'refused', 'cancelled'] as const) {
      const en = textOf(resultRedirectPage(resultView({ outcome }), 'en'), 'h1');
      const fr = textOf(resultRedirectPage(resultView({ outcome }), 'fr'), 'h1');
      expect(en).toBeTruthy();
      expect(fr).toBeTruthy();
      expect(fr).not.toBe(en);
    }
    expect(bodyText(resultRedirectPage(resultView(), 'fr'))).toContain('Revenir chez Librairie du Port');
  });

  test('refuses to link anywhere but an https merchant URL (http only on loopback)', () => {
    for (const url of [
      'javascript:alert(1)',
      'data:text/html,x',
      'http://shop.example/return',
      '//shop.example/x',
      '/local',
      'https://user:pw@shop.example/',
    ]) {
      expect(() => resultRedirectPage(resultView({ url }), 'en'), url).toThrow(TypeError);
    }
    expect(resultRedirectPage(resultView({ url: 'http://localhost:3000/return?v=1' }), 'en')).toContain(
      'href="http://localhost:3000/return?v=1"',
    );
  });

  test('accepts a return URL carrying a whole voucher (longer than a bare URL may be)', () => {
    const url = `https://shop.example/return?voucher=${'a'.repeat(8000)}`;
    expect(resultRedirectPage(resultView({ url }), 'en')).toContain(url);
  });
});

describe('refusalPage', () => {
  test.each(REASONS)('%s: explained in words in both languages, with what to do and the code', (reason) => {
    for (const locale of LOCALES) {
      const html = refusalPage(refusalView({ reason }), locale);
      const messages = MESSAGES[locale];
      const text = bodyText(html);
      expect(textOf(html, 'h1')).toBe(plain(messages[`refusal.${reason}.title`]));
      expect(text).toContain(plain(messages[`refusal.${reason}.what`].replace('{operator}', 'Caisse').replace('{limit}', '5')));
      expect(text).toContain(plain(messages[`refusal.${reason}.next`].replace('{operator}', 'Caisse')));
      expect(text).toContain(reason);
      expect(textOf(html, 'title')).toMatch(locale === 'en' ? /^Error: / : /^Erreur : /);
    }
  });

  test('with a trusted merchant and its cancel URL: a link back to the merchant', () => {
    const html = refusalPage(
      refusalView({ reason: 'bank_declined', merchantName: 'Librairie du Port', returnUrl: 'https://shop.example/cancel?refusal=abc' }),
      'fr',
    );
    expect(html).toContain('href="https://shop.example/cancel?refusal=abc" rel="noreferrer">Revenir chez <bdi>Librairie du Port</bdi></a>');
    expect(bodyText(html)).not.toContain('bouton Retour');
  });

  test('when the ticket could not be trusted there is no URL: go back with the browser', () => {
    for (const view of [
      refusalView({ reason: 'merchant_unknown' }),
      refusalView({ reason: 'ticket_invalid', returnUrl: 'https://shop.example/cancel' }),
      refusalView({ reason: 'ticket_invalid', merchantName: 'Shop', returnUrl: 'javascript:alert(1)' }),
      refusalView({ reason: 'ticket_invalid', merchantName: 'Shop', returnUrl: 'http://shop.example/cancel' }),
    ]) {
      const html = refusalPage(view, 'en');
      expect(bodyText(html)).toContain("Use your browser's Back button to return to the shop.");
      expect(mainOf(html)).not.toContain('href=');
    }
    expect(bodyText(refusalPage(refusalView({ reason: 'merchant_unknown' }), 'en'))).toContain('Do not enter your access key.');
  });

  test('account locked: after 5 wrong access keys, contact the operator, with the help link', () => {
    const html = refusalPage(
      refusalView({ reason: 'account_locked', operatorName: 'Banque Lumière', supportUrl: 'mailto:aide@lumiere.example' }),
      'en',
    );
    expect(textOf(html, 'h1')).toBe('Your account is locked');
    expect(bodyText(html)).toContain('Your account is locked after 5 wrong access keys, to protect it.');
    expect(mainOf(html)).toContain('<a href="mailto:aide@lumiere.example" rel="noreferrer">Contact Banque Lumière to unlock it.</a>');
    const fr = refusalPage(refusalView({ reason: 'account_locked', lockThreshold: 3 }), 'fr');
    expect(bodyText(fr)).toContain('Votre compte est bloqué après 3 clés d’accès erronées');
    expect(bodyText(fr)).toContain('Contactez Caisse pour le débloquer.');
  });

  test('a support URL that is not https or mailto is not linked', () => {
    const html = refusalPage(refusalView({ reason: 'account_locked', supportUrl: 'javascript:alert(1)' }), 'en');
    expect(html).not.toContain('javascript:');
    expect(bodyText(html)).toContain('Contact Caisse to unlock it.');
  });
});

describe('errorPage', () => {
  test('404 session unknown, in both languages', () => {
    const en = errorPage(errorView(), 'en');
    expect(textOf(en, 'h1')).toBe('Payment session not found');
    expect(textOf(en, 'title')).toBe('Error: Payment session not found – Caisse');
    expect(bodyText(en)).toContain('Error 404 · Reference for support: session_unknown');
    const fr = errorPage(errorView(), 'fr');
    expect(bodyText(fr)).toContain('Erreur 404');
  });

  test('403 CSRF: the form expired, reload the page (with a link to reload it)', () => {
    const html = errorPage(errorView({ status: 403, code: 'csrf_invalid', retryUrl: '/checkout/s1' }), 'en');
    expect(textOf(html, 'h1')).toBe('The form has expired');
    expect(bodyText(html)).toContain('Reload the page and try again.');
    expect(html).toContain('<a class="button button-primary" href="/checkout/s1">Reload the page</a>');
  });

  test('404, and any unknown code gets the generic words but still its code', () => {
    expect(textOf(errorPage(errorView({ status: 404, code: 'not_found' }), 'fr'), 'h1')).toBe('Page introuvable');
    const html = errorPage(errorView({ status: 502, code: 'acquirer_down' }), 'en');
    expect(textOf(html, 'h1')).toBe('Something went wrong');
    expect(bodyText(html)).toContain('acquirer_down');
  });

  test('a code that is not a plain code is not shown; the detail is shown escaped; a back link only to https', () => {
    const html = errorPage(
      errorView({ code: '<b>x</b>', detail: '<script>alert(1)</script>', backUrl: 'javascript:alert(1)', retryUrl: undefined }),
      'en',
    );
    expect(html).not.toContain('<b>x');
    expect(html).toContain('Details: &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('javascript:');
    const back = errorPage(errorView({ backUrl: 'https://shop.example/' }), 'en');
    expect(back).toContain('<a class="button button-secondary" href="https://shop.example/" rel="noreferrer">Back to the shop</a>');
  });
});

describe('historyPage', () => {
  test('a table of the period: date, merchant, serial, amount, status, in the locale', () => {
    const html = historyPage(historyView(), 'en');
    expect(textOf(html, 'h1')).toBe('Your payments');
    expect(textOf(html, 'caption')).toBe('Payments from 1 February 2026 to 28 February 2026');
    expect(startTags(html, 'th').map((th) => attributes(th).scope)).toEqual(['col', 'col', 'col', 'col', 'col']);
    const rows = [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((match) => plain(match[1] as string));
    expect(rows).toEqual([
      'Date Merchant Order Amount Status',
      '20 Feb 2026, 09:15 UTC Librairie du Port CMD-7 €12.90 Paid',
      '12 Feb 2026, 18:02 UTC Kiosque K-1 €2.50 Held until delivery',
      '11 Feb 2026, 10:30 UTC Librairie du Port CMD-5 €40.00 Partly refunded: €12.00 of €40.00',
      '10 Feb 2026, 08:00 UTC Kiosque K-0 €9.90 Refunded',
      '5 Feb 2026, 12:00 UTC Uhren AG U-9 CHF 50.00 Paid',
      '3 Feb 2026, 12:00 UTC Forum F-1 €0.00 Sign-in',
    ]);
    expect(html).toContain('<div class="table-scroll" role="region" aria-labelledby="history-caption" tabindex="0">');
  });

  test('totals per currency count paid and held payments net of what was refunded of them', () => {
    const html = historyPage(historyView(), 'en');
    const totals = /<dl class="totals">([\s\S]*?)<\/dl>/.exec(html)?.[1] ?? '';
    // 12.90 + 2.50 + (40.00 − 12.00) + (9.90 − 9.90): the sign-in adds nothing.
    expect(plain(totals)).toBe('Swiss Franc CHF 50.00 Euro €43.40');
    expect(totalsByCurrency(historyView().payments ?? [])).toEqual([
      { currency: 'CHF', amount: 5000 },
      { currency: 'EUR', amount: 4340 },
    ]);
    expect(bodyText(html)).toContain('Totals count paid and held payments, less what was refunded of them; not sign-ins.');
    const given = historyPage(historyView({ totals: [{ currency: 'EUR', amount: 99_999 }] }), 'en');
    expect(plain(/<dl class="totals">([\s\S]*?)<\/dl>/.exec(given)?.[1] ?? '')).toBe('Euro €999.99');
  });

  test('in French', () => {
    const html = historyPage(historyView(), 'fr');
    const text = bodyText(html);
    expect(textOf(html, 'h1')).toBe('Vos paiements');
    expect(textOf(html, 'caption')).toBe('Paiements du 1 février 2026 au 28 février 2026');
    expect(text).toContain('20 févr. 2026, 09:15 UTC Librairie du Port CMD-7 12,90 € Payé');
    expect(text).toContain('Compte alice');
    expect(text).toContain('11 févr. 2026, 10:30 UTC Librairie du Port CMD-5 40,00 € Remboursé en partie : 12,00 € sur 40,00 €');
    expect(text).toContain('10 févr. 2026, 08:00 UTC Kiosque K-0 9,90 € Remboursé');
    expect(text).toContain('euro 43,40 €');
    expect(text).toContain('Se déconnecter');
  });

  test('the period filter is a GET form with from/to dates, without the CSRF token', () => {
    const html = historyPage(historyView(), 'en');
    const form = /<form method="get" action="\/account" novalidate>([\s\S]*?)<\/form>/.exec(html)?.[1] ?? '';
    const inputs = startTags(form, 'input').map(attributes);
    expect(inputs).toEqual([
      expect.objectContaining({ type: 'date', name: 'from', id: 'from', value: '2026-02-01', 'aria-describedby': 'period-hint' }),
      expect.objectContaining({ type: 'date', name: 'to', id: 'to', value: '2026-02-28', 'aria-describedby': 'period-hint' }),
    ]);
    expect(form).toContain('<legend>Period</legend>');
  });

  test('empty state', () => {
    const html = historyPage(historyView({ payments: [] }), 'en');
    expect(bodyText(html)).toContain('No payments from 1 February 2026 to 28 February 2026.');
    expect(html).not.toContain('<table');
    expect(html).not.toContain('class="totals"');
    expect(bodyText(historyPage(historyView({ payments: [] }), 'fr'))).toContain('Aucun paiement du 1 février 2026 au 28 février 2026.');
  });

  test('a bad period: announced, both dates invalid and described by the error, the typed values shown again', () => {
    const html = historyPage(historyView({ periodError: 'period_invalid', period: { from: '2026-03-01', to: '2026-02-01' } }), 'en');
    expect(html).toContain('<p class="field-error" id="period-error" role="alert">');
    for (const input of startTags(html, 'input')
      .filter((tag) => tag.includes('type="date"'))
      .map(attributes)) {
      expect(input['aria-invalid']).toBe('true');
      expect(input['aria-describedby']).toBe('period-hint period-error');
    }
    expect(html).toContain('value="2026-03-01"');
    expect(html).not.toContain('<table');
    expect(textOf(html, 'title')).toMatch(/^Error: /);
  });

  test('before identification: the account form (POST, CSRF, username/current-password), no payments', () => {
    const html = historyPage(historyView({ customer: undefined }), 'en');
    expect(bodyText(html)).toContain('Identify yourself to see your payments.');
    expect(html).toContain('<form method="post" action="/account/identify" novalidate aria-labelledby="identify-heading">');
    expect(html).toContain('autocomplete="username"');
    expect(html).toContain('autocomplete="current-password"');
    expect(textOf(html, 'button')).toBe('Show my payments');
    expect(html).not.toContain('<table');
    expect(html).not.toContain('CMD-7');
    expect(bodyText(historyPage(historyView({ customer: undefined }), 'fr'))).toContain('Afficher mes paiements');
  });
});
