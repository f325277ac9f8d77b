import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPaymentServer } from '@caisse/example-e2e';
import { type Account, type ConfirmationRequest, createDevice, memoryStore } from '@caisse/sdk';
import { generateKey } from '@caisse/server-kit';
import { launchChromium } from '@caisse/testing/chromium';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNewsstand } from './app.js';
import { findArticle } from './articles.js';
import { freePort, registerNewsstand } from './test-support.js';

/**
 * An article bought through a quote and handed over by the payment server, as a reader does
 * it in real headless Chromium: the widget asks the payment server for the price, which asks
 * the newsstand (its quote endpoint); then the newsstand goes down, the reader confirms on
 * the phone (played by the SDK in Node) and opens the article on the payment server's page,
 * once; back up, the newsstand learns of the payment from its notification. Real clocks,
 * except that of the newsstand's live prices, frozen two hours after the tides article was
 * published: it costs €0.30 instead of €0.20.
 */
const PIN = '5173';
const PRICES_AT = new Date('2026-03-02T08:00:00Z');
const TIDES = findArticle('tides') as NonNullable<ReturnType<typeof findArticle>>;
const RAIL = findArticle('rail') as NonNullable<ReturnType<typeof findArticle>>;

let payment: Awaited<ReturnType<typeof startPaymentServer>>;
let newsstand: Awaited<ReturnType<typeof startNewsstand>> | undefined;
let port: number;
let dataDir: string;
let browser: Browser;
let phone: Account;
const key = generateKey({ test: true });

const start = () =>
  startNewsstand({
    port,
    paymentServerUrl: payment.url,
    merchantId: 'newsstand',
    signingKey: key.privateJwk,
    dataDir,
    priceClock: () => PRICES_AT,
  });
const shop = () => `http://localhost:${port}`;

