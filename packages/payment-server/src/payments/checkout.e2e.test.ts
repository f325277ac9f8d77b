import { itemsDigest } from '@caisse/protocol';
import { createState } from '@caisse/server-kit';
import { freshDatabase, requirePostgres } from '@caisse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { SHOP_ORIGIN, startTestServer } from '../__fixtures__/payment-server.js';

const hasPostgres = await requirePostgres('checkout end to end');
const drivers = [{ name: 'pglite', url: async () => undefined, drop: async () => {} }];
if (hasPostgres) {
  let drop = async () => {};
  drivers.push({
    name: 'postgres',
    url: async () => {
      const fresh = await freshDatabase('checkout_e2e');
      drop = fresh.drop;
      return fresh.url as unknown as undefined;
    },
    drop: () => drop(),
  });
}

describe.each(drivers)('a purchase over real HTTP on $name', (driver) => {
  let shop: Awaited<ReturnType<typeof startTestServer>>;

  beforeAll(async () => {
    const databaseUrl = (await driver.url()) as string | undefined;
    shop = await startTestServer(databaseUrl ? { databaseUrl } : {});
    await shop.server.customers.add({
      accountId: 'alice',
      phone: '+33612345678',
      accessKey: 'correct horse battery',
      limits: { EUR: { walletCap: 50_000n } },
    });
    const alice = await shop.server.customers.identify('alice', 'correct horse battery');
    await shop.server.customers.walletCredit(alice.id, 'EUR', 10_000n, { idempotencyKey: 'top-up-1' });
  });
  afterAll(async () => {
    await shop?.close();
    await driver.drop();
  });

  it('takes a ticket, identifies the customer on the hosted page and returns a voucher the kit verifies', async () => {
    const ticket = shop.ticket(1290);
    const browser = new ScriptedBrowser(shop.url);
    const summary = await browser.go('/pay', { form: { ticket: ticket.token } });
    expect(summary.page?.status).toBe(200);
    expect(summary.html).toContain('The Bookshop');
    expect(summary.page?.headers.get('content-security-policy')).toContain(`form-action 'self' ${SHOP_ORIGIN}`);

    const paid = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(summary.html), account: 'alice', accessKey: 'correct horse battery' },
    });
    expect(paid.leftTo?.origin).toBe(SHOP_ORIGIN);
    expect(paid.leftTo?.pathname).toBe('/paid');
    expect(paid.page?.headers.get('referrer-policy')).toBe('no-referrer');
    const token = paid.leftTo?.searchParams.get('caisse_voucher') ?? '';

    const voucher = await shop.merchant.verifyVoucher(token, { ticket: ticket.reference, state: ticket.claims.state });
    expect(voucher).toMatchObject({
      amount: 1290,
      currency: 'EUR',
      status: 'authorised',
      funding: 'wallet',
      confirmation: { method: 'access_key' },
    });
    await expect(shop.merchant.verifyVoucher(token, { ticket: ticket.reference })).rejects.toMatchObject({ code: 'token_replayed' });
  });

  async function payWith(ticket: { token: string }, account = 'alice', accessKey = 'correct horse battery') {
    const browser = new ScriptedBrowser(shop.url);
    const summary = await browser.go('/pay', { form: { ticket: ticket.token } });
    return browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(summary.html), account, accessKey },
    });
  }

  it('answers a zero-amount ticket with an authentication voucher, moving no money', async () => {
    const ticket = shop.ticket(0);
    const before = await shop.server.db.query<{ n: bigint }>('SELECT count(*) AS n FROM ledger_transfers');
    const done = await payWith(ticket);
    const voucher = await shop.merchant.verifyVoucher(done.leftTo?.searchParams.get('caisse_voucher') ?? '', { ticket: ticket.reference });
    expect(voucher).toMatchObject({ amount: 0, status: 'authenticated', confirmation: { method: 'access_key' } });
    expect(voucher).not.toHaveProperty('funding');
    expect(voucher.sub).toMatch(/^c_/);
    const after = await shop.server.db.query<{ n: bigint }>('SELECT count(*) AS n FROM ledger_transfers');
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });

  it('pays a basket of several items, and the voucher commits to all of them', async () => {
    const items = [
      { id: 'book-1', label: 'Le Petit Prince', quantity: 1, unitAmount: 1290, vatRate: 550 },
      { id: 'book-2', label: 'Vol de nuit', quantity: 2, unitAmount: 850, vatRate: 550 },
      { id: 'bag', label: 'Tote bag', quantity: 1, unitAmount: 500, vatRate: 2000 },
    ];
    const ticket = shop.merchant.createTicket({
      serial: 'basket-1',
      currency: 'EUR',
      items,
      returnUrl: `${SHOP_ORIGIN}/paid`,
      cancelUrl: `${SHOP_ORIGIN}/basket`,
      state: createState(),
    });
    const done = await payWith(ticket);
    const voucher = await shop.merchant.verifyVoucher(done.leftTo?.searchParams.get('caisse_voucher') ?? '', { ticket: ticket.reference });
    expect(voucher).toMatchObject({ amount: 3490, items: await itemsDigest(items) });
  });

  it('in popup mode, hands the voucher to the opener at the return origin only, with a link as the way back', async () => {
    const ticket = shop.ticket(300);
    const browser = new ScriptedBrowser(shop.url);
    const summary = await browser.go('/pay', { form: { ticket: ticket.token, mode: 'popup' } });
    const done = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(summary.html), account: 'alice', accessKey: 'correct horse battery' },
    });
    expect(done.leftTo).toBeUndefined();
    expect(done.html).toContain(`data-origin="${SHOP_ORIGIN}"`);
    expect(done.html).toContain('src="/assets/popup-result.js"');
    const token = /data-token="([^"]+)"/.exec(done.html ?? '')?.[1] ?? '';
    await expect(shop.merchant.verifyVoucher(token, { ticket: ticket.reference })).resolves.toMatchObject({ amount: 300 });
    const script = await (await fetch(`${shop.url}/assets/popup-result.js`)).text();
    expect(script).toContain("getAttribute('data-origin')");
    expect(script).not.toContain("'*'");
  });

  it('refuses a replayed ticket in another browser with a page and nothing signed for the shop, and moves no money twice', async () => {
    const ticket = shop.ticket(500);
    const first = new ScriptedBrowser(shop.url);
    const page = await first.go('/pay', { form: { ticket: ticket.token } });
    expect(page.page?.status).toBe(200);
    const again = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: ticket.token } });
    expect(again.leftTo).toBeUndefined();
    expect(again.page?.status).toBe(409);
    expect(again.html).toContain('already used');
    const resumed = await first.go('/pay', { form: { ticket: ticket.token } });
    expect(resumed.page?.status).toBe(200);
  });

  it('refuses a payment the wallet cannot cover: the customer reads why, the merchant gets insufficient_funds', async () => {
    const ticket = shop.ticket(4_999);
    const browser = new ScriptedBrowser(shop.url);
    for (let i = 0; i < 2; i++) {
      const t = shop.ticket(4_000);
      const p = await browser.go('/pay', { form: { ticket: t.token } });
      await browser.go(ScriptedBrowser.action(p.html, '/identify'), {
        form: { csrf: ScriptedBrowser.csrf(p.html), account: 'alice', accessKey: 'correct horse battery' },
      });
    }
    const summary = await browser.go('/pay', { form: { ticket: ticket.token } });
    const refused = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(summary.html), account: 'alice', accessKey: 'correct horse battery' },
    });
    expect(refused.html).toMatch(/wallet/i);
    const back = await browser.go(/href="([^"]+\/return)"/.exec(refused.html ?? '')?.[1] ?? '');
    expect(back.leftTo?.pathname).toBe('/basket');
    await expect(
      shop.merchant.verifyVoucher(back.leftTo?.searchParams.get('caisse_refusal') ?? '', { ticket: ticket.reference }),
    ).rejects.toMatchObject({
      reason: 'insufficient_funds',
    });
  });
});
