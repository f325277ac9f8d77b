import { randomUUID } from 'node:crypto';
import { axeViolations, launchChromium } from '@caisse/testing/chromium';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiTestServer, payAs, startApiTestServer } from '../api/__fixtures__/api-server.js';

const ACCESS_KEY = 'correct horse battery';

/** The payment detail as a customer reaches it, in Chromium at phone size: accessible in each state and language, no script needed. */
describe('the payment detail page, in Chromium at phone size', () => {
  let at = new Date('2026-03-10T09:00:00Z');
  const now = () => at;
  let browser: Browser;
  let shop: ApiTestServer;
  let refunded: string;
  let plain: string;

  beforeAll(async () => {
    shop = await startApiTestServer({ now });
    await shop.server.customers.add({ accountId: 'gina', phone: '+33650000001', accessKey: ACCESS_KEY });
    await shop.server.customers.walletCredit('gina', 'EUR', 10_000n, { idempotencyKey: 'fund-gina' });
    plain = await payAs(shop.url, shop.ticket(1_290).token, 'gina', ACCESS_KEY);
    refunded = await payAs(shop.url, shop.ticket(4_000).token, 'gina', ACCESS_KEY);
    at = new Date(at.getTime() + 60_000);
    const response = await shop.call(`/v1/payments/${refunded}/refunds`, {
      method: 'POST',
      body: JSON.stringify({ amount: 1_000 }),
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      assertion: { iat: Math.floor(now().getTime() / 1000) },
    });
    expect(response.status).toBe(201);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await shop?.close();
  });

  async function signedIn(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${shop.url}/account`);
    await page.fill('#account', 'gina');
    await page.fill('#access-key', ACCESS_KEY);
    await page.click('form[action$="/identify"] button[type="submit"]');
    await page.getByRole('heading', { name: 'Your payments' }).waitFor();
    return page;
  }

  it.each(['en', 'fr'])('has no accessibility violation, paid or refunded, and on the not-found answer (%s)', async (lang) => {
    const page = await signedIn();
    for (const id of [plain, refunded]) {
      await page.goto(`${shop.url}/account/payments/${id}?lang=${lang}`);
      expect(await page.locator('h1').textContent()).toMatch(new RegExp(`${id}$`));
      expect(await axeViolations(page)).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    }
    await page.goto(`${shop.url}/account/payments/pay_999999?lang=${lang}`);
    expect(await axeViolations(page)).toEqual([]);
    await page.context().close();
  });

  it('is reached from the history by the order’s link, without script', async () => {
    const page = await signedIn();
    await page.locator(`a[href="/account/payments/${refunded}"]`).click();
    await page.getByRole('heading', { name: `Payment ${refunded}` }).waitFor();
    expect(await page.getByRole('link', { name: 'Open a dispute' }).getAttribute('href')).toBe(`/account/payments/${refunded}/dispute`);
    expect(await page.getByRole('link', { name: 'Download the voucher' }).getAttribute('href')).toBe(
      `/account/payments/${refunded}/voucher`,
    );
    await page.context().close();
  });

  it.each([
    ['en', 'Open the dispute', 'Tell us what happened', 'I did not receive what I paid for', 'Your dispute'],
    ['fr', 'Ouvrir la contestation', 'Racontez-nous ce qui s’est passé', 'Je n’ai pas reçu ce que j’ai payé', 'Votre contestation'],
  ])(
    'opens a dispute from the payment; the form, its error and the status are accessible (%s)',
    async (lang, submit, message, reason, status) => {
      const page = await signedIn();
      await page.goto(`${shop.url}/account/payments/${lang === 'en' ? plain : refunded}?lang=${lang}`);
      await page.locator('a[href*="/dispute"]').click();
      expect(await axeViolations(page)).toEqual([]);
      // Nothing chosen nor said: one clear error, the form kept.
      await page.getByRole('button', { name: submit }).click();
      await page.getByRole('alert').waitFor();
      expect(await axeViolations(page)).toEqual([]);
      await page.getByLabel(reason).check();
      await page.getByLabel(message).fill('The parcel never came.');
      await page.getByRole('button', { name: submit }).click();
      await page.getByRole('heading', { name: status }).waitFor();
      expect(await axeViolations(page)).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.context().close();
    },
  );
});
