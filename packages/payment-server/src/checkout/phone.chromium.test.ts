import { launchChromium } from '@caisse/testing/chromium';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TestDevice } from '../__fixtures__/device.js';
import { SHOP_ORIGIN, startTestServer } from '../__fixtures__/payment-server.js';
import { addCustomer, PIN, pending, ticketFor } from './__fixtures__/phone.js';

/**
 * The "confirm on your phone" page in real headless Chromium (Debian's), under its strict
 * CSP: its one external script follows the events feed and reloads the page when the
 * phone answers, with nothing clicked but "Confirm on my phone".
 */

let browser: Browser;
let shop: Awaited<ReturnType<typeof startTestServer>>;
let alicePhone: TestDevice;

beforeAll(async () => {
  shop = await startTestServer();
  alicePhone = (await addCustomer(shop, 'alice', '+33612345678')) as TestDevice;
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await shop?.close();
});

/** A page whose CSP violations and script errors are collected (not the shop's: its origin does not exist). */
async function newPage(): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ locale: 'en-GB' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().includes('ERR_NAME_NOT_RESOLVED')) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return { page, problems };
}

function requestOf(jti: string) {
  return vi.waitFor(
    async () => {
      const request = (await pending(alicePhone)).find((open) => open.ticket.jti === jti);
      if (request === undefined) throw new Error('the request never reached the phone');
      return request;
    },
    { timeout: 5_000, interval: 100 },
  );
}

describe('the phone confirmation page in Chromium', () => {
  it('one click, then the page follows the phone by itself: countdown, approval, back at the shop with a voucher', async () => {
    const { page, problems } = await newPage();
    const ticket = ticketFor(shop, 1290, { account: 'alice' });
    await page.goto(`${shop.url}/pay?ticket=${ticket.token}`);
    await page.getByRole('button', { name: 'Confirm on my phone' }).click();
    await page.getByRole('heading', { name: 'Confirm on your phone' }).waitFor();

    // The script ran under the CSP: the countdown shows, the "does not update" note is gone.
    const countdown = page.locator('#caisse-countdown');
    await countdown.waitFor({ state: 'visible' });
    expect(await countdown.textContent()).toMatch(/^[45]:\d\d$/);
    expect(await page.locator('#caisse-no-update').isHidden()).toBe(true);
    await expect(page.locator('#caisse-live-note').textContent()).resolves.toContain('updates by itself');

    const request = await requestOf(ticket.claims.jti);
    // The browser is sent to the shop's return URL (which does not resolve here: the request is what counts).
    const leaving = page.waitForRequest((sent) => sent.url().startsWith(`${SHOP_ORIGIN}/paid?`), { timeout: 15_000 });
    expect((await alicePhone.send(request, 'approve', PIN)).status).toBe(200);
    const voucher = new URL((await leaving).url()).searchParams.get('caisse_voucher') ?? '';
    await expect(shop.merchant.verifyVoucher(voucher, { ticket: ticket.reference })).resolves.toMatchObject({
      confirmation: { method: 'device' },
    });
    expect(problems).toEqual([]);
  });

  it('a decline on the phone turns the page into the refusal by itself', async () => {
    const { page, problems } = await newPage();
    const ticket = ticketFor(shop, 990, { account: 'alice' });
    await page.goto(`${shop.url}/pay?ticket=${ticket.token}`);
    await page.getByRole('button', { name: 'Confirm on my phone' }).click();
    await page.locator('#caisse-countdown').waitFor({ state: 'visible' });
    expect((await alicePhone.send(await requestOf(ticket.claims.jti), 'decline')).status).toBe(200);
    await page.getByText('declined', { exact: false }).first().waitFor({ timeout: 15_000 });
    expect(await page.locator('#caisse-countdown').count()).toBe(0);
    expect(problems).toEqual([]);
  });
});
