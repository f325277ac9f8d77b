import { createSandboxAcquirer, type RunningSandboxBank, startSandboxBank } from '@caisse/sandbox-bank';
import { axeViolations, launchChromium } from '@caisse/testing/chromium';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOP_ORIGIN, startTestServer } from '../__fixtures__/payment-server.js';

const ACCESS_KEY = 'short wallet key';

/**
 * A shopper whose wallet is short, on a phone-sized Chromium: the page says what the
 * wallet holds, and one tap on "Pay from my bank" pays, without typing anything again.
 */
describe('the offer a short wallet makes, in Chromium at phone size', () => {
  let browser: Browser;
  let bank: RunningSandboxBank;
  let shop: Awaited<ReturnType<typeof startTestServer>>;

  beforeAll(async () => {
    bank = await startSandboxBank();
    shop = await startTestServer({ acquirer: createSandboxAcquirer({ url: bank.url }) });
    await shop.server.customers.add({ accountId: 'hugo', phone: '+33612345621', accessKey: ACCESS_KEY });
    await shop.server.customers.walletCredit('hugo', 'EUR', 350n, { idempotencyKey: 'top-up-hugo' });
    await shop.server.customers.setBankRef('hugo', 'test_approve');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await shop?.close();
    await bank?.close();
  });

  it('shows the balance against the amount and pays from the bank in one step', async () => {
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    const ticket = shop.ticket(1_290);
    await page.goto(`${shop.url}/pay?ticket=${ticket.token}`);
    await page.getByLabel('Account ID').fill('hugo');
    await page.getByLabel('Access key').fill(ACCESS_KEY);
    await page.getByRole('button', { name: /^Pay/ }).click();

    await page.getByRole('heading', { name: 'Your wallet is short' }).waitFor();
    expect(await page.locator('main').textContent()).toContain('Your wallet holds €3.50: not enough for the payment of €12.90');
    expect(await page.getByRole('link', { name: 'Top up my wallet' }).getAttribute('href')).toBe('/account#top-up');
    expect(await axeViolations(page)).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    const leaving = page.waitForRequest((request) => request.url().startsWith(`${SHOP_ORIGIN}/paid`));
    await page.getByRole('button', { name: 'Pay €12.90 from my bank' }).click();
    const voucher = new URL((await leaving).url()).searchParams.get('caisse_voucher') ?? '';
    expect(await shop.merchant.verifyVoucher(voucher, { ticket: ticket.reference })).toMatchObject({ amount: 1_290, funding: 'bank' });
    expect(problems).toEqual([]);
    await context.close();
  });
});
