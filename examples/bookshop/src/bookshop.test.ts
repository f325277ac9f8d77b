import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpBrowser, startPaymentServer } from '@caisse/example-e2e';
import { generateKey } from '@caisse/server-kit';
import { createMerchantClient } from '@caisse/server-kit/client';
import { launchChromium } from '@caisse/testing/chromium';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBookshop } from './app.js';

/**
 * The bookshop over real HTTP against a real payment server: the customer's side with a
 * scripted browser, the shop keeper's side through the admin page.
 */
const ADMIN = { authorization: `Basic ${Buffer.from('admin:test admin password').toString('base64')}` };

let payment: Awaited<ReturnType<typeof startPaymentServer>>;
let shop: Awaited<ReturnType<typeof startBookshop>>;
let dataDir: string;
// A test key, against a payment server in test mode: as the demo runs the bookshop.
const key = generateKey({ test: true });

async function openShop(port = 0) {
  return startBookshop({
    port,
    paymentServerUrl: payment.url,
    merchantId: 'bookshop',
    signingKey: key.privateJwk,
    dataDir,
    adminPassword: 'test admin password',
  });
}

beforeAll(async () => {
  payment = await startPaymentServer({ mode: 'test' });
  dataDir = await mkdtemp(join(tmpdir(), 'bookshop-'));
  shop = await openShop();
  await payment.server.merchants.register({
    id: 'bookshop',
    displayName: 'The Bookshop',
    jwks: key.jwks,
    returnOrigins: [shop.url],
    notifyUrl: `${shop.url}/caisse/notify`,
  });
});
afterAll(async () => {
  await shop?.close();
  await payment?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** The shipping address the customer types on the hosted page (the ticket requests it). */
const ADDRESS = {
  shippingName: 'Emma Bovary',
  shippingLine1: '1 rue de la République',
  shippingPostalCode: '76000',
  shippingCity: 'Rouen',
  shippingCountry: 'FR',
};

const ADDRESS_SHARED = { name: 'Emma Bovary', line1: '1 rue de la République', postalCode: '76000', city: 'Rouen', country: 'FR' };

const ticketOf = (html: string) => /<caisse-checkout ticket="([^"]+)"/.exec(html)?.[1] ?? '';
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());

/** Basket and checkout: the order page, with the widget's ticket. */
async function placeOrder(browser: HttpBrowser, ...books: string[]) {
  for (const book of books) await browser.go(`${shop.url}/basket`, { form: { book } });
  const page = await browser.go(`${shop.url}/checkout`, { form: {} });
  return { serial: page.url.pathname.split('/').pop() ?? '', ticket: ticketOf(page.html) };
}

/**
 * The hosted page for a ticket, then back where the payment server sends the browser: our
 * return handler, which verifies and sends it on to the order page (`back`). `lost`: the
 * browser never arrives back at the shop (`back.url` is where it was sent). `voucher`: the
 * token the payment server put in the return address.
 */
async function pay(browser: HttpBrowser, ticket: string, { lost = false } = {}) {
  const checkout = await browser.go(`${payment.url}/pay`, { form: { ticket }, origin: shop.url });
  const back = await browser.go(HttpBrowser.action(checkout, '/identify'), {
    form: { csrf: HttpBrowser.csrf(checkout.html), account: payment.customer.accountId, accessKey: payment.customer.accessKey, ...ADDRESS },
    ...(lost ? { stopAt: (next: URL) => next.origin === shop.url } : {}),
  });
  const returned = [...back.hops, back.url].find((url) => url.searchParams.has('caisse_voucher'));
  return { back, voucher: returned?.searchParams.get('caisse_voucher') ?? '' };
}

/** Basket, checkout, the hosted page, back at the shop's order page. */
async function buy(browser: HttpBrowser, ...books: string[]) {
  const placed = await placeOrder(browser, ...books);
  return { ...placed, ...(await pay(browser, placed.ticket)) };
}

const admin = (path: string, form?: Record<string, string>) =>
  new HttpBrowser().go(`${shop.url}/admin${path}`, { headers: ADMIN, ...(form ? { form } : {}) });

