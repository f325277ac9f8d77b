import { randomUUID } from 'node:crypto';
import { paymentSerial } from '@caisse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { type ApiTestServer, payAs, serverDrivers, startApiTestServer } from '../api/__fixtures__/api-server.js';
import { plain } from '../pages/test-support.js';

const ACCESS_KEY = 'correct horse battery';

/**
 * What a customer sees of refunds: the account page's history and totals, and the daily
 * ceiling, after the merchant gave money back through the merchant API.
 */
describe.each(await serverDrivers('refunds on the account page'))('refunds seen by the customer, on $name', ({ url }) => {
  /** One clock for the payment server, the shop's tickets and its API assertions: frozen, moved by hand. */
  let at = new Date('2026-03-10T09:00:00Z');
  const now = () => at;
  const later = () => {
    at = new Date(at.getTime() + 60_000);
  };

  let shop: ApiTestServer;
  let drop: () => Promise<void>;
  let customers = 0;

  beforeAll(async () => {
    const database = await url();
    drop = database.drop;
    shop = await startApiTestServer({ now, ...(database.url ? { databaseUrl: database.url } : {}) });
  });
  afterAll(async () => {
    await shop?.close();
    await drop?.();
  });

  async function customer(dailyCeiling: bigint): Promise<string> {
    const accountId = `refunded-${++customers}`;
    await shop.server.customers.add({
      accountId,
      phone: `+3361000000${customers}`,
      accessKey: ACCESS_KEY,
      limits: { EUR: { walletCap: 50_000n, dailyCeiling, monthlyCeiling: 100_000n } },
    });
    await shop.server.customers.walletCredit(accountId, 'EUR', 20_000n, { idempotencyKey: `fund-${accountId}` });
    return accountId;
  }

  /** A payment walked through the hosted pages (with the order serial `serial`, or a random one): its payment id. */
  async function pay(accountId: string, amount: number, serial?: string): Promise<string> {
    later();
    return payAs(shop.url, shop.ticket(amount, serial ? { serial } : {}).token, accountId, ACCESS_KEY);
  }

  /** How a payment attempt ends: `paid`, or the reason of the signed refusal the browser carries back. */
  async function attempt(accountId: string, amount: number): Promise<unknown> {
    later();
    const ticket = shop.ticket(amount);
    const browser = new ScriptedBrowser(shop.url);
    const summary = await browser.go('/pay', { form: { ticket: ticket.token } });
    const answer = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(summary.html), account: accountId, accessKey: ACCESS_KEY },
    });
    if (answer.leftTo?.searchParams.has('caisse_voucher')) return 'paid';
    // The refusal page: its "Return to the shop" link carries the signed refusal back.
    const back = await browser.go(/href="([^"]*\/return)"/.exec(answer.html ?? '')?.[1] ?? '/');
    const refused = await shop.merchant
      .verifyVoucher(back.leftTo?.searchParams.get('caisse_refusal') ?? '', { ticket: ticket.reference })
      .catch((error: unknown) => error);
    return (refused as { reason?: unknown }).reason;
  }

  /** The merchant refunds part or all of a payment through the merchant API; wallet refunds succeed at once. */
  async function refund(id: string, amount: number): Promise<void> {
    later();
    const body = JSON.stringify({ amount });
    const response = await shop.call(`/v1/payments/${id}/refunds`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      assertion: { iat: Math.floor(now().getTime() / 1000) },
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ payment: id, amount, status: 'succeeded' });
  }

  /** The customer's account page for the default period (the last 30 days), signed in, in `lang`. */
  async function accountPage(accountId: string, lang = 'en'): Promise<string> {
    const browser = new ScriptedBrowser(shop.url);
    const signIn = await browser.go('/account');
    await browser.go('/account/identify', { form: { csrf: ScriptedBrowser.csrf(signIn.html), account: accountId, accessKey: ACCESS_KEY } });
    return (await browser.go(`/account?lang=${lang}`)).html ?? '';
  }

  const statusOf = (html: string, orderSerial: string) =>
    [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => plain(row[1] as string)).find((row) => row.includes(` ${orderSerial} `));
  const totals = (html: string) =>
    plain(/<section aria-labelledby="totals-heading">[\s\S]*?<dl class="totals">([\s\S]*?)<\/dl>/.exec(html)?.[1] ?? '');

  it('shows a refunded payment as refunded, a partly refunded one with what came back, and counts only what the customer kept', async () => {
    const accountId = await customer(30_000n);
    const partly = await pay(accountId, 4_000, 'order-partly');
    const whole = await pay(accountId, 3_000, 'order-whole');
    const waiting = await pay(accountId, 1_000, 'order-waiting');
    await refund(partly, 1_200);
    await refund(whole, 1_000);
    await refund(whole, 2_000);
    // Refunds that gave nothing back: one the bank has not answered yet and one it declined, as the refund service records them.
    await shop.server.db.query(
      `INSERT INTO refunds (id, merchant_id, payment_serial, request_key, amount, currency, funding, status, decline_reason, created_at, resolved_at)
       VALUES ('rf_pending', $1, $2, 'pending-key', 500, 'EUR', 'wallet', 'pending', NULL, $3, NULL),
              ('rf_declined', $1, $2, 'declined-key', 300, 'EUR', 'wallet', 'declined', 'do_not_honour', $3, $3)`,
      [shop.merchantId, paymentSerial(waiting), now()],
    );

    const html = await accountPage(accountId);
    expect(statusOf(html, 'order-partly')).toMatch(/ €40\.00 Partly refunded: €12\.00 of €40\.00$/);
    expect(statusOf(html, 'order-whole')).toMatch(/ €30\.00 Refunded$/);
    expect(statusOf(html, 'order-waiting')).toMatch(/ €10\.00 Paid$/);
    // (40.00 − 12.00) + (30.00 − 30.00) + 10.00
    expect(totals(html)).toBe('Euro €38.00');

    const french = await accountPage(accountId, 'fr');
    expect(statusOf(french, 'order-partly')).toMatch(/ 40,00 € Remboursé en partie : 12,00 € sur 40,00 €$/);
    expect(statusOf(french, 'order-whole')).toMatch(/ 30,00 € Remboursé$/);
    expect(totals(french)).toBe('euro 38,00 €');
  });

  it('gives back room under the daily ceiling for what was refunded, and no more', async () => {
    const accountId = await customer(5_000n);
    const first = await pay(accountId, 4_000);
    const second = await pay(accountId, 1_000);
    expect(await attempt(accountId, 500)).toBe('ceiling_exceeded');

    await refund(first, 500);
    expect(await attempt(accountId, 500)).toBe('paid');
    expect(await attempt(accountId, 1)).toBe('ceiling_exceeded');

    await refund(second, 1_000);
    expect(await attempt(accountId, 1_000)).toBe('paid');
    expect(await attempt(accountId, 1)).toBe('ceiling_exceeded');
    expect(totals(await accountPage(accountId))).toBe('Euro €50.00');
  });
});
