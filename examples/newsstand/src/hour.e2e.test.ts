import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPaymentServer } from '@caisse/example-e2e';
import { type Account, type ConfirmationRequest, createDevice, memoryStore } from '@caisse/sdk';
import { generateKey } from '@caisse/server-kit';
import { createMerchantClient } from '@caisse/server-kit/client';
import { launchChromium } from '@caisse/testing/chromium';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNewsstand } from './app.js';
import { freePort, registerNewsstand } from './test-support.js';

/**
 * "Read for an hour, up to €2.00" as a reader does it, in real headless Chromium on a
 * 390 px wide phone screen: the newsstand and a real payment server on real clocks (only
 * that of the newsstand's live prices is frozen, long after every article was published:
 * each at its plain price), the customer's phone played by the SDK in Node (enrolled with a one-time code,
 * approving with its PIN). One approval on the phone grants the hour; then articles open
 * in one click, each deducted from it, and no request reaches the phone (none is open).
 */
const ARTIFACTS = new URL('../test-artifacts/', import.meta.url).pathname;
const WIDTH = 390;
const PIN = '4821';

let payment: Awaited<ReturnType<typeof startPaymentServer>>;
let newsstand: Awaited<ReturnType<typeof startNewsstand>>;
let dataDir: string;
let browser: Browser;
let phone: Account;
const key = generateKey({ test: true });
/** Every confirmation request the phone received and approved, in order. */
const received: ConfirmationRequest[] = [];

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  payment = await startPaymentServer({ walletCents: 1000n, mode: 'test' });
  dataDir = await mkdtemp(join(tmpdir(), 'newsstand-hour-'));
  const port = await freePort();
  await registerNewsstand(payment, key.jwks, port);
  newsstand = await startNewsstand({
    port,
    paymentServerUrl: payment.url,
    merchantId: 'newsstand',
    signingKey: key.privateJwk,
    dataDir,
    priceClock: () => new Date('2026-06-01T12:00:00Z'),
  });
  const device = createDevice({ server: payment.url, store: memoryStore(), backoff: { initialDelay: 50, maxDelay: 200 } });
  const { code } = await payment.server.devices.createCode(payment.customer.accountId);
  phone = await device.enroll({ code, pin: PIN, name: 'Test phone' });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await newsstand?.close();
  await payment?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function readerPage(): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ locale: 'en-GB', viewport: { width: WIDTH, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  return { page, problems };
}

/**
 * The phone's one open request, approved with the PIN. A request stays open until it is
 * answered or expires (minutes), so an empty `pending()` later proves none came meanwhile.
 */
async function approveOnPhone(): Promise<ConfirmationRequest> {
  const deadline = Date.now() + 20_000;
  let open = await phone.pending();
  while (open.length === 0) {
    if (Date.now() > deadline) throw new Error('no request reached the phone');
    await new Promise((resolve) => setTimeout(resolve, 100));
    open = await phone.pending();
  }
  expect(open).toHaveLength(1);
  const request = open[0] as ConfirmationRequest;
  await expect(phone.approve(request, PIN)).resolves.toBe('approved');
  received.push(request);
  return request;
}

/**
 * "Read for an hour" on an article page: the payment window, the account, "Confirm on
 * your phone", approved there. Returns the phone's request and the allowance's id, from
 * the voucher the widget hands the page.
 */
async function takeAnHour(page: Page, article: string): Promise<{ request: ConfirmationRequest; hourId: string }> {
  await page.goto(`${newsstand.url}/articles/${article}`);
  const hourId = page.evaluate(
    () =>
      new Promise<string>((resolve) =>
        document
          .querySelector('section.hour caisse-checkout')
          ?.addEventListener('caisse:paid', (event) => resolve((event as CustomEvent).detail.voucher.allowance.id)),
      ),
  );
  const popup = page.waitForEvent('popup');
  await page.locator('section.hour').getByRole('button', { name: 'Allow up to €2.00' }).click();
  const window = await popup;
  await window.getByRole('heading', { name: 'Give Le Kiosque an allowance' }).waitFor();
  expect(await window.locator('main').textContent()).toContain('Le Kiosque asks for an allowance: up to €2.00 until');
  await window.fill('#account', payment.customer.accountId);
  await window.getByRole('button', { name: 'Allow up to €2.00' }).click();
  await window.getByRole('heading', { name: 'Confirm on your phone' }).waitFor();
  const request = await approveOnPhone();
  // The widget verifies the grant's voucher with the newsstand, then the page reloads with the one-click button.
  const id = await hourId;
  await page.getByRole('button', { name: /^Read it: / }).waitFor({ timeout: 20_000 });
  return { request, hourId: id };
}