describe('the bookshop', () => {
  let first: Awaited<ReturnType<typeof buy>>;
  const browser = new HttpBrowser();

  it('sells a book: a deferred ticket asking for the address, the hosted page, back through the return handler to the order page, paid and held', async () => {
    first = await buy(browser, 'petit-prince', 'germinal', 'germinal');
    expect(claimsOf(first.ticket)).toMatchObject({
      serial: first.serial,
      amount: 790 + 2 * 1090,
      fulfilment: 'deferred',
      requested: ['shipping_address'],
      returnUrl: `${shop.url}/caisse/return`,
      cancelUrl: `${shop.url}/caisse/return`,
    });
    // The payment server sent the browser to our return handler with the voucher; the handler
    // verified it (no script needed) and sent the browser on to the order page, the token gone.
    expect(
      first.back.hops.some((url) => url.pathname === '/caisse/return' && url.searchParams.get('caisse_voucher') === first.voucher),
    ).toBe(true);
    expect(first.back.url.href).toBe(`${shop.url}/orders/${first.serial}`);
    expect(first.back.html).toContain('Paid, being prepared');
    expect(first.back.html).not.toContain('<caisse-checkout');
    expect(shop.orders.get(first.serial)).toMatchObject({ status: 'paid', paymentStatus: 'held', amount: 2970 });
    // The address typed on the hosted page, shared in the voucher, is the order's, on its page at once.
    expect(shop.orders.get(first.serial)?.shippingAddress).toEqual({ ...ADDRESS_SHARED });
    expect(first.back.html).toContain('76000 Rouen');
    expect((await admin('')).html).toContain('76000 Rouen');
  });

  it('takes a voucher once, and only from the browser that placed the order', async () => {
    // Back or reload onto the return address: the voucher is used, and the paid customer still sees no error page.
    const again = await browser.go(`${shop.url}/caisse/return?caisse_voucher=${first.voucher}`);
    expect(again.status).toBe(200);
    expect(again.url.searchParams.has('caisse_voucher')).toBe(false);
    // The widget's popup mode posts the token to the same handler: a used one is refused.
    const posted = await browser.go(`${shop.url}/caisse/return`, { json: { token: first.voucher } });
    expect(JSON.parse(posted.html)).toMatchObject({ code: 'token_replayed' });

    // A voucher copied from the address before its own browser got back is useless in another browser…
    const owner = new HttpBrowser();
    const other = await placeOrder(owner, 'bovary');
    const copied = await pay(owner, other.ticket, { lost: true });
    const stranger = await new HttpBrowser().go(`${shop.url}/caisse/return`, { json: { token: copied.voucher } });
    expect(JSON.parse(stranger.html)).toMatchObject({ code: 'state_mismatch' });
    expect(shop.orders.get(other.serial)?.status).toBe('awaiting_payment');
    // …and still good in its own.
    expect((await owner.go(copied.back.url.href)).url.href).toBe(`${shop.url}/orders/${other.serial}`);
    expect(shop.orders.get(other.serial)?.status).toBe('paid');
    expect((await new HttpBrowser().go(`${shop.url}/orders/${first.serial}`)).status).toBe(404);
  });

  it('receives the payment server notifications, shows them on the admin page, and pays an order whose browser never came back', async () => {
    const lostBrowser = new HttpBrowser();
    const lost = await placeOrder(lostBrowser, 'etranger');
    const { back } = await pay(lostBrowser, lost.ticket, { lost: true });
    await payment.deliverNotifications();
    const page = await admin('');
    expect(page.status).toBe(200);
    const received = page.html.slice(page.html.indexOf('id="notifications"'));
    expect(received).toContain('payment.held');
    expect(received).toContain(first.serial);
    expect(shop.orders.get(lost.serial)).toMatchObject({ status: 'paid', paymentStatus: 'held' });
    expect(shop.orders.notifications().filter((n) => n.orderSerial === first.serial)).toHaveLength(1);

    // Its browser comes back after the notification: the voucher still brings the address, which only it carries.
    expect(shop.orders.get(lost.serial)?.shippingAddress).toBeUndefined();
    const late = await lostBrowser.go(back.url.href);
    expect(late.url.href).toBe(`${shop.url}/orders/${lost.serial}`);
    expect(late.html).toContain('76000 Rouen');
    expect(shop.orders.get(lost.serial)).toMatchObject({ status: 'paid', shippingAddress: { ...ADDRESS_SHARED } });
  });

  it('keeps the admin page behind its password and refuses forms from another site', async () => {
    expect((await new HttpBrowser().go(`${shop.url}/admin`)).status).toBe(401);
    const forged = await new HttpBrowser().go(`${shop.url}/admin/orders/${first.serial}/ship`, {
      form: {},
      headers: ADMIN,
      origin: 'https://evil.example',
    });
    expect(forged.status).toBe(403);
    expect(shop.orders.get(first.serial)?.status).toBe('paid');
  });

  it('ships and delivers through the admin page: delivery releases the held money to the till, once', async () => {
    expect((await admin(`/orders/${first.serial}/deliver`, {})).html).toContain('is not possible now');
    await admin(`/orders/${first.serial}/ship`, {});
    const page = await admin(`/orders/${first.serial}/deliver`, {});
    expect(page.html).toContain(`Order ${first.serial}: done (deliver).`);
    expect(shop.orders.get(first.serial)?.status).toBe('delivered');
    expect((await admin(`/orders/${first.serial}/deliver`, {})).html).toContain('is not possible now');
    await payment.deliverNotifications();
    expect(shop.orders.get(first.serial)?.paymentStatus).toBe('released');
    expect(shop.orders.notifications().map((n) => `${n.event} ${n.orderSerial}`)).toContain(`payment.released ${first.serial}`);
  });

  it('refunds a delivered order, and cancels one not yet delivered: the held money goes back', async () => {
    await admin(`/orders/${first.serial}/refund`, {});
    expect(shop.orders.get(first.serial)?.status).toBe('refunded');

    const second = await buy(browser, 'proust');
    await admin(`/orders/${second.serial}/ship`, {});
    expect((await admin(`/orders/${second.serial}/cancel`, {})).html).toContain('done (cancel)');
    expect(shop.orders.get(second.serial)?.status).toBe('cancelled');
    await payment.deliverNotifications();
    expect(shop.orders.get(second.serial)?.paymentStatus).toBe('voided');
  });

  it('follows refunds on the admin page: a part refunded elsewhere once notified, then the rest from the admin, each counted once', async () => {
    const sale = await buy(browser, 'germinal');
    await admin(`/orders/${sale.serial}/ship`, {});
    await admin(`/orders/${sale.serial}/deliver`, {});
    const paymentId = String(shop.orders.get(sale.serial)?.paymentId);
    expect(paymentId).toMatch(/^pay_[1-9][0-9]*$/);
    const row = async () => {
      const html = /<tr id="order-([^"]+)">([\s\S]*?)<\/tr>/g;
      const found = [...(await admin('')).html.matchAll(html)].find((match) => match[1] === sale.serial)?.[2] ?? '';
      return {
        status: /<td class="status">([^<]*)<\/td>/.exec(found)?.[1],
        payment: /<td class="payment">([^<]*)<\/td>/.exec(found)?.[1],
      };
    };
    // The delivery's answer says the money was released, before any notification.
    expect(await row()).toEqual({ status: 'Delivered', payment: 'released' });

    // Another tool of the shop refunds €2.00 through the merchant API: the shop learns it from the notification.
    const elsewhere = createMerchantClient({ server: payment.url, merchantId: 'bookshop', key: key.privateJwk });
    expect(await elsewhere.refunds.create({ id: paymentId }, { amount: 200, reason: 'cover damaged' })).toMatchObject({
      payment: paymentId,
      status: 'succeeded',
    });
    expect(await row()).toEqual({ status: 'Delivered', payment: 'released' });
    await payment.deliverNotifications();
    expect(await row()).toEqual({ status: 'Delivered', payment: 'partly refunded (€2.00)' });

    // The admin refunds what remains; its refund.succeeded, delivered after the answer, changes nothing more.
    expect((await admin(`/orders/${sale.serial}/refund`, {})).html).toContain(`Order ${sale.serial}: done (refund).`);
    expect(await row()).toEqual({ status: 'Refunded', payment: 'refunded' });
    await payment.deliverNotifications();
    expect(await row()).toEqual({ status: 'Refunded', payment: 'refunded' });
    expect(await elsewhere.refunds.list({ id: paymentId })).toMatchObject([{ amount: 200 }, { amount: 890 }]);
    // The order has that one payment: its serial names it too.
    expect(await elsewhere.refunds.list({ serial: sale.serial })).toMatchObject([{ amount: 200 }, { amount: 890 }]);
    const order = shop.orders.get(sale.serial);
    expect(Object.values(order?.refunds ?? {})).toEqual([200, 890]);
    expect(
      order?.history.filter((entry) => entry.what.startsWith('refund ')).map((entry) => entry.what.replace(/rf_[\w-]+/, 'rf')),
    ).toEqual(['refund rf: €2.00 back to the customer', 'refund rf: €8.90 back to the customer']);
    const events = shop.orders.notifications().filter((n) => n.orderSerial === sale.serial);
    expect(events.map((n) => n.event).sort()).toEqual(['payment.held', 'payment.released', 'refund.succeeded', 'refund.succeeded']);
  });

  it('gives back a second payment of one order (paid from two tabs)', async () => {
    const tabs = new HttpBrowser();
    const first = await placeOrder(tabs, 'bovary');
    // A second tab on the order page, opened before the first payment came back: its own ticket.
    const ticket = ticketOf((await tabs.go(`${shop.url}/orders/${first.serial}`)).html);
    expect(ticket).not.toBe('');
    await pay(tabs, first.ticket);
    const second = await pay(tabs, ticket);
    // Both come back to the order page, paid once.
    expect(second.back.url.href).toBe(`${shop.url}/orders/${first.serial}`);
    expect(second.back.html).toContain('Paid, being prepared');
    expect(claimsOf(second.voucher)).toMatchObject({ serial: first.serial });
    const paid = shop.orders.get(first.serial);
    expect(paid?.paymentId).not.toBe(claimsOf(second.voucher).jti);
    await payment.deliverNotifications();
    const events = shop.orders
      .notifications()
      .filter((n) => n.orderSerial === first.serial)
      .map((n) => n.event);
    expect(events.sort()).toEqual(['payment.held', 'payment.held', 'payment.voided']);
    expect(shop.orders.get(first.serial)).toMatchObject({ status: 'paid', paymentStatus: 'held', paymentId: paid?.paymentId });
    // Two payments of one order serial: the serial no longer names one, which is why the shop keeps the payment id.
    const api = createMerchantClient({ server: payment.url, merchantId: 'bookshop', key: key.privateJwk });
    await expect(api.payments.get({ serial: first.serial })).rejects.toMatchObject({ status: 409, code: 'payment_ambiguous' });
    expect(await api.payments.get({ id: String(paid?.paymentId) })).toMatchObject({ serial: first.serial, status: 'held' });
  });

  it('keeps its orders and the used vouchers across a restart', async () => {
    const { port } = new URL(shop.url);
    await shop.close();
    shop = await openShop(Number(port));
    expect(shop.orders.get(first.serial)).toMatchObject({ status: 'refunded', paymentId: expect.any(String) });
    const again = await browser.go(`${shop.url}/caisse/return`, { json: { token: first.voucher } });
    expect(JSON.parse(again.html)).toMatchObject({ code: 'token_replayed' });
  });
});

