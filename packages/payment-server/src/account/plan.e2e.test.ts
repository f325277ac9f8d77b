import { randomUUID } from 'node:crypto';
import { createSandboxAcquirer, type RunningSandboxBank, startSandboxBank } from '@caisse/sandbox-bank';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { startTestServer } from '../__fixtures__/payment-server.js';

/** Every clock of these tests: the payment server's, the shop's and the bank's. */
const NOW = new Date('2026-03-14T10:00:00Z');
const now = () => NOW;
const ACCESS_KEY = 'plan page access key';

/** The plan form as a customer fills it in, every field valid and within the bounds. */
const FORM = { currency: 'EUR', means: 'wallet-first', walletBelow: '50.00', tapBelow: '0', dailyCeiling: '', monthlyCeiling: '' };

describe("the customer's money and payment plan on the hosted pages", () => {
  let bank: RunningSandboxBank;
  let shop: Awaited<ReturnType<typeof startTestServer>>;
  let customers = 0;

  beforeAll(async () => {
    bank = await startSandboxBank({ now });
    shop = await startTestServer({
      now,
      acquirer: createSandboxAcquirer({ url: bank.url }),
      env: { CAISSE_WALLET_THRESHOLDS: '*:5000', CAISSE_TAP_THRESHOLDS: '*:2000', CAISSE_LOYALTY_RATE: '100' },
    });
  });
  afterAll(async () => {
    await shop?.close();
    await bank?.close();
  });

  /** A customer without a phone (the access key alone pays) and `wallet` in a wallet capped at 200.00. */
  async function customer(wallet = 10_000n): Promise<string> {
    customers++;
    const id = `pager-${customers}-${randomUUID().slice(0, 6)}`;
    await shop.server.customers.add({
      accountId: id,
      phone: `+3363${String(customers).padStart(7, '0')}`,
      accessKey: ACCESS_KEY,
      limits: { EUR: { walletCap: 20_000n } },
    });
    await shop.server.customers.walletCredit(id, 'EUR', wallet, { idempotencyKey: `fund-${id}` });
    await shop.server.customers.setBankRef(id, 'test_approve');
    return id;
  }

  async function signIn(account: string) {
    const browser = new ScriptedBrowser(shop.url);
    const signInPage = await browser.go('/account');
    const page = await browser.go('/account/identify', {
      form: { csrf: ScriptedBrowser.csrf(signInPage.html), account, accessKey: ACCESS_KEY },
    });
    expect(page.page?.status).toBe(200);
    return { browser, html: page.html ?? '' };
  }

  async function postPlan(account: string, fields: Record<string, string>) {
    const { browser, html } = await signIn(account);
    return browser.go('/account/plan', { form: { csrf: ScriptedBrowser.csrf(html), ...fields } });
  }

  /** Pays the shop on the hosted page with the access key: the page the browser ends on, and the payment's funding. */
  async function pay(account: string, amount: number) {
    const serial = `order-${randomUUID().slice(0, 8)}`;
    const browser = new ScriptedBrowser(shop.url);
    const summary = await browser.go('/pay', { form: { ticket: shop.ticket(amount, { serial }).token } });
    const result = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(summary.html), account, accessKey: ACCESS_KEY },
    });
    const { rows } = await shop.server.db.query<{ funding: string }>('SELECT funding FROM payments WHERE order_serial = $1', [serial]);
    return { html: result.html ?? '', funding: rows[0]?.funding };
  }

  const storedPlan = async (customerId: string) =>
    (
      await shop.server.db.query('SELECT means, wallet_below, tap_below, daily_ceiling FROM customer_plans WHERE customer_id = $1', [
        customerId,
      ])
    ).rows;

  it('shows the balance, the points, the spending per means against the ceilings and the plan form, once identified', async () => {
    const id = await customer();
    expect((await pay(id, 1_290)).funding).toBe('wallet');
    expect((await pay(id, 6_000)).funding).toBe('bank');

    const signInPage = await new ScriptedBrowser(shop.url).go('/account');
    expect(signInPage.html).not.toContain('Your money');
    expect(signInPage.html).not.toContain('action="/account/plan"');

    const { html } = await signIn(id);
    const text = html.replace(/\s+/g, ' ');
    // 100.00 less 12.90; 1 % of each payment in points: 0.12 + 0.60.
    expect(text).toContain('<dt>Wallet balance</dt> <dd class="num">€87.10</dd>');
    expect(text).toContain('<dt>Wallet cap</dt> <dd class="num">€200.00</dd>');
    expect(text).toContain('<dt>Loyalty points</dt> <dd class="num">€0.72</dd>');
    // Spent, from the wallet, through the bank, the ceiling, what is left.
    expect(text).toContain(
      '<th scope="row">Today</th> <td class="num">€72.90</td> <td class="num">€12.90</td> <td class="num">€60.00</td> <td class="num">€300.00</td> <td class="num">€227.10</td>',
    );
    expect(text).toContain('<th scope="row">This month</th> <td class="num">€72.90</td>');
    expect(text).toContain('<td class="num">€1,000.00</td> <td class="num">€927.10</td>');
    // The form, with the plan in force and the operator's bound next to each field.
    expect(html).toContain('action="/account/plan"');
    expect(html).toMatch(/value="wallet-first" checked/);
    expect(html).toContain('value="50.00"');
    expect(html).toContain('At most €50.00, the limit set by Caisse.');
    expect(html).toContain('At most €20.00, the limit set by Caisse.');
    expect(html).toContain('Leave empty for the ceiling set by Caisse, €300.00.');
    expect(html).toContain('Leave empty for the ceiling set by Caisse, €1,000.00.');
  });

  it('saves the plan from the form, shows it, and the next payment follows it', async () => {
    const id = await customer();
    const saved = await postPlan(id, {
      ...FORM,
      means: 'bank-first',
      walletBelow: '40',
      bankWhenShort: 'yes',
      tapBelow: '15.00',
      // A decimal comma, as French speakers type it.
      dailyCeiling: '250,00',
    });
    expect(saved.page?.status).toBe(200);
    expect(saved.html).toContain('Your plan is saved.');
    expect(saved.html).toMatch(/value="bank-first" checked/);
    expect(saved.html).toContain('value="40.00"');
    expect(saved.html).toContain('value="250.00"');
    expect(saved.html).toMatch(/name="bankWhenShort" value="yes" checked/);
    const { plan, chosen } = await shop.server.plans.get(id, 'EUR');
    expect(chosen).toBe(true);
    expect(plan).toEqual({
      currency: 'EUR',
      means: ['bank', 'wallet'],
      walletBelow: 4_000n,
      bankWhenShort: true,
      tapBelow: 1_500n,
      dailyCeiling: 25_000n,
      monthlyCeiling: 100_000n,
    });
    expect((await pay(id, 1_000)).funding).toBe('bank');
  });

  it.each([
    ['walletBelow', '50.01', '€50.00'],
    ['tapBelow', '20.01', '€20.00'],
    ['dailyCeiling', '300.01', '€300.00'],
    ['monthlyCeiling', '1000.01', '€1,000.00'],
  ])('refuses %s past its operator bound with 422, the field message, and stores nothing', async (field, typed, bound) => {
    const id = await customer();
    const refused = await postPlan(id, { ...FORM, [field]: typed });
    expect(refused.page?.status).toBe(422);
    expect(refused.html).toContain(`<p class="field-error" id="plan-eur-${field}-error">Enter at most ${bound}.</p>`);
    expect(refused.html).toMatch(
      new RegExp(`id="plan-eur-${field}" name="${field}"[^>]*value="${typed.replace('.', '\\.')}"[^>]*aria-invalid="true"`),
    );
    expect(refused.html).not.toContain('Your plan is saved.');
    expect(await storedPlan(id)).toEqual([]);
  });

  it('refuses what is not an amount, a daily ceiling above the monthly one, and no means: 400, nothing stored', async () => {
    const id = await customer();
    const notAnAmount = await postPlan(id, { ...FORM, tapBelow: '1e3' });
    expect(notAnAmount.page?.status).toBe(400);
    expect(notAnAmount.html).toContain('Enter an amount such as 20.00.');
    const dailyOverMonthly = await postPlan(id, { ...FORM, dailyCeiling: '200', monthlyCeiling: '100' });
    expect(dailyOverMonthly.page?.status).toBe(400);
    expect(dailyOverMonthly.html).toContain('The daily ceiling must not be above the monthly ceiling.');
    const withoutMeans = await postPlan(id, { ...FORM, means: 'card-first' });
    expect(withoutMeans.page?.status).toBe(400);
    expect(withoutMeans.html).toContain('Choose which means pays.');
    expect(await storedPlan(id)).toEqual([]);
  });

  it('changes a plan only with the form token and the signed-in account cookie, and only the signed-in customer’s', async () => {
    const alice = await customer();
    const bob = await customer();
    const { browser, html } = await signIn(alice);
    expect((await browser.go('/account/plan', { form: { ...FORM, means: 'bank-only' } })).page?.status).toBe(403);

    // A browser without the account cookie, with a valid form token of its own.
    const stranger = new ScriptedBrowser(shop.url);
    const strangerPage = await stranger.go('/account');
    const anonymous = await stranger.go('/account/plan', {
      form: { csrf: ScriptedBrowser.csrf(strangerPage.html), ...FORM, means: 'bank-only' },
    });
    expect(anonymous.html).not.toContain('Your plan is saved.');
    expect(await storedPlan(alice)).toEqual([]);
    expect(await storedPlan(bob)).toEqual([]);

    // Whatever account the form names, the cookie decides whose plan it is.
    const saved = await browser.go('/account/plan', {
      form: { csrf: ScriptedBrowser.csrf(html), ...FORM, means: 'bank-only', account: bob },
    });
    expect(saved.html).toContain('Your plan is saved.');
    expect((await shop.server.plans.get(alice, 'EUR')).plan.means).toEqual(['bank']);
    expect(await storedPlan(bob)).toEqual([]);
  });

  it('shows each customer their own wallet on the refusal page of a short wallet, with the way to top it up', async () => {
    const carol = await customer(500n);
    const dan = await customer(300n);
    // The wallet alone: a short wallet is refused, not offered to the bank.
    for (const id of [carol, dan]) await shop.server.plans.set(id, 'EUR', { means: ['wallet'] });

    const carolRefused = await pay(carol, 2_000);
    expect(carolRefused.funding).toBeUndefined();
    expect(carolRefused.html).toContain('Not enough money in your wallet');
    expect(carolRefused.html).toContain('Your wallet holds €5.00.');
    expect(carolRefused.html).toContain('<a href="/account#top-up">Top up your wallet</a>');
    expect(carolRefused.html).not.toContain('€3.00');

    const danRefused = await pay(dan, 2_000);
    expect(danRefused.html).toContain('Your wallet holds €3.00.');
    expect(danRefused.html).not.toContain('€5.00');

    // The link leads to the top-up form of the account page.
    expect((await signIn(carol)).html).toContain('<section id="top-up" aria-labelledby="top-up-heading">');
  });

  it('says which ceiling a refused payment would pass and what is left of it', async () => {
    const id = await customer();
    await shop.server.plans.set(id, 'EUR', { dailyCeiling: 3_000 });
    expect((await pay(id, 2_500)).funding).toBe('wallet');
    const refused = await pay(id, 600);
    expect(refused.funding).toBeUndefined();
    expect(refused.html).toContain('Spending limit reached');
    expect(refused.html).toContain('Your daily ceiling is €30.00; €5.00 is left today.');
  });
});
