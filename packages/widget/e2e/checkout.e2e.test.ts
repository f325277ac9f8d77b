// @vitest-environment node
import { mkdirSync } from 'node:fs';
import { axeViolations, launchChromium } from '@caisse/testing/chromium';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShop } from './shop.js';

/**
 * The widget in real headless Chromium (Debian's), against a real payment server and a
 * shop on another origin under a strict CSP.
 */
const ARTIFACTS = new URL('../test-artifacts/', import.meta.url);
mkdirSync(ARTIFACTS, { recursive: true });

let browser: Browser;
let shop: Awaited<ReturnType<typeof startShop>>;

beforeAll(async () => {
  shop = await startShop();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await shop?.close();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 390, height: 800 } });
  return context.newPage();
}

async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: new URL(`${name}.png`, ARTIFACTS).pathname, fullPage: true });
}

async function identify(page: Page, accessKey = 'alice access key') {
  await page.fill('#account', 'alice');
  await page.fill('#access-key', accessKey);
  await page.click('button[type="submit"]');
}

describe('the checkout widget in Chromium', () => {
  it('pays in redirect mode: button, hosted page, back to the shop, paid, token gone from the address bar', async () => {
    const page = await newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${shop.shopUrl}/?mode=redirect`);
    const button = page.locator('caisse-checkout button.pay');
    await expect(button.textContent()).resolves.toContain('€12.90');
    await screenshot(page, 'redirect-1-idle');
    expect(await axeViolations(page)).toEqual([]);
    await button.click();
    await page.waitForURL(`${shop.payUrl}/checkout/**`);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'redirect-2-hosted-page');
    await identify(page);
    await page.waitForURL(`${shop.shopUrl}/paid*`);
    await page.locator('#result', { hasText: 'Payment of €12.90 received' }).waitFor();
    expect(page.url()).toBe(`${shop.shopUrl}/paid`);
    await screenshot(page, 'redirect-3-paid');
    expect(errors.filter((text) => /Content Security Policy/i.test(text))).toEqual([]);
  });

  it('pays in popup mode: the result comes back by postMessage and the shop page shows paid', async () => {
    const page = await newPage();
    await page.goto(`${shop.shopUrl}/?mode=popup`);
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.locator('caisse-checkout button.pay').click()]);
    await page.locator('caisse-checkout [role="dialog"]').waitFor();
    await screenshot(page, 'popup-1-waiting');
    await popup.waitForURL(`${shop.payUrl}/checkout/**`);
    // Listen before paying: the window may close before the click returns.
    const closed = popup.waitForEvent('close');
    await identify(popup);
    await closed;
    await page.locator('caisse-checkout').getByText('Payment of €12.90 received').first().waitFor();
    await screenshot(page, 'popup-2-paid');
  });

  it('shows the live phone status the payment window posts, and ignores one the shop page forges', async () => {
    const page = await newPage();
    await page.goto(`${shop.shopUrl}/?mode=popup`);
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.locator('caisse-checkout button.pay').click()]);
    await popup.waitForURL(`${shop.payUrl}/checkout/**`);
    const dialog = page.locator('caisse-checkout #s');
    // What the payment server's confirm page sends: to the ticket's return origin only.
    const post = (message: object) =>
      popup.evaluate(([data, origin]) => window.opener.postMessage(data, origin), [message, shop.shopUrl] as const);
    // A status from the shop page itself (an ad script, an extension) is not the payment window's.
    await page.evaluate(
      () =>
        new Promise((resolve) => {
          const expiresAt = new Date(Date.now() + 60_000).toISOString();
          window.postMessage({ type: 'caisse:status', state: 'confirming', expiresAt }, '*');
          window.addEventListener('message', (event) => event.data === 'flush' && resolve(null));
          window.postMessage('flush', '*');
        }),
    );
    expect(await dialog.textContent()).toBe('Finish paying in the payment window.');
    await post({ type: 'caisse:status', state: 'confirming', expiresAt: new Date(Date.now() + 120_000).toISOString() });
    await dialog.getByText(/^Confirm the payment on your phone\. Time left: (2:00|1:5\d)$/).waitFor();
    await screenshot(page, 'popup-confirming');
    await post({ type: 'caisse:status', state: 'identifying' });
    await dialog.getByText('Finish paying in the payment window.').waitFor();
    // Listen before paying: the window may close before the click returns.
    const closed = popup.waitForEvent('close');
    await identify(popup);
    await closed;
    await page.locator('caisse-checkout').getByText('Payment of €12.90 received').first().waitFor();
  });

  it('falls back to redirect when the popup is blocked', async () => {
    const page = await newPage();
    await page.addInitScript(() => {
      window.open = () => null;
    });
    await page.goto(`${shop.shopUrl}/?mode=popup`);
    await page.locator('caisse-checkout button.pay').click();
    await page.waitForURL(`${shop.payUrl}/checkout/**`);
  });

  it('ignores a result posted from another origin while the popup is open', async () => {
    const page = await newPage();
    await page.goto(`${shop.shopUrl}/?mode=popup`);
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.locator('caisse-checkout button.pay').click()]);
    await popup.waitForURL(`${shop.payUrl}/checkout/**`);
    const verifyCalls: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/caisse/verify')) verifyCalls.push(request.url());
    });
    await page.evaluate(() => window.postMessage({ type: 'caisse:result', kind: 'voucher', token: 'a.b.c' }, '*'));
    // Messages arrive in order: once this one is seen, the forged one has been handled.
    await page.evaluate(
      () =>
        new Promise((resolve) => {
          window.addEventListener('message', (event) => event.data === 'flush' && resolve(null));
          window.postMessage('flush', '*');
        }),
    );
    expect(verifyCalls).toEqual([]);
    await page.locator('caisse-checkout').getByText('Finish paying in the payment window.').first().waitFor();
    await popup.close();
  });

  it('shows a cancel on the payment page as cancelled', async () => {
    const page = await newPage();
    await page.goto(`${shop.shopUrl}/?mode=redirect`);
    await page.locator('caisse-checkout button.pay').click();
    await page.waitForURL(`${shop.payUrl}/checkout/**`);
    await page.click('form[action$="/cancel"] button');
    await page.waitForURL(`${shop.shopUrl}/basket*`);
    await page.locator('#result', { hasText: 'Payment cancelled.' }).waitFor();
    await screenshot(page, 'cancelled');
  });

  it('shows a refusal in words', async () => {
    const page = await newPage();
    await page.goto(`${shop.shopUrl}/?mode=redirect&amount=4900`);
    await page.locator('caisse-checkout button.pay').click();
    await page.waitForURL(`${shop.payUrl}/checkout/**`);
    await identify(page);
    await screenshot(page, 'refused-1-hosted-page');
    await page.click('a.button-primary');
    await page.waitForURL(`${shop.shopUrl}/basket*`);
    await page.locator('#result', { hasText: 'Not enough money in your wallet.' }).waitFor();
    await screenshot(page, 'refused-2-shop');
  });

  it('counts down to the ticket expiry, then disables the button and says to reload', async () => {
    const page = await newPage();
    await page.clock.install();
    await page.goto(`${shop.shopUrl}/?mode=redirect&lifetime=60`);
    await page
      .locator('caisse-checkout')
      .getByText(/Time left: (1:00|0:5\d)/)
      .first()
      .waitFor();
    await page.clock.fastForward(61_000);
    await page.locator('caisse-checkout').getByText('This payment link has expired, reload the page.').first().waitFor();
    expect(await page.locator('caisse-checkout button.pay').isDisabled()).toBe(true);
    await screenshot(page, 'expired');
  });

  it('pays with the keyboard only', async () => {
    const page = await newPage();
    await page.goto(`${shop.shopUrl}/?mode=redirect&amount=100`);
    for (let i = 0; i < 10 && !(await page.evaluate(() => document.activeElement?.tagName === 'CAISSE-CHECKOUT')); i++)
      await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${shop.payUrl}/checkout/**`);
    await page.focus('#account');
    await page.keyboard.type('alice');
    await page.keyboard.press('Tab');
    await page.keyboard.type('alice access key');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${shop.shopUrl}/paid*`);
    await page.locator('#result', { hasText: 'received' }).waitFor();
  });
});
