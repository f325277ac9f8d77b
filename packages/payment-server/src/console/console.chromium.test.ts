import { randomUUID } from 'node:crypto';
import { createState } from '@caisse/server-kit';
import { axeViolations, launchChromium } from '@caisse/testing/chromium';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { SHOP_ORIGIN } from '../__fixtures__/payment-server.js';
import { type ApiTestServer, payAs, startApiTestServer } from '../api/__fixtures__/api-server.js';
import { registerNotifiedMerchant } from '../notifications/__fixtures__/shop-merchant.js';
import { addOperator, codeAt, deferredTicket, OPERATOR_PASSWORD, type TestOperator } from './__fixtures__/console.js';

const ACCESS_KEY = 'correct horse battery';
const DESKTOP = { width: 1280, height: 800 };
/** The pages of the sweep that answer 404: an unknown path, a search for a customer who does not exist. */
const NOT_FOUND = new Set(['/console/no-such-page', '/console/customers?q=%2B33699999999']);
const PHONE = { width: 390, height: 844 };
const WORDS = {
  en: { next: 'Continue', signIn: 'Sign in', search: 'Search', signedIn: 'Signed in as' },
  fr: { next: 'Continuer', signIn: 'Se connecter', search: 'Rechercher', signedIn: 'Connecté·e' },
} as const;

/**
 * The operator console as operators use it, in Chromium, without script of its own: sign
 * in with the second factor, suspend a merchant, resend a parked notification, find a
 * payment by its order reference; every page state accessible in both languages, on a
 * desktop and a phone; a viewer sees no action and a form forged by hand is refused.
 */