/** "Read it" during the hour: the article opens on this page, with no phone step. */
async function readWithTheHour(page: Page, article: string, price: string, left: string) {
  await page.goto(`${newsstand.url}/articles/${article}`);
  await page.getByRole('button', { name: `Read it: ${price} from your hour` }).click();
  await page.locator('#article-body').waitFor();
  expect(await page.locator('#hour-left').textContent()).toBe(`${left} left of your hour`);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(WIDTH);
}

describe('an hour of reading, at phone size', () => {
  const client = () => createMerchantClient({ server: payment.url, merchantId: 'newsstand', key: key.privateJwk, retry: 0 });

  it('is granted once on the phone; then each article opens in one click, deducted from it, with nothing sent to the phone', async () => {
    const { page, problems } = await readerPage();
    const { request: grant, hourId } = await takeAnHour(page, 'tides');
    expect(grant).toMatchObject({
      amount: 200,
      currency: 'EUR',
      payee: { name: 'Le Kiosque' },
      allowance: { expiresAt: expect.any(Number) },
    });
    expect(grant.allowance?.expiresAt).toBeGreaterThan(Date.now() / 1000 + 3500);
    expect(await page.locator('#hour-left').textContent()).toBe('€2.00 left of your hour');
    await page.screenshot({ path: join(ARTIFACTS, 'hour-1-granted.png'), fullPage: true });

    await readWithTheHour(page, 'tides', '€0.20', '€1.80');
    await readWithTheHour(page, 'bakers', '€0.50', '€1.30');
    await readWithTheHour(page, 'rail', '€0.70', '€0.60');
    await page.screenshot({ path: join(ARTIFACTS, 'hour-2-read.png'), fullPage: true });
    expect(received).toEqual([grant]);
    await expect(phone.pending()).resolves.toEqual([]);

    // The payment server's account of the hour: three charges, each the article's price.
    const history = await page.goto(`${newsstand.url}/history`);
    expect(await history?.text()).toContain('Spent today: <strong>€1.40</strong>');
    const hour = await client().allowances.get(hourId);
    expect(hour).toMatchObject({ state: 'active', maximum: 200, used: 140, remaining: 60 });
    expect(hour.charges.map((charge) => charge.amount)).toEqual([20, 50, 70]);

    // What is left does not cover the next article: said in plain words, and it is paid on its own.
    await page.goto(`${newsstand.url}/articles/chess`);
    expect(await page.locator('#hour-why').textContent()).toBe(
      'Your hour has €0.60 left, not enough for this article (€0.80). Pay for it on its own, or start a new hour.',
    );
    // The article's own checkout: its price is asked for when the reader presses the button.
    await page.getByRole('button', { name: 'See the price and pay' }).waitFor();
    expect(await page.locator('#article-body').count()).toBe(0);
    expect(received).toHaveLength(1);
    expect(problems).toEqual([]);
  });

  it('takes a new hour in place of the old one (closed), and when the hour can no longer pay, falls back to the article’s own checkout', async () => {
    const { page, problems } = await readerPage();
    const first = await takeAnHour(page, 'budget');
    await readWithTheHour(page, 'budget', '€1.00', '€1.00');
    await readWithTheHour(page, 'chess', '€0.80', '€0.20');
    // €0.20 left does not cover this article: the page offers a new hour, which replaces the old.
    await page.goto(`${newsstand.url}/articles/rail`);
    expect(await page.locator('#hour-why').textContent()).toContain('Your hour has €0.20 left, not enough for this article (€0.70).');
    const second = await takeAnHour(page, 'rail');
    expect(await page.locator('#hour-left').textContent()).toBe('€2.00 left of your hour');
    // One request per hour taken, none per article.
    expect(received.slice(1)).toEqual([first.request, second.request]);
    await expect(phone.pending()).resolves.toEqual([]);
    expect(await client().allowances.get(first.hourId)).toMatchObject({ state: 'ended', endReason: 'closed', used: 180 });

    // The hour ends on the payment server while the reader looks at an article it covers.
    await page.goto(`${newsstand.url}/articles/rail`);
    await client().allowances.close(second.hourId);
    await page.getByRole('button', { name: 'Read it: €0.70 from your hour' }).click();
    await page.locator('#hour-why').waitFor();
    expect(await page.locator('#hour-why').textContent()).toBe(
      'Your hour of reading can no longer pay. Pay for this article on its own, or start a new hour.',
    );
    await page.getByRole('button', { name: 'See the price and pay' }).waitFor();
    expect(await page.locator('#hour-left').count()).toBe(0);
    expect(await page.locator('#article-body').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'hour-3-ended.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});
