import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { axeViolations, launchChromium } from '@caisse/testing/chromium';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm run demo` as a person uses it, in real headless Chromium (Debian's): the demo
 * runner in its own process on free ports and a fresh data folder; a customer's browser
 * and, beside it, the phone app in a phone-sized window. Each step leaves a screenshot in
 * test-artifacts/, or with CAISSE_SCREENSHOTS=1 in docs/screenshots/ (the root README's).
 */
const ROOT = new URL('../../../', import.meta.url).pathname;
// The README's pictures are refreshed on request only, so that a test run leaves the tree clean.
const SHOTS =
  process.env.CAISSE_SCREENSHOTS === '1' ? join(ROOT, 'docs/screenshots') : new URL('../test-artifacts/', import.meta.url).pathname;
const PIN = '731946';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let demo: ChildProcess;
let output = '';
let dataDir: string;
let browser: Browser;
let desktop: BrowserContext;
let phoneContext: BrowserContext;
let phone: Page;
const urls = { payment: '', bookshop: '', newsstand: '', phone: '' };

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  dataDir = await mkdtemp(join(tmpdir(), 'caisse-demo-'));
  const ports = { PORT: await freePort(), CAISSE_BANK_PORT: await freePort(), BOOKSHOP_PORT: 0, NEWSSTAND_PORT: 0, PHONE_PORT: 0 };
  ports.BOOKSHOP_PORT = await freePort();
  ports.NEWSSTAND_PORT = await freePort();
  ports.PHONE_PORT = await freePort();
  urls.payment = `http://localhost:${ports.PORT}`;
  urls.bookshop = `http://localhost:${ports.BOOKSHOP_PORT}`;
  urls.newsstand = `http://localhost:${ports.NEWSSTAND_PORT}`;
  urls.phone = `http://localhost:${ports.PHONE_PORT}`;

  demo = spawn(process.execPath, ['scripts/demo.mjs', '--fresh'], {
    cwd: ROOT,
    env: {
      ...process.env,
      CAISSE_DEMO_DIR: dataDir,
      LOG_LEVEL: 'error',
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  demo.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes('Ctrl-C stops everything')) {
        clearInterval(timer);
        resolve();
      }
    }, 200);
    demo.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`the demo stopped (${code}):\n${output}`));
    });
  });

  browser = await launchChromium();
  desktop = await browser.newContext({ locale: 'en-GB', viewport: { width: 1100, height: 760 } });
  phoneContext = await browser.newContext({ locale: 'en-GB', viewport: { width: 390, height: 780 }, isMobile: true, hasTouch: true });
  phone = await phoneContext.newPage();
});

afterAll(async () => {
  await browser?.close();
  if (demo && demo.exitCode === null) {
    const exited = new Promise((resolve) => demo.once('exit', resolve));
    demo.kill('SIGINT');
    await exited;
  }
  await rm(dataDir, { recursive: true, force: true });
});

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

/** The hosted checkout's identification form. */
async function identify(page: Page, account: string, accessKey?: string) {
  await page.fill('#account', account);
  if (accessKey !== undefined) await page.fill('#access-key', accessKey);
  await page.click('form[action$="/identify"] button[type="submit"]');
}

/** On the phone: the waiting request, "Approve…", the PIN, approve. */
async function approveOnPhone(amount: string, screenshot: string) {
  const approve = phone.getByRole('button', { name: 'Approve…' });
  await approve.waitFor({ timeout: 30_000 });
  await shot(phone, screenshot);
  await approve.click();
  for (const digit of PIN) await phone.getByRole('button', { name: digit, exact: true }).click();
  await phone.getByRole('button', { name: `Approve ${amount}` }).click();
}