beforeAll(async () => {
  payment = await startPaymentServer({ walletCents: 1000n, mode: 'test' });
  dataDir = await mkdtemp(join(tmpdir(), 'newsstand-quote-'));
  port = await freePort();
  await registerNewsstand(payment, key.jwks, port);
  newsstand = await start();
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

/** A reader's browser: its own cookies (a reader is a browser), and the page's script errors. */
async function readerPage(): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1024, height: 800 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  return { page, problems };
}

/** The phone's one open request: there is one as soon as the payment page says "Confirm on your phone". */
async function phoneRequest(): Promise<ConfirmationRequest> {
  const open = await phone.pending();
  expect(open).toHaveLength(1);
  return open[0] as ConfirmationRequest;
}

/**
 * The article's checkout up to the phone: "See the price and pay" on the article page, the
 * quote on the payment server's page, the account typed in, "Pay". Returns the checkout's
 * address and its form token (the same for every form of the checkout, in this browser).
 */
async function askAndPay(page: Page, article: string, price: string): Promise<{ checkout: string; csrf: string }> {
  await page.goto(`${shop()}/articles/${article}`);
  await page.getByRole('button', { name: 'See the price and pay' }).click();
  await page.waitForURL(`${payment.url}/checkout/**`);
  const checkout = page.url();
  // The price the newsstand gave when asked, on the payment server's page.
  expect(await page.locator('main').textContent()).toContain(price);
  const csrf = await page.locator('input[name="csrf"]').first().inputValue();
  await page.fill('#account', payment.customer.accountId);
  await page.getByRole('button', { name: `Pay ${price}` }).click();
  await page.getByRole('heading', { name: 'Confirm on your phone' }).waitFor();
  return { checkout, csrf };
}

/** Posts the checkout's Open form from the payment server's own page, as its button does; resolves with the answer's status (the page then shows it). */
async function openAgain(page: Page, action: string, csrf: string): Promise<number> {
  const answer = page.waitForResponse((response) => response.url() === action);
  await page.evaluate(
    ([to, token]) => {
      const form = Object.assign(document.createElement('form'), { method: 'post', action: to });
      form.append(Object.assign(document.createElement('input'), { type: 'hidden', name: 'csrf', value: token }));
      document.body.append(form);
      form.submit();
    },
    [action, csrf] as const,
  );
  return (await answer).status();
}

describe('an article bought through a quote', () => {
  it('is priced when asked, paid while the newsstand is down, opened once on the payment server, and in the history once it is back', async () => {
    const { page, problems } = await readerPage();
    await page.goto(`${shop()}/articles/tides`);
    expect(await page.locator('.paywall').textContent()).toContain('Read the whole article for €0.30');
    const { checkout } = await askAndPay(page, 'tides', '€0.30');

    // The newsstand goes down; the reader confirms on the phone all the same.
    await newsstand?.close();
    newsstand = undefined;
    const request = await phoneRequest();
    expect(request).toMatchObject({ amount: 30, currency: 'EUR', payee: { name: 'Le Kiosque' } });
    await expect(phone.approve(request, PIN)).resolves.toBe('approved');

    // The payment server's page: the article, to open here.
    await page.getByRole('heading', { name: `Payment received: ${TIDES.title}` }).waitFor({ timeout: 20_000 });
    const open = page.locator('form[action$="/content"]');
    const action = new URL((await open.getAttribute('action')) as string, page.url()).href;
    const csrf = await open.locator('input[name="csrf"]').inputValue();
    await page.getByRole('button', { name: `Open ${TIDES.title}` }).click();
    await page.getByRole('heading', { name: TIDES.title, exact: true }).waitFor();
    const text = await page.locator('body').textContent();
    for (const paragraph of TIDES.body) expect(text).toContain(paragraph);
    expect(await page.locator('script').count()).toBe(0);

    // Opened once: the page now says when, and a second Open is refused.
    await page.goto(new URL(`${new URL(checkout).pathname}/return`, payment.url).href);
    expect(await page.locator('main').textContent()).toContain('You opened it here at');
    expect(await page.getByRole('button', { name: `Open ${TIDES.title}` }).count()).toBe(0);
    expect(await openAgain(page, action, csrf)).toBe(410);
    await page.getByRole('heading', { name: 'Already opened' }).waitFor();
    expect(await page.locator('body').textContent()).not.toContain(TIDES.body[0]);

    // The newsstand is back: the notification tells it of the payment, and the reader finds the article there.
    newsstand = await start();
    await payment.deliverNotifications();
    await page.goto(`${shop()}/history`);
    expect(await page.locator('table').textContent()).toContain(TIDES.title);
    expect(await page.locator('#today').textContent()).toBe('Spent today: €0.30');
    await page.goto(`${shop()}/articles/tides`);
    expect(await page.locator('#article-body').textContent()).toContain(TIDES.body[0]);
    expect(problems).toEqual([]);
  });

  it('releases nothing when the payment is refused', async () => {
    newsstand ??= await start(); // up, even if the test before stopped short while it was down
    const { page, problems } = await readerPage();
    const { checkout, csrf } = await askAndPay(page, 'rail', '€0.70');
    await expect(phone.decline(await phoneRequest())).resolves.toBe('declined');
    await page.getByRole('heading', { name: 'Payment declined on your phone' }).waitFor({ timeout: 20_000 });
    expect(await page.getByRole('button', { name: /^Open / }).count()).toBe(0);

    // The article is withheld, even asked for with this checkout's own form token.
    expect(await openAgain(page, `${checkout}/content`, csrf)).toBe(409);
    await page.getByRole('heading', { name: 'Nothing to open' }).waitFor();
    expect(await page.locator('body').textContent()).not.toContain(RAIL.body[0]);

    // Back at the newsstand: the refusal in words, the article closed, nothing in the history.
    await page.goto(`${checkout}/return`);
    await page.waitForURL(`${shop()}/articles/rail?caisse_reason=customer_declined`);
    expect(await page.locator('#refusal').textContent()).toContain('Payment refused.');
    expect(await page.locator('#article-body').count()).toBe(0);
    await payment.deliverNotifications();
    await page.goto(`${shop()}/history`);
    expect(await page.locator('table').textContent()).toContain('Nothing yet.');
    expect(problems).toEqual([]);
  });
});