// The accessibility walks visit every page in a language and a size: 15 s on a busy machine, so more than the default.
describe('the operator console, in Chromium', { timeout: 120_000 }, () => {
  let at = new Date('2026-03-10T09:00:00Z');
  const now = () => at;
  /** Each sign-in takes the next 30-second step's code: a code is taken once. */
  const tick = () => {
    at = new Date(at.getTime() + 30_000);
  };
  let browser: Browser;
  let shop: ApiTestServer;
  let notified: Awaited<ReturnType<typeof registerNotifiedMerchant>>;
  const operators = {} as Record<'admin' | 'support' | 'finance' | 'viewer' | 'spare', TestOperator>;
  let searched: string;
  let earlier: string;
  let held: string;

  beforeAll(async () => {
    shop = await startApiTestServer({ now });
    operators.admin = await addOperator(shop.server, 'ada', 'admin');
    operators.support = await addOperator(shop.server, 'sam', 'support');
    operators.finance = await addOperator(shop.server, 'fiona', 'finance');
    operators.viewer = await addOperator(shop.server, 'vera', 'viewer');
    operators.spare = await addOperator(shop.server, 'olga', 'support');

    await shop.server.customers.add({
      accountId: 'gina',
      phone: '+33650000001',
      accessKey: ACCESS_KEY,
      limits: { EUR: { walletCap: 50_000n } },
    });
    await shop.server.customers.walletCredit('gina', 'EUR', 30_000n, { idempotencyKey: 'fund-gina' });
    searched = await payAs(shop.url, shop.ticket(4_000, { serial: 'order-4242' }).token, 'gina', ACCESS_KEY);
    earlier = await payAs(shop.url, shop.ticket(2_500, { serial: 'order-5151' }).token, 'gina', ACCESS_KEY);
    held = await payAs(shop.url, deferredTicket(shop, 'order-6161'), 'gina', ACCESS_KEY);

    // A merchant whose endpoint fails for the whole retry window: its notification is parked, as after 3 days of retries.
    notified = await registerNotifiedMerchant(shop, { now });
    notified.receiver.failNext(1);
    const ticket = notified.merchant.createTicket({
      serial: 'order-7171',
      currency: 'EUR',
      items: [{ id: 'paper', label: 'A newspaper', quantity: 1, unitAmount: 250, vatRate: 210 }],
      returnUrl: `${SHOP_ORIGIN}/paid`,
      cancelUrl: `${SHOP_ORIGIN}/basket`,
      state: createState(),
    });
    await payAs(shop.url, ticket.token, 'gina', ACCESS_KEY);
    at = new Date(at.getTime() + 3 * 86_400_000 + 60_000);
    expect((await shop.server.notificationDispatcher.runOnce()).parked).toBe(1);

    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await notified?.receiver.close();
    await shop?.close();
  });

  async function signIn(operator: TestOperator, options: { viewport?: typeof DESKTOP; lang?: 'en' | 'fr' } = {}): Promise<Page> {
    const lang = options.lang ?? 'en';
    const context = await browser.newContext({ viewport: options.viewport ?? DESKTOP });
    const page = await context.newPage();
    tick();
    await page.goto(`${shop.url}/console/sign-in?lang=${lang}`);
    await page.fill('#operator', operator.id);
    await page.fill('#password', OPERATOR_PASSWORD);
    await page.getByRole('button', { name: WORDS[lang].next }).click();
    await page.locator('#code').waitFor();
    await page.fill('#code', codeAt(operator, now()));
    await page.getByRole('button', { name: WORDS[lang].signIn }).click();
    await page.getByText(WORDS[lang].signedIn).waitFor();
    return page;
  }

  /** No WCAG violation, and nothing wider than the window (tables scroll in their own region). */
  async function expectAccessible(page: Page, width: number) {
    expect(await axeViolations(page), page.url()).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth), page.url()).toBeLessThanOrEqual(width);
  }

  it.each([
    ['en', DESKTOP],
    ['fr', PHONE],
  ] as const)(
    'signs in with the password, then the authenticator’s code; each step and refusal is accessible (%s)',
    async (lang, viewport) => {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      const operator = operators.finance;
      tick();
      await page.goto(`${shop.url}/console/payments?lang=${lang}`);
      expect(page.url()).toContain(`/console/sign-in?lang=${lang}`);
      await expectAccessible(page, viewport.width);
      await page.fill('#operator', operator.id);
      await page.fill('#password', 'not the right passphrase');
      await page.getByRole('button', { name: WORDS[lang].next }).click();
      await page.getByRole('alert').waitFor();
      expect(await page.locator('#password').getAttribute('aria-invalid')).toBe('true');
      await expectAccessible(page, viewport.width);
      await page.fill('#operator', operator.id);
      await page.fill('#password', OPERATOR_PASSWORD);
      await page.getByRole('button', { name: WORDS[lang].next }).click();
      await page.locator('#code').waitFor();
      await expectAccessible(page, viewport.width);
      await page.fill('#code', '000000' === codeAt(operator, now()) ? '111111' : '000000');
      await page.getByRole('button', { name: WORDS[lang].signIn }).click();
      await page.getByRole('alert').waitFor();
      await expectAccessible(page, viewport.width);
      await page.fill('#code', codeAt(operator, now()));
      await page.getByRole('button', { name: WORDS[lang].signIn }).click();
      await page.getByText(WORDS[lang].signedIn).waitFor();
      expect(new URL(page.url()).pathname).toBe('/console/payments');
      expect(new URL(page.url()).searchParams.get('lang')).toBe(lang);
      await expectAccessible(page, viewport.width);
      await context.close();
    },
    60_000,
  );

  it('finds a payment by the merchant’s order reference, shows its postings, and refunds part of it (finance)', async () => {
    const page = await signIn(operators.finance);
    await page.fill('#payment-query', 'order-4242');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: searched }).click();
    await page.getByRole('heading', { name: `Payment ${searched}` }).waitFor();
    expect(await page.getByRole('table', { name: /Ledger transfers/ }).textContent()).toContain('Till of');
    await expectAccessible(page, DESKTOP.width);

    // Without the confirmation the form is refused, as typed; with it, the refund is made.
    await page.fill('#refund-amount', '5.00');
    await page.locator('#refund-confirm').evaluate((box) => box.removeAttribute('required'));
    await page.getByRole('button', { name: 'Refund', exact: true }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.locator('#refund-amount').inputValue()).toBe('5.00');
    await expectAccessible(page, DESKTOP.width);
    await page.getByLabel(/I confirm this refund/).check();
    await page.getByRole('button', { name: 'Refund', exact: true }).click();
    await page.getByText('The refund was made.').waitFor();
    expect(await page.getByRole('table', { name: 'Refunds of this payment' }).textContent()).toContain('€5.00');
    await page.context().close();
  }, 60_000);

  it('suspends a merchant: its next ticket is refused merchant_suspended, its refund of an earlier payment is still accepted', async () => {
    const page = await signIn(operators.admin, { viewport: PHONE });
    await page.goto(`${shop.url}/console/merchants`);
    await page.getByRole('link', { name: shop.merchantId }).click();
    await page.getByLabel('Reason').fill('Chargebacks under review');
    await page.getByRole('button', { name: 'Suspend: it takes no new payments' }).click();
    await page.getByText('The merchant is suspended').waitFor();
    expect(await page.getByRole('table', { name: /Changes of status/ }).textContent()).toContain('Chargebacks under review');
    await expectAccessible(page, PHONE.width);

    const refused = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: shop.ticket(1_000).token } });
    expect(refused.page?.status).toBe(403);
    expect(refused.html).toContain('merchant_suspended');
    const refund = await shop.call(`/v1/payments/${earlier}/refunds`, {
      method: 'POST',
      body: JSON.stringify({ amount: 1_000 }),
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      assertion: { iat: Math.floor(now().getTime() / 1000) },
    });
    expect(refund.status).toBe(201);

    await page.getByRole('button', { name: 'Resume: it takes payments again' }).click();
    await page.getByText('The merchant takes payments again.').waitFor();
    expect((await shop.server.merchants.get(shop.merchantId)).status).toBe('active');
    await page.context().close();
  }, 60_000);

  it('resends a parked notification (support): back in the queue with the same id, then delivered', async () => {
    const [parked] = await shop.server.notifications.list({ status: 'parked' });
    const page = await signIn(operators.support);
    await page.getByRole('link', { name: 'Parked notifications' }).click();
    const row = page.getByRole('row').filter({ hasText: parked?.id ?? '?' });
    expect(await row.textContent()).toContain('http 500');
    await expectAccessible(page, DESKTOP.width);
    await row.getByRole('button', { name: 'Resend' }).click();
    await page.getByText(`Notification ${parked?.id} is back in the queue.`).waitFor();
    expect(await page.getByText('No notification is parked.').count()).toBe(1);
    await expectAccessible(page, DESKTOP.width);
    expect((await shop.server.notificationDispatcher.runOnce()).delivered).toBe(1);
    expect(notified.receiver.processed.map((event) => event.jti)).toEqual([parked?.id]);
    await page.context().close();
  }, 60_000);

  it('shows a viewer no action at all, and refuses a form they forge by hand with 403 operator_role_forbidden', async () => {
    const page = await signIn(operators.viewer);
    for (const path of [
      `/console/merchants/${shop.merchantId}`,
      `/console/payments/${searched}`,
      '/console/escrow',
      '/console/notifications',
      '/console/customers/gina',
      '/console/alerts',
      '/console/audit',
      '/console/operators',
    ]) {
      await page.goto(`${shop.url}${path}`);
      // The one form a viewer has is signing out.
      expect(
        await page.locator('form[method="post"]').evaluateAll((forms) => forms.map((form) => form.getAttribute('action'))),
        path,
      ).toEqual(['/console/sign-out']);
    }
    await page.goto(`${shop.url}/console/merchants/${shop.merchantId}`);
    const answer = page.waitForResponse((response) => response.url().endsWith('/suspend'));
    await page.evaluate((merchantId) => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = `/console/merchants/${merchantId}/suspend`;
      const csrf = document.querySelector<HTMLInputElement>('input[name="csrf"]')?.value ?? '';
      for (const [name, value] of [
        ['csrf', csrf],
        ['reason', 'Forged by hand'],
      ]) {
        const input = document.createElement('input');
        input.type = 'hidden';
        input.name = name as string;
        input.value = value as string;
        form.append(input);
      }
      document.body.append(form);
      form.submit();
    }, shop.merchantId);
    expect((await answer).status()).toBe(403);
    await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    expect(await page.textContent('main')).toContain('operator_role_forbidden');
    await expectAccessible(page, DESKTOP.width);
    expect((await shop.server.merchants.get(shop.merchantId)).status).toBe('active');
    await page.context().close();
  }, 60_000);

  it.each([
    ['en', DESKTOP],
    ['fr', DESKTOP],
    ['en', PHONE],
    ['fr', PHONE],
  ] as const)(
    'has no accessibility violation on any page, with its actions (%s, %o)',
    async (lang, viewport) => {
      const page = await signIn(operators.admin, { viewport, lang });
      const visit = async (path: string) => {
        const response = await page.goto(`${shop.url}${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
        // A page that failed would be an accessible error page: each must be the page itself.
        expect(response?.status(), path).toBe(NOT_FOUND.has(path) ? 404 : 200);
        expect(await page.locator('h1').count(), path).toBe(1);
        expect(await page.getAttribute('html', 'lang')).toBe(lang);
        await expectAccessible(page, viewport.width);
      };
      for (const path of [
        '/console/payments',
        '/console/payments?q=order-4242',
        '/console/payments?q=no-such-order',
        `/console/payments/${searched}`,
        `/console/payments/${held}`,
        '/console/merchants',
        `/console/merchants/${shop.merchantId}`,
        `/console/merchants/${notified.merchantId}`,
        '/console/customers',
        '/console/customers?q=%2B33699999999',
        '/console/customers/gina',
        '/console/escrow',
        `/console/settlement?date=${now().toISOString().slice(0, 10)}`,
        `/console/settlement/${shop.merchantId}/${now().toISOString().slice(0, 10)}`,
        '/console/notifications',
        '/console/alerts',
        '/console/audit',
        '/console/activity',
        '/console/operators',
        '/console/no-such-page',
      ])
        await visit(path);
      // The pages a form leads to: the audit's result, a new second factor shown once.
      await page.goto(`${shop.url}/console/audit?lang=${lang}`);
      await page.locator('form[action^="/console/audit/verify"] button').click();
      await page.locator('[role="status"] h2').waitFor();
      await expectAccessible(page, viewport.width);
      await page.goto(`${shop.url}/console/operators?lang=${lang}`);
      await page
        .getByRole('row')
        .filter({ hasText: operators.spare.id })
        .locator('form[action^="/console/operators/reset-totp"] button')
        .click();
      await page.locator('.secret').first().waitFor();
      await expectAccessible(page, viewport.width);
      await page.context().close();
    },
    240_000,
  );
});
