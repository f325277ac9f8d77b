import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpBrowser, startPaymentServer } from '@caisse/example-e2e';
import { generateKey } from '@caisse/server-kit';
import { createMerchantClient } from '@caisse/server-kit/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBookshop } from './app.js';

/**
 * The bookshop over real HTTP against a real payment server: the customer's side with a
 * scripted browser, the shop keeper's side through the admin page.
 */
const ADMIN = { authorization: `Basic ${Buffer.from('admin:test admin password').toString('base64')}` };

let payment: Awaited<ReturnType<typeof startPaymentServer>>;
let shop: Awaited<ReturnType<typeof startBookshop>>;
let dataDir: string;
const key = generateKey();

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
  payment = await startPaymentServer();
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

/** Basket, checkout, the hosted page, back at the shop: the browser holds the voucher in its address bar. */
async function buy(browser: HttpBrowser, ...books: string[]) {
  for (const book of books) await browser.go(`${shop.url}/basket`, { form: { book } });
  const orderPage = await browser.go(`${shop.url}/checkout`, { form: {} });
  const ticket = /<caisse-checkout ticket="([^"]+)"/.exec(orderPage.html)?.[1] ?? '';
  const checkout = await browser.go(`${payment.url}/pay`, { form: { ticket }, origin: shop.url });
  const back = await browser.go(HttpBrowser.action(checkout, '/identify'), {
    form: { csrf: HttpBrowser.csrf(checkout.html), account: payment.customer.accountId, accessKey: payment.customer.accessKey, ...ADDRESS },
  });
  return {
    serial: orderPage.url.pathname.split('/').pop() ?? '',
    ticket,
    back,
    voucher: back.url.searchParams.get('caisse_voucher') ?? '',
  };
}

const admin = (path: string, form?: Record<string, string>) =>
  new HttpBrowser().go(`${shop.url}/admin${path}`, { headers: ADMIN, ...(form ? { form } : {}) });

