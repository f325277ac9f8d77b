import { randomUUID } from 'node:crypto';
import { memoryReplayStore, staticKeySet, verifyVoucher } from '@caisse/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { type ApiTestServer, payAs, serverDrivers, startApiTestServer } from '../api/__fixtures__/api-server.js';
import { plain } from '../pages/test-support.js';

const ACCESS_KEY = 'correct horse battery';

/**
 * The account page's payment detail: the signed-in customer's own payment with its items,
 * refunds and voucher, which downloads and verifies with the server kit against the
 * payment server's JWKS; any other payment is not found.
 */
describe.each(await serverDrivers('payment detail'))('a payment’s detail on the account page, on $name', ({ url }) => {
  /** One clock for the payment server, the shop's tickets and its API assertions: frozen, moved by hand. */
  let at = new Date('2026-03-10T09:00:00Z');
  const now = () => at;
  const later = () => {
    at = new Date(at.getTime() + 60_000);
  };

  let shop: ApiTestServer;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await url();
    drop = database.drop;
    shop = await startApiTestServer({
      now,
      env: { CAISSE_TIME_ZONE: 'Europe/Paris' },
      ...(database.url ? { databaseUrl: database.url } : {}),
    });
    for (const [accountId, phone] of [
      ['dora', '+33640000001'],
      ['eve', '+33640000002'],
    ] as const) {
      await shop.server.customers.add({ accountId, phone, accessKey: ACCESS_KEY });
      await shop.server.customers.walletCredit(accountId, 'EUR', 10_000n, { idempotencyKey: `fund-${accountId}` });
    }
  });
  afterAll(async () => {
    await shop?.close();
    await drop?.();
  });

  async function signedIn(accountId: string): Promise<ScriptedBrowser> {
    const browser = new ScriptedBrowser(shop.url);
    const signIn = await browser.go('/account');
    await browser.go('/account/identify', { form: { csrf: ScriptedBrowser.csrf(signIn.html), account: accountId, accessKey: ACCESS_KEY } });
    return browser;
  }

  function get(browser: ScriptedBrowser, path: string, language = 'en'): Promise<Response> {
    return fetch(`${shop.url}${path}`, { headers: { cookie: browser.cookieHeader(), 'accept-language': language }, redirect: 'manual' });
  }

  it('shows the customer’s own payment in their language, linked from the history, with its items and refunds', async () => {
    later();
    const ticket = shop.ticket(4_000, { serial: 'order-detail-1' });
    const id = await payAs(shop.url, ticket.token, 'dora', ACCESS_KEY);
    later();
    const refund = await shop.call(`/v1/payments/${id}/refunds`, {
      method: 'POST',
      body: JSON.stringify({ amount: 1_500 }),
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      assertion: { iat: Math.floor(now().getTime() / 1000) },
    });
    expect(refund.status).toBe(201);

    const dora = await signedIn('dora');
    const history = await dora.go('/account');
    expect(history.html).toContain(`<a href="/account/payments/${id}"><bdi>order-detail-1</bdi></a>`);

    const response = await get(dora, `/account/payments/${id}`, 'fr');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const page = plain(await response.text());
    expect(page).toContain(`Paiement ${id}`);
    expect(page).toContain('Date 10 mars 2026, 10:01 UTC+1');
    expect(page).toContain('Commerçant The Bookshop');
    expect(page).toContain('Commande order-detail-1');
    expect(page).toContain('Montant 40,00 €');
    expect(page).toContain('Payé avec Votre porte-monnaie');
    expect(page).toContain('Statut Remboursé en partie : 15,00 € sur 40,00 €');
    expect(page).toContain('A book 1 40,00 €');
    expect(page).toContain('10 mars 2026, 10:02 UTC+1 15,00 € Remboursé');
    expect(page).toContain(`${shop.url}/.well-known/jwks.json`);
    expect(page).toContain(
      `caisse voucher verify - --jwks jwks.json --issuer ${shop.url} --audience ${shop.merchantId} --at 2026-03-10T09:01:00Z < ${id}.jwt`,
    );
    expect(page).toContain('Ouvrir une contestation');
    expect(await (await get(dora, `/account/payments/${id}`)).text()).toContain(`href="/account/payments/${id}/dispute"`);
  });

  it('serves the voucher as a file that verifies with the server kit against the payment server’s JWKS', async () => {
    later();
    const ticket = shop.ticket(1_290);
    const id = await payAs(shop.url, ticket.token, 'dora', ACCESS_KEY);
    const paidAt = now();
    later();

    const download = await get(await signedIn('dora'), `/account/payments/${id}/voucher`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/jwt');
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${id}.jwt"`);
    expect(download.headers.get('cache-control')).toBe('no-store');
    const voucher = await download.text();

    const jwks = await (await fetch(`${shop.url}/.well-known/jwks.json`)).json();
    const verified = await verifyVoucher(voucher, {
      issuer: shop.server.issuer,
      keys: staticKeySet(jwks),
      replayStore: memoryReplayStore(),
      audience: shop.merchantId,
      ticket: ticket.reference,
      // The voucher is checked as of when it was issued: it is short-lived by design.
      now: () => paidAt,
    });
    expect(verified).toMatchObject({ jti: id, amount: 1_290, currency: 'EUR', funding: 'wallet' });
  });

  it('answers another customer’s payment exactly as an unknown one, and sends a signed-out browser to sign in', async () => {
    later();
    const doras = await payAs(shop.url, shop.ticket(500).token, 'dora', ACCESS_KEY);
    const eve = await signedIn('eve');
    const another = await get(eve, `/account/payments/${doras}`);
    const unknown = await get(eve, '/account/payments/pay_999999');
    const garbage = await get(eve, '/account/payments/not-a-payment');
    expect([another.status, unknown.status, garbage.status]).toEqual([404, 404, 404]);
    const anotherText = await another.text();
    expect(anotherText).toBe(await unknown.text());
    expect(anotherText).not.toContain('The Bookshop');
    const voucher = await get(eve, `/account/payments/${doras}/voucher`);
    expect(voucher.status).toBe(404);
    expect(await voucher.text()).not.toMatch(/eyJ/);

    const signedOut = await fetch(`${shop.url}/account/payments/${doras}/voucher`, { redirect: 'manual' });
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.get('location')).toBe('/account');
  });

  it('keeps the language the customer picks on the account page for their receipts', async () => {
    const eve = await signedIn('eve');
    expect((await shop.server.customers.get('eve')).locale).toBe('en');
    const french = await eve.go('/account?lang=fr');
    expect(french.html).toContain('<html lang="fr"');
    expect(french.html).toMatch(/href="\/account\?from=[\d-]+&amp;to=[\d-]+&amp;lang=en"/);
    expect((await shop.server.customers.get('eve')).locale).toBe('fr');
    // A tag that names no language of the pages changes nothing.
    await eve.go('/account?lang=klingon');
    expect((await shop.server.customers.get('eve')).locale).toBe('fr');
    await eve.go('/account?lang=en-GB');
    expect((await shop.server.customers.get('eve')).locale).toBe('en');
  });
});
