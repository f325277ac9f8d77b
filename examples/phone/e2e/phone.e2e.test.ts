import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { axeViolations, launchChromium } from '@caisse/testing/chromium';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The SDK's own end-to-end server: a bookshop asking for decoupled payments, alice with a funded wallet.
import { startPaymentServer, type TestPaymentServer } from '../../../packages/sdk/e2e/payment-server.js';

/**
 * The phone app as built (dist/) and served by serve.mjs, in headless Chromium on phone
 * screens (360 and 390 px wide), against a real payment server: enrol, a request arrives
 * live, a wrong PIN then the right one on the PIN pad by keyboard, paid; under the
 * customer's tap threshold, one tap approves without the PIN pad.
 */
const ARTIFACTS = new URL('../test-artifacts/', import.meta.url);
mkdirSync(ARTIFACTS, { recursive: true });

let pay: TestPaymentServer;
let app: ChildProcess;
let appUrl: string;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(new URL('../dist/app.js', import.meta.url))) throw new Error('Build the app first: node examples/phone/build.mjs');
  pay = await startPaymentServer();

  app = spawn(process.execPath, [new URL('../serve.mjs', import.meta.url).pathname], { env: { ...process.env, PORT: '0' } });
  appUrl = await new Promise<string>((resolve, reject) => {
    app.stdout?.on('data', (chunk: Buffer) => {
      const match = /http:\/\/localhost:\d+/.exec(chunk.toString());
      if (match) resolve(match[0]);
    });
    app.once('exit', (code) => reject(new Error(`serve.mjs exited with ${code}`)));
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  app?.kill();
  await pay?.close();
});

async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: new URL(`phone-${name}.png`, ARTIFACTS).pathname, fullPage: true });
}

