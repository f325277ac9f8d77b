import { describe, expect, it } from 'vitest';
import { CHECKOUT_CSS } from './css.js';
import { historyPage } from './history.js';
import { LOCALES } from './i18n.js';
import type { MoneyView, SpentView } from './money.js';
import type { PlanFormView } from './plan.js';
import { refusalPage } from './refusal.js';
import { attributes, bodyText, expectWellFormedPage, historyView, mainOf, plain, refusalView, startTags } from './test-support.js';

const spent = (overrides: Partial<SpentView> = {}): SpentView => ({
  spent: 7_290,
  wallet: 1_290,
  bank: 6_000,
  ceiling: 30_000,
  remaining: 22_710,
  ...overrides,
});

const MONEY: MoneyView = {
  currencies: [
    {
      currency: 'EUR',
      wallet: { balance: 8_710, available: 8_210, cap: 20_000 },
      points: 72,
      day: spent(),
      month: spent({ ceiling: 100_000, remaining: 92_710 }),
    },
    // Paid through the bank alone: no wallet.
    { currency: 'CHF', points: 0, day: spent({ wallet: 0, spent: 6_000, remaining: 24_000 }), month: spent() },
  ],
};

function planForm(overrides: Partial<PlanFormView> = {}): PlanFormView {
  return {
    action: '/account/plan',
    currency: 'EUR',
    values: { means: 'wallet-first', walletBelow: '50.00', bankWhenShort: false, tapBelow: '0.00', dailyCeiling: '', monthlyCeiling: '' },
    bounds: { walletThreshold: 5_000, tapLimit: 2_000, dailyCeiling: 30_000, monthlyCeiling: 100_000 },
    ...overrides,
  };
}

const accountPage = (overrides: Parameters<typeof historyView>[0], locale: (typeof LOCALES)[number] = 'en') =>
  historyPage(historyView(overrides), locale);

