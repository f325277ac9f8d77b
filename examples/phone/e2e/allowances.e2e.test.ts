import { mkdirSync } from 'node:fs';
import { axeViolations, launchChromium } from '@caisse/testing/chromium';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The SDK's own end-to-end server: a bookshop asking for decoupled payments and allowances, customers with €100.00 each.
import { startPaymentServer, type TestPaymentServer } from '../../../packages/sdk/e2e/payment-server.js';
import { servePhoneApp } from './phone-app.js';

/**
 * Session allowances in the built app, in headless Chromium on a 390 × 844 screen, against
 * a real payment server: the request shows the allowance's terms and is granted with the
 * PIN; the allowances screen lists it (used of the maximum, what is left, until when), hears
 * of its end from the stream, and revokes another after a confirm step.
 */
const ARTIFACTS = new URL('../test-artifacts/', import.meta.url);
mkdirSync(ARTIFACTS, { recursive: true });
const WIDTH = 390;

let pay: TestPaymentServer;
let app: { url: string; close(): void };
let browser: Browser;

beforeAll(async () => {
  pay = await startPaymentServer();
  app = await servePhoneApp();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  app?.close();
  await pay?.close();
});

async function checkScreen(page: Page) {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(WIDTH);
  expect(await axeViolations(page)).toEqual([]);
}

/** Grants the bookshop an allowance of `maximum` on the phone, with the PIN; returns its id. */
async function grant(page: Page, maximum: number, label: string): Promise<string> {
  const ticket = await pay.requestAllowance(maximum, 'carol');
  const card = page.locator('li.request', { hasText: label });
  await card.getByText(`Allow The Bookshop to charge up to ${label} until`).waitFor();
  await card.getByRole('button', { name: 'Approve…' }).click();
  await page.getByRole('heading', { name: 'Grant this allowance?' }).waitFor();
  await page.keyboard.type('3690');
  await page.keyboard.press('Enter');
  await page
    .getByRole('status')
    .filter({ hasText: `Allowance of up to ${label} to The Bookshop approved.` })
    .waitFor();
  expect((await pay.outcome(ticket)).state).toBe('paid');
  const [allowance] = await pay.server.allowances.listForCustomer('carol');
  return allowance?.id as string;
}

describe('session allowances on the phone', () => {
  it('grants with the PIN after showing the terms, lists, follows an end from elsewhere, and revokes after a confirm step', async () => {
    const page = await (await browser.newContext({ locale: 'en-GB', viewport: { width: WIDTH, height: 844 } })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/Content Security Policy|'script-src'/.test(message.text())) errors.push(message.text());
    });
    await page.goto(`${app.url}/?server=${encodeURIComponent(pay.url)}`);
    await page.getByLabel('One-time code (12 digits)').fill(await pay.enrollmentCode('carol'));
    await page.getByLabel('New PIN (4 to 12 digits)').fill('3690');
    await page.getByLabel('Type the PIN again').fill('3690');
    await page.getByRole('button', { name: 'Add this account' }).click();
    await page.locator('li.account', { hasText: 'carol' }).waitFor();

    const first = await grant(page, 2000, '€20.00');
    await checkScreen(page);
    const second = await grant(page, 500, '€5.00');

    await page.locator('li.account', { hasText: 'carol' }).getByRole('button', { name: 'Allowances' }).click();
    await page.getByRole('heading', { name: 'Allowances · carol' }).waitFor();
    const cards = page.locator('li.allowance');
    await expect.poll(() => cards.count()).toBe(2);
    const twenty = cards.filter({ hasText: '€20.00' });
    await expect(twenty.textContent()).resolves.toContain('€0.00 of €20.00');
    await expect(twenty.textContent()).resolves.toContain('€20.00 left');
    await expect(twenty.textContent()).resolves.toMatch(/Until /);
    await checkScreen(page);
    await page.screenshot({ path: new URL('allowances-1-list.png', ARTIFACTS).pathname, fullPage: true });

    // Ended elsewhere (the account page, the merchant): the stream says so, the list follows.
    await pay.server.allowances.revoke('carol', second);
    await expect.poll(() => cards.count(), { timeout: 15_000 }).toBe(1);

    await twenty.getByRole('button', { name: 'Revoke…' }).click();
    await twenty.getByRole('button', { name: 'Keep' }).click();
    expect((await pay.server.allowances.listForCustomer('carol')).map((allowance) => allowance.id)).toEqual([first]);
    await twenty.getByRole('button', { name: 'Revoke…' }).click();
    await twenty.getByRole('button', { name: 'Revoke now' }).click();
    await page.getByRole('status').filter({ hasText: 'The Bookshop can no longer charge you under this allowance.' }).waitFor();
    await page.getByText('No merchant may charge you without asking.').waitFor();
    expect(await pay.server.allowances.listForCustomer('carol')).toEqual([]);
    await checkScreen(page);
    expect(errors).toEqual([]);
  });
});