describe('the phone app', () => {
  it('enrols, shows a live request, refuses a wrong PIN with the attempts left, approves by keyboard: paid', async () => {
    const page = await (await browser.newContext({ locale: 'en-GB', viewport: { width: 360, height: 740 } })).newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      // A wrong PIN is a 401 and a second dispute of a payment a 409, which Chromium logs as
      // failed resources: expected here. CSP reports are checked below by source, since
      // axe-core's own probe causes one.
      const text = message.text();
      if (message.type() === 'error' && !/status of 40[19]/.test(text) && !/Content Security Policy|'script-src'/.test(text))
        errors.push(text);
    });
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = seen;
      document.addEventListener('securitypolicyviolation', (event) =>
        seen.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}`),
      );
    });
    await page.goto(`${appUrl}/?server=${encodeURIComponent(pay.url)}`);
    await page.getByRole('heading', { name: 'Add an account' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, '1-enrol');

    // Two different PINs are caught before anything is sent.
    const code = await pay.enrollmentCode();
    await page.getByLabel('One-time code (12 digits)').fill(code);
    await page.getByLabel('New PIN (4 to 12 digits)').fill('2580');
    await page.getByLabel('Type the PIN again').fill('2581');
    await page.getByRole('button', { name: 'Add this account' }).click();
    await page.getByRole('alert').filter({ hasText: 'The two PINs differ' }).waitFor();
    await page.getByLabel('New PIN (4 to 12 digits)').fill('2580');
    await page.getByLabel('Type the PIN again').fill('2580');
    await page.getByRole('button', { name: 'Add this account' }).click();
    await page.getByRole('heading', { name: 'Payment requests' }).waitFor();
    await page.getByText('Connected').waitFor();
    expect(await axeViolations(page)).toEqual([]);

    // The app itself (zod included) runs under its CSP without a single violation.
    expect(
      await page.evaluate(() =>
        (window as unknown as { cspViolations: string[] }).cspViolations.filter((text) => text.includes(location.origin)),
      ),
    ).toEqual([]);
    const ticket = await pay.requestPayment(1290);
    const card = page.locator('li.request', { hasText: 'The Bookshop' });
    await card.waitFor();
    await expect(card.textContent()).resolves.toContain('€12.90');
    await expect(card.textContent()).resolves.toContain('Le Petit Prince');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, '2-request');

    await card.getByRole('button', { name: 'Approve…' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Approve this payment?' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.keyboard.type('1111');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'Wrong PIN, 4 attempts left.' }).waitFor();
    await screenshot(page, '3-wrong-pin');
    expect(await axeViolations(page)).toEqual([]);

    await page.keyboard.type('2580');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Payment of €12.90 to The Bookshop approved.' }).waitFor();
    expect((await pay.outcome(ticket)).state).toBe('paid');
    await page.getByRole('heading', { name: 'History' }).waitFor();
    // Not "Approved": what the server says became of it, with the id the voucher and the merchant show.
    const { jti: paymentId } = await pay.voucher(ticket);
    await page
      .locator('.history li')
      .first()
      .filter({ hasText: `Paid · ${paymentId}` })
      .waitFor();
    await expect(page.getByText('No payment is waiting for you.').isVisible()).resolves.toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, '4-approved');

    // Nothing overflows a 360 px screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

    // A new PIN: the old one must be right, the new one typed twice.
    await page.getByRole('button', { name: 'Change PIN…' }).click();
    await page.getByRole('heading', { name: 'Change the PIN of alice' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByLabel('Current PIN').fill('2580');
    await page.getByLabel('New PIN (4 to 12 digits)').fill('135790');
    await page.getByLabel('Type the new PIN again').fill('135790');
    await page.getByRole('button', { name: 'Change PIN', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Your PIN is changed.' }).waitFor();

    // The new PIN approves, typed on the pad's buttons this time.
    const second = await pay.requestPayment(990);
    await page.locator('li.request', { hasText: '€9.90' }).getByRole('button', { name: 'Approve…' }).click();
    for (const digit of '135790') await page.getByRole('button', { name: digit, exact: true }).click();
    await page.getByRole('button', { name: 'Approve €9.90' }).click();
    await page.getByRole('status').filter({ hasText: 'Payment of €9.90 to The Bookshop approved.' }).waitFor();
    expect((await pay.outcome(second)).state).toBe('paid');

    // Approved on the phone, then refused by the bank: the history tells the truth, live.
    const banked = await pay.requestPayment(6_000);
    await page.locator('li.request', { hasText: '€60.00' }).getByRole('button', { name: 'Approve…' }).click();
    await page.getByRole('button', { name: 'Approve €60.00' }).waitFor();
    await page.keyboard.type('135790');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Payment of €60.00 to The Bookshop approved.' }).waitFor();
    // Over the wallet threshold (50.00 EUR) the bank pays; alice has no bank with this server's, which declines.
    expect((await pay.outcome(banked)).state).toBe('refused');
    await page.locator('.history li').first().filter({ hasText: 'Refused by your bank: the payment was declined' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, '5-bank-refused');

    // Opened again with only what it answered (no outcome kept): the server's history tells it again.
    await page.evaluate(() => {
      const entries = JSON.parse(localStorage.getItem('caisse-phone-history') ?? '[]') as { result?: unknown }[];
      localStorage.setItem('caisse-phone-history', JSON.stringify(entries.map(({ result: _, ...entry }) => entry)));
    });
    await page.reload();
    await page
      .locator('.history li', { hasText: '€12.90' })
      .filter({ hasText: `Paid · ${paymentId}` })
      .waitFor();
    await page.locator('.history li', { hasText: '€60.00' }).filter({ hasText: 'Refused by your bank' }).waitFor();

    // A paid payment can be disputed from the history; a refused one cannot (nothing was paid).
    await expect(
      page.locator('.history li', { hasText: '€60.00' }).getByRole('button', { name: 'Report a problem' }).count(),
    ).resolves.toBe(0);
    await page.locator('.history li', { hasText: '€12.90' }).getByRole('button', { name: 'Report a problem' }).click();
    await page.getByRole('heading', { name: `Report a problem with ${paymentId}` }).waitFor();
    await page.getByRole('button', { name: 'Open a dispute' }).click();
    await page.getByRole('alert').filter({ hasText: 'Say in a few words what went wrong.' }).waitFor();
    await page.getByLabel('What went wrong').selectOption('not_received');
    await page.getByLabel('Tell the merchant and your payment operator').fill('The book never arrived.');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, '6-dispute');
    await page.getByRole('button', { name: 'Open a dispute' }).click();
    await page.getByRole('status').filter({ hasText: 'Dispute opened. The merchant answers by' }).waitFor();
    // Once per payment: a second report says where the first stands.
    await page.locator('.history li', { hasText: '€12.90' }).getByRole('button', { name: 'Report a problem' }).click();
    await page.getByLabel('Tell the merchant and your payment operator').fill('Again.');
    await page.getByRole('button', { name: 'Open a dispute' }).click();
    await page.getByRole('alert').filter({ hasText: 'This payment is already disputed.' }).waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();

    // Declined: the payment is refused, and the history says so.
    const declined = await pay.requestPayment(450);
    const next = page.locator('li.request', { hasText: '€4.50' });
    await next.getByRole('button', { name: 'Decline' }).click();
    await page.getByRole('status').filter({ hasText: 'Payment of €4.50 to The Bookshop declined.' }).waitFor();
    expect((await pay.outcome(declined)).state).toBe('refused');
    await expect(page.locator('.history li').first().textContent()).resolves.toContain('Declined');

    // Revoked from the phone: the account is gone and the form to add one is back.
    await page.getByRole('button', { name: 'Remove…' }).click();
    await page.getByRole('button', { name: 'Remove from this phone' }).click();
    await page.getByRole('heading', { name: 'Add an account' }).waitFor();
    expect(errors).toEqual([]);

    // The service worker kept the app shell: it starts without a network.
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await page.context().setOffline(true);
    await page.reload();
    await page.getByRole('heading', { name: 'Add an account' }).waitFor();
    await page.context().setOffline(false);
  }, 120_000);

  it('approves a payment under the tap threshold with one tap, asks the PIN above it; the vouchers say tap, then device', async () => {
    // Bob lets payments under €15.00 go with a tap (the operator allows up to €20.00, the default).
    await pay.server.plans.set('bob', 'EUR', { tapBelow: 1500 });
    const page = await (await browser.newContext({ locale: 'en-GB', viewport: { width: 390, height: 844 } })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/Content Security Policy|'script-src'/.test(message.text())) errors.push(message.text());
    });
    await page.goto(`${appUrl}/?server=${encodeURIComponent(pay.url)}`);
    await page.getByLabel('One-time code (12 digits)').fill(await pay.enrollmentCode('bob'));
    await page.getByLabel('New PIN (4 to 12 digits)').fill('1357');
    await page.getByLabel('Type the PIN again').fill('1357');
    await page.getByRole('button', { name: 'Add this account' }).click();
    await page.getByText('Connected').waitFor();

    const small = await pay.requestPayment(1200, 'bob');
    const tap = page.locator('li.request', { hasText: '€12.00' });
    await tap.getByText('Under your tap limit: no PIN needed.').waitFor();
    await expect(tap.getByRole('button', { name: 'Approve…' }).count()).resolves.toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, '5-tap-request');
    await tap.getByRole('button', { name: 'Approve', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Payment of €12.00 to The Bookshop approved.' }).waitFor();
    // Straight from the list: the PIN pad never opened.
    await expect(page.locator('.pin-pad').count()).resolves.toBe(0);
    await expect(pay.voucher(small)).resolves.toMatchObject({ amount: 1200, confirmation: { method: 'tap' } });

    const large = await pay.requestPayment(2500, 'bob');
    const pin = page.locator('li.request', { hasText: '€25.00' });
    await pin.waitFor();
    await expect(pin.textContent()).resolves.not.toContain('no PIN needed');
    await pin.getByRole('button', { name: 'Approve…' }).click();
    await page.getByRole('heading', { name: 'Approve this payment?' }).waitFor();
    for (const digit of '1357') await page.getByRole('button', { name: digit, exact: true }).click();
    await page.getByRole('button', { name: 'Approve €25.00' }).click();
    await page.getByRole('status').filter({ hasText: 'Payment of €25.00 to The Bookshop approved.' }).waitFor();
    await expect(pay.voucher(large)).resolves.toMatchObject({ amount: 2500, confirmation: { method: 'device' } });
    await expect(page.locator('.history').textContent()).resolves.toMatch(/€25\.00.*€12\.00/);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, '6-pin-after-tap');
    expect(errors).toEqual([]);
  }, 120_000);
});
