import { TOKEN_TYPES } from '@caisse/protocol';
import { createState, generateKey, signJws } from '@caisse/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { SHOP_ORIGIN, startTestServer } from '../__fixtures__/payment-server.js';
import { journalSize } from '../ledger/test-fixtures.js';

/**
 * Every way a ticket or a customer can be refused, over real HTTP: each refusal carries
 * its code, and none writes anything to the ledger.
 */
describe('refusals at the payment server', () => {
  let shop: Awaited<ReturnType<typeof startTestServer>>;
  let journalBefore: Awaited<ReturnType<typeof journalSize>>;

  beforeAll(async () => {
    shop = await startTestServer();
    await shop.server.customers.add({ accountId: 'bob', phone: '+33612345670', accessKey: 'the right access key' });
    await shop.server.customers.walletCredit('bob', 'EUR', 5_000n, { idempotencyKey: 'fund-bob' });
    journalBefore = await journalSize(shop.server.db);
  });
  afterAll(async () => {
    expect(await journalSize(shop.server.db)).toEqual(journalBefore);
    await shop?.close();
  });

  const refusalOf = async (leftTo: URL | undefined, reference: Parameters<typeof shop.merchant.verifyVoucher>[1]['ticket']) =>
    shop.merchant.verifyVoucher(leftTo?.searchParams.get('caisse_refusal') ?? '', { ticket: reference }).catch((error) => error);

  it('refuses a ticket whose return and cancel URLs are not on a registered origin, without redirecting anywhere', async () => {
    const ticket = shop.merchant.createTicket({
      serial: 'o-1',
      currency: 'EUR',
      items: [{ id: 'a', label: 'A', quantity: 1, unitAmount: 100, vatRate: 0 }],
      returnUrl: 'https://evil.example/steal',
      cancelUrl: 'https://evil.example/basket',
      state: createState(),
    });
    const result = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: ticket.token } });
    expect(result.leftTo).toBeUndefined();
    expect(result.page?.status).toBe(400);
    expect(result.html).toContain('ticket_invalid');
    expect(result.html).not.toContain('evil.example');
  });

  it('refuses a ticket whose return URL only is off the registered origins at its registered cancel URL, saying which origin', async () => {
    const ticket = shop.merchant.createTicket({
      serial: 'o-1b',
      currency: 'EUR',
      items: [{ id: 'a', label: 'A', quantity: 1, unitAmount: 100, vatRate: 0 }],
      returnUrl: 'https://evil.example/steal',
      cancelUrl: `${SHOP_ORIGIN}/basket`,
      state: createState(),
    });
    const result = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: ticket.token } });
    expect(result.leftTo?.origin).toBe(SHOP_ORIGIN);
    const refusal = await refusalOf(result.leftTo, ticket.reference);
    expect(refusal).toMatchObject({ reason: 'ticket_invalid', detail: { code: 'return_origin_unregistered' } });
    expect(refusal.detail.message).toContain('returnUrl is on the origin https://evil.example');
    expect(refusal.detail.message).toContain(`registered: ${SHOP_ORIGIN}`);
  });

  it('refuses a ticket whose amounts do not add up, with a signed refusal saying so at the cancel URL', async () => {
    const signed = shop.resign({ ...shop.ticket(1_000).claims, amount: 1 });
    const result = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: signed.token } });
    expect(result.leftTo?.pathname).toBe('/basket');
    expect(await refusalOf(result.leftTo, signed.reference)).toMatchObject({
      reason: 'ticket_invalid',
      detail: { code: 'amount_mismatch' },
    });
  });

  it('refuses an expired ticket with a signed ticket_expired refusal at the cancel URL', async () => {
    const ticket = shop.merchant.createTicket({
      serial: 'o-2',
      currency: 'EUR',
      items: [{ id: 'a', label: 'A', quantity: 1, unitAmount: 100, vatRate: 0 }],
      returnUrl: `${SHOP_ORIGIN}/paid`,
      cancelUrl: `${SHOP_ORIGIN}/basket`,
      state: createState(),
      lifetime: 1,
    });
    const expired = shop.resign({ ...ticket.claims, iat: ticket.claims.iat - 120, exp: ticket.claims.iat - 60 });
    const result = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: expired.token } });
    expect(result.leftTo?.pathname).toBe('/basket');
    expect(await refusalOf(result.leftTo, expired.reference)).toMatchObject({
      code: 'payment_refused',
      reason: 'ticket_expired',
      detail: { code: 'ticket_expired' },
    });
  });

  it('refuses a ticket from an unknown merchant', async () => {
    const stranger = generateKey();
    const claims = { ...shop.ticket(100).claims, iss: 'stranger' };
    const result = await new ScriptedBrowser(shop.url).go('/pay', {
      form: { ticket: signJws(TOKEN_TYPES.ticket, claims, stranger.signingKey) },
    });
    expect(result.page?.status).toBe(400);
    expect(result.html).toContain('merchant_unknown');
  });

  it('locks the account after 5 wrong access keys, tells the customer, alerts the operator, and refuses the right key after', async () => {
    const ticket = shop.ticket(100);
    const browser = new ScriptedBrowser(shop.url);
    let page = await browser.go('/pay', { form: { ticket: ticket.token } });
    for (let attempt = 1; attempt <= 5; attempt++) {
      page = await browser.go(ScriptedBrowser.action(page.html, '/identify'), {
        form: { csrf: ScriptedBrowser.csrf(page.html), account: 'bob', accessKey: `wrong key ${attempt}` },
      });
    }
    expect(page.html).toMatch(/locked/i);
    expect(page.html).toContain('account_locked');
    expect((await shop.server.alerts.list()).map((alert) => alert.subject)).toContain('bob');

    const back = await browser.go(/href="([^"]+\/return)"/.exec(page.html ?? '')?.[1] ?? '');
    expect(await refusalOf(back.leftTo, ticket.reference)).toMatchObject({ reason: 'account_locked' });

    const next = shop.ticket(100);
    const retry = new ScriptedBrowser(shop.url);
    const summary = await retry.go('/pay', { form: { ticket: next.token } });
    const locked = await retry.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(summary.html), account: 'bob', accessKey: 'the right access key' },
    });
    expect(locked.html).toContain('account_locked');
  });

  it('refuses a form without its CSRF token or from another origin', async () => {
    const ticket = shop.ticket(100);
    const browser = new ScriptedBrowser(shop.url);
    const page = await browser.go('/pay', { form: { ticket: ticket.token } });
    const action = ScriptedBrowser.action(page.html, '/identify');
    const forged = await browser.go(action, { form: { csrf: 'forged', account: 'bob', accessKey: 'x' } });
    expect(forged.page?.status).toBe(403);
    expect(forged.page?.headers.get('content-type')).toContain('text/html');
    expect(forged.html).toContain('csrf_invalid');
    const crossSite = await browser.go(action, {
      form: { csrf: ScriptedBrowser.csrf(page.html), account: 'bob', accessKey: 'x' },
      origin: 'https://evil.example',
    });
    expect(crossSite.page?.status).toBe(403);
    // Browsers send `Origin: null` for our own forms, as the pages are no-referrer: the token decides.
    const fromOurPage = await browser.go(action, {
      form: { csrf: ScriptedBrowser.csrf(page.html), account: 'bob', accessKey: 'x' },
      origin: 'null',
    });
    expect(fromOurPage.page?.status).not.toBe(403);
  });

  it('refuses a ticket form larger than forms ever are, without reading it', async () => {
    const response = await fetch(`${shop.url}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `ticket=${'a'.repeat(100_000)}`,
    });
    expect(response.status).toBe(413);
    expect(await response.text()).toContain('body_too_large');
  });

  it('does not show a session to another browser', async () => {
    const ticket = shop.ticket(100);
    const owner = new ScriptedBrowser(shop.url);
    await owner.go('/pay', { form: { ticket: ticket.token } });
    const sessionPath = /action="(\/checkout\/[^/"]+)\/identify"/.exec(
      (await owner.go('/pay', { form: { ticket: ticket.token } })).html ?? '',
    )?.[1];
    const stranger = await new ScriptedBrowser(shop.url).go(sessionPath ?? '/checkout/none');
    expect(stranger.page?.status).toBe(404);
  });
});