describe('the bookshop', () => {
  let first: Awaited<ReturnType<typeof buy>>;
  const browser = new HttpBrowser();

  it('sells a book: a deferred ticket asking for the address, the hosted page, the voucher verified, the order paid and held', async () => {
    first = await buy(browser, 'petit-prince', 'germinal', 'germinal');
    const claims = JSON.parse(Buffer.from(first.ticket.split('.')[1] ?? '', 'base64url').toString());
    expect(claims).toMatchObject({ serial: first.serial, amount: 790 + 2 * 1090, fulfilment: 'deferred', requested: ['shipping_address'] });
    expect(first.back.url.pathname).toBe(`/orders/${first.serial}`);
    expect(first.back.html).toContain('id="caisse-result"');

    const verified = await browser.go(`${shop.url}/caisse/return`, { json: { token: first.voucher } });
    expect(JSON.parse(verified.html)).toMatchObject({ status: 'paid', voucher: { serial: first.serial, status: 'held' } });
    expect(shop.orders.get(first.serial)).toMatchObject({ status: 'paid', paymentStatus: 'held', amount: 2970 });
    // The address typed on the hosted page, shared in the voucher, is the order's.
    expect(shop.orders.get(first.serial)?.shippingAddress).toEqual({ ...ADDRESS_SHARED });
    expect((await admin('')).html).toContain('76000 Rouen');
    expect((await browser.go(`${shop.url}/orders/${first.serial}`)).html).toContain('Paid, being prepared');
  });

  it('takes a voucher once, and only from the browser that placed the order', async () => {
    const again = await browser.go(`${shop.url}/caisse/return`, { json: { token: first.voucher } });
    expect(JSON.parse(again.html)).toMatchObject({ code: 'token_replayed' });

    const other = await buy(new HttpBrowser(), 'bovary');
    const stranger = await new HttpBrowser().go(`${shop.url}/caisse/return`, { json: { token: other.voucher } });
    expect(JSON.parse(stranger.html)).toMatchObject({ code: 'state_mismatch' });
    expect(shop.orders.get(other.serial)?.status).toBe('awaiting_payment');
    expect((await new HttpBrowser().go(`${shop.url}/orders/${first.serial}`)).status).toBe(404);
  });

  it('receives the payment server notifications, shows them on the admin page, and pays an order whose browser never came back', async () => {
    const lostBrowser = new HttpBrowser();
    const lost = await buy(lostBrowser, 'etranger');
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
    await lostBrowser.go(`${shop.url}/caisse/return`, { json: { token: lost.voucher } });
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
    await browser.go(`${shop.url}/caisse/return`, { json: { token: second.voucher } });
    await admin(`/orders/${second.serial}/ship`, {});
    expect((await admin(`/orders/${second.serial}/cancel`, {})).html).toContain('done (cancel)');
    expect(shop.orders.get(second.serial)?.status).toBe('cancelled');
    await payment.deliverNotifications();
    expect(shop.orders.get(second.serial)?.paymentStatus).toBe('voided');
  });

  it('follows refunds on the admin page: a part refunded elsewhere once notified, then the rest from the admin, each counted once', async () => {
    const sale = await buy(browser, 'germinal');
    await browser.go(`${shop.url}/caisse/return`, { json: { token: sale.voucher } });
    await admin(`/orders/${sale.serial}/ship`, {});
    await admin(`/orders/${sale.serial}/deliver`, {});
    const paymentId = String(shop.orders.get(sale.serial)?.paymentId);
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
    expect(await elsewhere.refunds.create(paymentId, { amount: 200, reason: 'cover damaged' })).toMatchObject({ status: 'succeeded' });
    expect(await row()).toEqual({ status: 'Delivered', payment: 'released' });
    await payment.deliverNotifications();
    expect(await row()).toEqual({ status: 'Delivered', payment: 'partly refunded (€2.00)' });

    // The admin refunds what remains; its refund.succeeded, delivered after the answer, changes nothing more.
    expect((await admin(`/orders/${sale.serial}/refund`, {})).html).toContain(`Order ${sale.serial}: done (refund).`);
    expect(await row()).toEqual({ status: 'Refunded', payment: 'refunded' });
    await payment.deliverNotifications();
    expect(await row()).toEqual({ status: 'Refunded', payment: 'refunded' });
    expect(await elsewhere.refunds.list(paymentId)).toMatchObject([{ amount: 200 }, { amount: 890 }]);
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
    const first = await buy(tabs, 'bovary');
    const secondPage = await tabs.go(`${shop.url}/orders/${first.serial}`);
    expect(secondPage.html).toContain('<caisse-checkout');
    const ticket = /<caisse-checkout ticket="([^"]+)"/.exec(secondPage.html)?.[1] ?? '';
    const checkout = await tabs.go(`${payment.url}/pay`, { form: { ticket }, origin: shop.url });
    const back = await tabs.go(HttpBrowser.action(checkout, '/identify'), {
      form: {
        csrf: HttpBrowser.csrf(checkout.html),
        account: payment.customer.accountId,
        accessKey: payment.customer.accessKey,
        ...ADDRESS,
      },
    });
    await tabs.go(`${shop.url}/caisse/return`, { json: { token: first.voucher } });
    const second = JSON.parse(
      (await tabs.go(`${shop.url}/caisse/return`, { json: { token: back.url.searchParams.get('caisse_voucher') } })).html,
    );
    expect(second).toMatchObject({ status: 'paid', voucher: { serial: first.serial } });
    const order = shop.orders.get(first.serial);
    expect(order?.paymentId).not.toBe(second.voucher.jti);
    await payment.deliverNotifications();
    const events = shop.orders
      .notifications()
      .filter((n) => n.orderSerial === first.serial)
      .map((n) => n.event);
    expect(events.sort()).toEqual(['payment.held', 'payment.held', 'payment.voided']);
    expect(shop.orders.get(first.serial)).toMatchObject({ status: 'paid', paymentStatus: 'held', paymentId: order?.paymentId });
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