describe('the money and the plan on the account page', () => {
  it.each(LOCALES)('renders a well-formed page in %s with one plan form per currency, every class styled', (locale) => {
    const html = accountPage(
      { money: MONEY, plans: [planForm(), planForm({ currency: 'CHF', errors: { tapBelow: 'over_bound' } })] },
      locale,
    );
    expectWellFormedPage(html, locale);
    expect(startTags(html, 'form').filter((form) => attributes(form).action === '/account/plan')).toHaveLength(2);
    const classes = new Set([...html.matchAll(/\sclass="([^"]*)"/g)].flatMap((match) => (match[1] as string).split(' ')));
    for (const name of classes) expect(CHECKOUT_CSS, name).toMatch(new RegExp(`\\.${name}(?![\\w-])`));
  });

  it('shows the wallet, what is available when some is held, the points and the spending per means', () => {
    const text = bodyText(accountPage({ money: MONEY }));
    expect(text).toContain('Wallet balance €87.10 Available now (some is held for payments in progress) €82.10 Wallet cap €200.00');
    expect(text).toContain('Loyalty points €0.72');
    expect(text).toContain('Today €72.90 €12.90 €60.00 €300.00 €227.10');
    expect(text).toContain('This month €72.90 €12.90 €60.00 €1,000.00 €927.10');
    // A currency without a wallet shows no wallet line.
    expect(text).toContain('Loyalty points CHF 0.00');
    expect(text.match(/Wallet balance/g)).toHaveLength(1);
    expect(bodyText(accountPage({ money: { currencies: [] } }))).toContain('You have no wallet yet.');
  });

  it('shows the bounds next to the fields, and the plan in force checked', () => {
    const html = accountPage({ plans: [planForm({ values: { ...planForm().values, means: 'bank-only', bankWhenShort: true } })] });
    expect(html).toMatch(/<input type="radio" id="plan-eur-means-bank-only" name="means" value="bank-only" checked>/);
    expect(html).toMatch(/name="bankWhenShort" value="yes" checked>/);
    const text = bodyText(html);
    expect(text).toContain('From this amount up, the bank pays. At most €50.00, the limit set by Caisse.');
    expect(text).toContain('0 asks for the PIN every time. At most €20.00, the limit set by Caisse.');
    expect(text).toContain('Leave empty for the ceiling set by Caisse, €300.00. You may only lower it.');
    expect(text).not.toContain('Your plan is saved.');
    expect(bodyText(accountPage({ plans: [planForm({ saved: true })] }))).toContain('Your plan is saved. Your next payments follow it.');
  });

  it('shows each error at its field and in the summary, with what the customer typed, escaped', () => {
    const typed = '"><script>alert(1)</script>';
    const html = accountPage({
      plans: [
        planForm({
          values: { ...planForm().values, means: undefined, walletBelow: typed, dailyCeiling: '400' },
          errors: { means: 'means_invalid', walletBelow: 'over_bound', dailyCeiling: 'over_monthly' },
        }),
      ],
    });
    expectWellFormedPage(html, 'en');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    const summary = /<div class="error-summary" role="alert"[\s\S]*?<\/div>/.exec(mainOf(html))?.[0] ?? '';
    expect(startTags(summary, 'a').map((link) => attributes(link).href)).toEqual([
      '#plan-eur-means',
      '#plan-eur-walletBelow',
      '#plan-eur-dailyCeiling',
    ]);
    expect(plain(summary)).toBe(
      'The plan was not saved Choose which means pays. Enter at most €50.00. The daily ceiling must not be above the monthly ceiling.',
    );
    const walletBelow = startTags(html, 'input').find((input) => attributes(input).name === 'walletBelow') ?? '';
    expect(attributes(walletBelow)).toMatchObject({
      'aria-invalid': 'true',
      'aria-describedby': 'plan-eur-walletBelow-hint plan-eur-walletBelow-error',
    });
    expect(startTags(html, 'input').filter((input) => attributes(input).name === 'means' && 'checked' in attributes(input))).toEqual([]);
  });
});

describe('the refusal page', () => {
  const wallet = { available: 500, currency: 'EUR', topUpUrl: '/account#top-up' };
  const ceiling = { period: 'month' as const, ceiling: 100_000, left: 1_250, currency: 'EUR' };

  it('shows a short wallet its balance and the way to top it up, in each language', () => {
    const en = refusalPage(refusalView({ reason: 'insufficient_funds', wallet }), 'en');
    expectWellFormedPage(en, 'en');
    expect(bodyText(en)).toContain('Your wallet holds €5.00.');
    expect(en).toContain('<a href="/account#top-up">Top up your wallet</a>');
    expect(bodyText(refusalPage(refusalView({ reason: 'insufficient_funds', wallet }), 'fr'))).toContain(
      'Votre porte-monnaie contient 5,00 €.',
    );
  });

  it('says which ceiling and what is left of it', () => {
    expect(bodyText(refusalPage(refusalView({ reason: 'ceiling_exceeded', ceiling }), 'en'))).toContain(
      'Your monthly ceiling is €1,000.00; €12.50 is left this month.',
    );
    expect(bodyText(refusalPage(refusalView({ reason: 'ceiling_exceeded', ceiling: { ...ceiling, period: 'day' } }), 'fr'))).toContain(
      'Votre plafond journalier est de 1 000,00 € ; il reste 12,50 € aujourd’hui.',
    );
  });

  it('shows the money only with the reason it explains, and links only to this server', () => {
    const declined = bodyText(refusalPage(refusalView({ reason: 'customer_declined', wallet, ceiling }), 'en'));
    expect(declined).not.toContain('€');
    expect(bodyText(refusalPage(refusalView({ reason: 'insufficient_funds', ceiling }), 'en'))).not.toContain('ceiling is');
    expect(() =>
      refusalPage(refusalView({ reason: 'insufficient_funds', wallet: { ...wallet, topUpUrl: '//evil.example/' } }), 'en'),
    ).toThrow(TypeError);
  });
});