/**
 * A refused payment as a customer meets it, in real headless Chromium on a 390 px wide
 * phone screen: the widget, the payment server's page saying why, and back through the
 * return handler to the shop's own order page, which says why in its words and offers to
 * pay again; the shop's log has the refusal code.
 */
describe('a refused payment, at phone size', () => {
  const WIDTH = 390;
  /** A customer whose wallet holds €1.00: less than any book. */
  const SHORT = { accountId: 'bob', phone: '+33622222222', accessKey: 'bob access key' };
  let chromium: Browser;

  beforeAll(async () => {
    chromium = await launchChromium();
    await payment.server.customers.add(SHORT);
    await payment.server.customers.walletCredit(SHORT.accountId, 'EUR', 100n, { idempotencyKey: 'fund-bob' });
  });
  afterAll(async () => {
    await chromium?.close();
  });

  it('lands on the shop’s own order page, which says why and offers to pay again; the shop logs the code', async () => {
    const warn = vi.spyOn(console, 'warn');
    const context = await chromium.newContext({ locale: 'en-GB', viewport: { width: WIDTH, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    try {
      await page.goto(shop.url);
      await page.locator('li', { hasText: 'Le Petit Prince' }).getByRole('button', { name: 'Add to basket' }).click();
      await page.goto(`${shop.url}/basket`);
      await page.getByRole('button', { name: 'Checkout' }).click();
      await page.waitForURL(/\/orders\/[^/?]+$/);
      const orderUrl = page.url();
      const serial = orderUrl.split('/').pop() ?? '';

      await page.locator('caisse-checkout button.pay').click();
      await page.waitForURL(`${payment.url}/checkout/**`);
      await page.fill('#shipping-name', ADDRESS.shippingName);
      await page.fill('#shipping-line1', ADDRESS.shippingLine1);
      await page.fill('#shipping-postal-code', ADDRESS.shippingPostalCode);
      await page.fill('#shipping-city', ADDRESS.shippingCity);
      await page.fill('#shipping-country', ADDRESS.shippingCountry);
      await page.fill('#account', SHORT.accountId);
      await page.fill('#access-key', SHORT.accessKey);
      await page.click('form[action$="/identify"] button[type="submit"]');
      await page.getByText('Not enough money in your wallet').first().waitFor();
      await page.getByRole('link', { name: 'Return to The Bookshop' }).click();

      // Through the return handler (the refusal verified, server side) to the order page, the token gone.
      await page.waitForURL(`${orderUrl}?caisse_reason=insufficient_funds`);
      expect(await page.locator('#refusal').textContent()).toBe(
        'Payment refused. There is not enough money in your wallet. Nothing was charged: you can pay again.',
      );
      expect(await page.locator('#order-status').textContent()).toBe('Awaiting payment');
      await expect(page.locator('caisse-checkout button.pay').textContent()).resolves.toContain('€7.90');
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(WIDTH);
      await page.screenshot({ path: new URL('../test-artifacts/refused.png', import.meta.url).pathname, fullPage: true });
      expect(shop.orders.get(serial)?.status).toBe('awaiting_payment');
      expect(warn.mock.calls.map((call) => call.join(' '))).toContain(`bookshop: payment of order ${serial} refused: insufficient_funds`);
      expect(problems).toEqual([]);
    } finally {
      warn.mockRestore();
      await context.close();
    }
  });
});