describe('the demo in Chromium', () => {
  it('prints where everything is, with the demo credentials and how to enrol the phone', () => {
    for (const url of Object.values(urls)) expect(output).toContain(url);
    expect(output).toContain('access key "demo-access-key"');
    expect(output).toContain('Enrol the phone');
    expect(output).toContain(`${urls.payment}/console  (operator "operator", password "demo-operator"`);
    expect(output).toMatch(/add the secret [A-Z2-7]{32} to it, or open otpauth:\/\/totp\//);
  });

  it('shows the operator console’s sign-in, on a desktop and on a phone; the printed password leads to the code', async () => {
    const page = await desktop.newPage();
    await page.goto(`${urls.payment}/console`);
    await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, '15-console-sign-in');
    await page.fill('#operator', 'operator');
    await page.fill('#password', 'demo-operator');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Enter your code' }).waitFor();
    await page.close();
    const small = await phoneContext.newPage();
    await small.goto(`${urls.payment}/console/sign-in`);
    expect(await axeViolations(small)).toEqual([]);
    await shot(small, '15b-console-sign-in-phone');
    await small.close();
  });

  it('enrols the phone with a code from the account page', async () => {
    const page = await desktop.newPage();
    await page.goto(`${urls.payment}/account`);
    await page.fill('#account', 'demo');
    await page.fill('#access-key', 'demo-access-key');
    await page.click('form[action$="/identify"] button[type="submit"]');
    await page.getByRole('button', { name: 'Enroll a phone' }).click();
    const code = (await page.locator('.code strong').textContent())?.trim() ?? '';
    expect(code).not.toBe('');
    await shot(page, '01-enrolment-code');

    await phone.goto(urls.phone);
    await phone.fill('#server', urls.payment);
    await phone.fill('#code', code);
    await phone.fill('#pin', PIN);
    await phone.fill('#pin-again', PIN);
    await phone.locator('form.enroll button[type="submit"]').click();
    await phone.getByText('demo', { exact: false }).first().waitFor();
    await phone.locator('form.enroll').waitFor({ state: 'detached' });
    await shot(phone, '02-phone-enrolled');
    await page.close();
  });

  let orderUrl = '';
  it('buys a book: shop, payment server, approved on the phone, back in the shop with the order paid', async () => {
    const page = await desktop.newPage();
    await page.goto(urls.bookshop);
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, '03-bookshop');
    await page.locator('li', { hasText: 'Le Petit Prince' }).getByRole('button', { name: 'Add to basket' }).click();
    await page.goto(`${urls.bookshop}/basket`);
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Checkout' }).click();
    await page.waitForURL(/\/orders\/B-\d+$/);
    orderUrl = page.url();
    const pay = page.locator('caisse-checkout button.pay');
    await expect(pay.textContent()).resolves.toContain('€7.90');
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, '04-order');
    await pay.click();
    await page.waitForURL(`${urls.payment}/checkout/**`);
    // The bookshop asks for the shipping address: the customer gives it to the payment server, which puts it in the voucher.
    await page.fill('#shipping-name', 'Camille Martin');
    await page.fill('#shipping-line1', '12 rue des Carmes');
    await page.fill('#shipping-postal-code', '76000');
    await page.fill('#shipping-city', 'Rouen');
    await page.fill('#shipping-country', 'FR');
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, '04b-shipping-address');
    await identify(page, 'demo');
    await page.getByRole('heading', { name: 'Confirm on your phone' }).waitFor();
    await shot(page, '05-confirm-on-phone');
    await approveOnPhone('€7.90', '06-phone-request');
    await page.waitForURL(`${orderUrl}*`, { timeout: 30_000 });
    await page.locator('#order-status', { hasText: 'Paid, being prepared' }).waitFor({ timeout: 30_000 });
    // Back through the shop's return handler, which verified the voucher before sending the browser to the order
    // page: the order is paid and the address the voucher brought is on the page as it loads.
    await page.getByText('76000 Rouen').waitFor({ timeout: 30_000 });
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, '07-book-paid');
    await page.close();
  });

  it('marks the book shipped and delivered on the admin page: the held payment is released to the shop', async () => {
    const admin = await browser.newContext({
      httpCredentials: { username: 'admin', password: 'demo' },
      viewport: { width: 1100, height: 760 },
    });
    const page = await admin.newPage();
    const serial = orderUrl.split('/').pop() ?? '';
    await page.goto(`${urls.bookshop}/admin`);
    const row = page.locator(`#order-${serial}`);
    await row.getByRole('button', { name: 'Mark shipped' }).click();
    await row.getByRole('button', { name: 'Mark delivered' }).click();
    await page.getByText(`Order ${serial}: done (deliver).`).waitFor();
    // The merchant API's answer shows the payment released at once; its notification arrives within seconds.
    for (let i = 0; i < 30 && !(await page.locator('#notifications').textContent())?.includes('payment.released'); i++) {
      await page.waitForTimeout(1000);
      await page.goto(`${urls.bookshop}/admin`);
    }
    await expect(row.locator('.payment').textContent()).resolves.toBe('released');
    await expect(page.locator('#notifications').textContent()).resolves.toContain('payment.released');
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, '08-admin-delivered');
    await admin.close();
  });

  it('buys an article through a quote: priced by the newsstand when asked, approved on the phone, opened on the payment server, then on the newsstand', async () => {
    const page = await desktop.newPage();
    await page.goto(urls.newsstand);
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, '09-newsstand');
    await page.goto(`${urls.newsstand}/articles/bakers`);
    expect(await axeViolations(page)).toEqual([]);
    // Its price now (`priceAt` in examples/newsstand/src/articles.ts, on the real clock): a fresh
    // article costs half as much again for its first 24 hours; the bakers' came out on 1 March 2026.
    await expect(page.locator('.paywall').textContent()).resolves.toContain('Read the whole article for €0.50');
    // The article's own button, in the whole window: the offer of an hour of reading below it has another.
    await page.locator('.paywall > caisse-checkout').getByRole('button', { name: 'See the price and pay' }).click();
    // The payment server asked the newsstand's quote endpoint for the price, and shows it.
    await page.waitForURL(`${urls.payment}/checkout/**`);
    await expect(page.locator('main').textContent()).resolves.toContain('€0.50');
    // A quoted ticket names no customer: the reader gives their account here (unless the page already has it).
    if ((await page.inputValue('#account')) === '') await page.fill('#account', 'demo');
    await page.getByRole('button', { name: 'Pay €0.50' }).click();
    await page.getByRole('heading', { name: 'Confirm on your phone' }).waitFor();
    await shot(page, '10-article-confirming');
    await approveOnPhone('€0.50', '11-phone-article-request');
    // Paid: the payment server hands the article over itself (Open, once), then the way back to the shop.
    await page.getByRole('heading', { name: 'Payment received: The night shift: a week with Lyon’s bakers' }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Open The night shift: a week with Lyon’s bakers' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, '11b-article-delivery');
    await page.getByRole('link', { name: 'Return to Le Kiosque' }).click();
    await page.waitForURL(`${urls.newsstand}/articles/bakers*`, { timeout: 30_000 });
    await page.locator('#article-body').waitFor({ timeout: 30_000 });
    await expect(page.locator('#spent-today').textContent()).resolves.toContain('€0.50');
    await shot(page, '12-article-paid');
    await page.goto(`${urls.newsstand}/history`);
    expect(await axeViolations(page)).toEqual([]);
    await page.close();
  });

  it('shows a refusal for insufficient funds in words', async () => {
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1100, height: 760 } });
    const page = await context.newPage();
    await page.goto(`${urls.newsstand}/articles/budget`);
    await page.locator('.paywall > caisse-checkout').getByRole('button', { name: 'See the price and pay' }).click();
    await page.waitForURL(`${urls.payment}/checkout/**`);
    await identify(page, 'demo-short', 'demo-short-access-key');
    await page.getByText('Not enough money in your wallet', { exact: false }).first().waitFor();
    await shot(page, '13-refused-payment-server');
    // Back through the newsstand's return handler, to the article, which says why.
    await page.click('a.button-primary');
    await page.waitForURL(`${urls.newsstand}/articles/budget*`, { timeout: 30_000 });
    await page.locator('#refusal', { hasText: 'There is not enough money in your wallet.' }).waitFor({ timeout: 30_000 });
    await expect(page.locator('#article-body').count()).resolves.toBe(0);
    await shot(page, '14-refused-newsstand');
    await context.close();
  });
});
