import { freshDatabase, requirePostgres } from '@caisse/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import type { TestDevice } from '../__fixtures__/device.js';
import { SHOP_ORIGIN, startTestServer } from '../__fixtures__/payment-server.js';
import { addCustomer, eventReader, PIN, pending, ticketFor } from './__fixtures__/phone.js';

/**
 * Checkout with a phone over real HTTP: the payment server's hosted pages in a scripted
 * browser, the customer's phone as a test device signing with node:crypto
 * (docs/device-api.md), on PGlite and PostgreSQL.
 */
const hasPostgres = await requirePostgres('phone checkout end to end');
const drivers: { name: string; url: () => Promise<{ url?: string; drop: () => Promise<void> }> }[] = [
  { name: 'pglite', url: async () => ({ drop: async () => {} }) },
];
if (hasPostgres) drivers.push({ name: 'postgres', url: () => freshDatabase('phone_checkout_e2e') });

describe.each(drivers)('checkout with a phone over real HTTP on $name', (driver) => {
  let shop: Awaited<ReturnType<typeof startTestServer>>;
  let drop = async () => {};
  let alicePhone: TestDevice;
  /** Moves the payment server's clock (not the test device's). */
  let offset = 0;
  /** The payment server's clock: what the test writes into its rows is dated by it, never by the database's now(). */
  const serverNow = () => new Date(Date.now() + offset);

  beforeAll(async () => {
    const database = await driver.url();
    drop = database.drop;
    shop = await startTestServer({
      ...(database.url ? { databaseUrl: database.url } : {}),
      // These tests send alice's phone far more unapproved requests than a customer would; phone-limit.e2e.test.ts tests the limit.
      env: { CAISSE_PHONE_REQUEST_LIMIT: '50' },
      now: serverNow,
    });
    alicePhone = (await addCustomer(shop, 'alice', '+33612345678')) as TestDevice;
    await addCustomer(shop, 'bob', '+33698765432', { device: false });
  });
  afterEach(() => {
    offset = 0;
  });
  afterAll(async () => {
    await shop?.close();
    await drop();
  });

  const db = () => shop.server.db;
  async function moneyMoved(): Promise<{ transfers: bigint; alice: bigint }> {
    const { rows } = await db().query<{ transfers: bigint; alice: bigint }>(
      `SELECT (SELECT count(*) FROM ledger_transfers) AS transfers,
              (SELECT coalesce(sum(b.balance), 0) FROM ledger_accounts a JOIN ledger_balances b ON b.account_id = a.id
                WHERE a.owner_id = 'alice' AND a.type = 'customer_wallet') AS alice`,
    );
    return rows[0] as { transfers: bigint; alice: bigint };
  }
  async function paymentsFor(jti: string): Promise<number> {
    const { rows } = await db().query<{ n: bigint }>('SELECT count(*) AS n FROM payments WHERE ticket_jti = $1', [jti]);
    return Number(rows[0]?.n);
  }

  /** The open request of this ticket on alice's phone (earlier tests may leave others open). */
  async function requestOf(ticket: { claims: { jti: string } }) {
    const request = (await pending(alicePhone)).find((open) => open.ticket.jti === ticket.claims.jti);
    if (!request) throw new Error('no request for this ticket on the phone');
    return request;
  }

  /** Opens the checkout of a ticket naming alice and clicks "Confirm on my phone": the customer's only action on the page. */
  async function confirmOnPhone(ticket = ticketFor(shop, 1290, { account: 'alice' })) {
    const browser = new ScriptedBrowser(shop.url);
    const summary = await browser.go('/pay', { form: { ticket: ticket.token } });
    const page = await browser.go(ScriptedBrowser.action(summary.html, '/phone'), { form: { csrf: ScriptedBrowser.csrf(summary.html) } });
    const sessionPath = new URL(page.page?.url ?? '').pathname;
    return { ticket, browser, page, sessionPath };
  }

  it('pays with one click on the page and the approval of the phone', async () => {
    const before = await moneyMoved();
    const { ticket, browser, page, sessionPath } = await confirmOnPhone();
    expect(page.page?.status).toBe(200);
    expect(page.html).toContain('Confirm on your phone');
    expect(page.html).toContain(`data-events="${sessionPath}/events"`);
    const csp = page.page?.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const script = await fetch(`${shop.url}/assets/confirm-live.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toContain('EventSource');

    const request = await requestOf(ticket);
    expect(request).toMatchObject({ amount: 1290, currency: 'EUR', payee: { id: shop.merchantId, name: 'The Bookshop' } });
    expect(request?.ticket).toEqual({ jti: ticket.claims.jti, sha256: ticket.reference.sha256 });
    const answer = await alicePhone.send(request, 'approve', PIN);
    expect(await answer.json()).toEqual({ state: 'approved' });

    // The page's script reloads the session: it has been paid, and the browser leaves with the voucher.
    const paid = await browser.go(sessionPath);
    expect(paid.leftTo?.origin).toBe(SHOP_ORIGIN);
    expect(paid.leftTo?.pathname).toBe('/paid');
    const voucher = await shop.merchant.verifyVoucher(paid.leftTo?.searchParams.get('caisse_voucher') ?? '', {
      ticket: ticket.reference,
      state: ticket.claims.state,
    });
    expect(voucher).toMatchObject({ amount: 1290, status: 'authorised', funding: 'wallet', confirmation: { method: 'device' } });
    const after = await moneyMoved();
    expect(Number(before.alice) - Number(after.alice)).toBe(1290);
    expect(await pending(alicePhone)).toEqual([]);
  });

  it('follows the session live on its events feed, bound to the browser that owns it', async () => {
    const { ticket, browser, sessionPath } = await confirmOnPhone();
    const stranger = await fetch(`${shop.url}${sessionPath}/events`, { headers: { accept: 'text/event-stream' } });
    expect(stranger.status).toBe(404);

    const feed = await fetch(`${shop.url}${sessionPath}/events`, {
      headers: { accept: 'text/event-stream', cookie: browser.cookieHeader() },
    });
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(feed.headers.get('cache-control')).toBe('no-store');
    const events = eventReader(feed);
    const first = JSON.parse((await events.next())?.data ?? '{}') as { state: string; expiresAt: string };
    expect(first.state).toBe('confirming');
    expect(Date.parse(first.expiresAt) - serverNow().getTime()).toBeGreaterThan(250_000);

    const request = await requestOf(ticket);
    expect((await alicePhone.send(request, 'approve', PIN)).status).toBe(200);
    expect(JSON.parse((await events.next())?.data ?? '{}')).toEqual({ state: 'paid' });
    expect(await events.next()).toBeUndefined();

    // A feed opened once the session has moved on says so at once and ends.
    const late = eventReader(await fetch(`${shop.url}${sessionPath}/events`, { headers: { cookie: browser.cookieHeader() } }));
    expect(JSON.parse((await late.next())?.data ?? '{}')).toEqual({ state: 'paid' });
    expect(await late.next()).toBeUndefined();
  });

  it('a decline on the phone refuses the payment customer_declined, moving no money', async () => {
    const before = await moneyMoved();
    const { ticket, browser, sessionPath } = await confirmOnPhone();
    const request = await requestOf(ticket);
    expect(await (await alicePhone.send(request, 'decline')).json()).toEqual({ state: 'declined' });
    const page = await browser.go(sessionPath);
    expect(page.html).toContain('declined');
    const back = await browser.go(`${sessionPath}/return`);
    expect(back.leftTo?.pathname).toBe('/basket');
    await expect(
      shop.merchant.verifyVoucher(back.leftTo?.searchParams.get('caisse_refusal') ?? '', { ticket: ticket.reference }),
    ).rejects.toMatchObject({
      reason: 'customer_declined',
    });
    expect(await moneyMoved()).toEqual(before);
    expect(await paymentsFor(ticket.claims.jti)).toBe(0);
  });

  it('no answer in time refuses it confirmation_expired and closes the request; a late approval changes nothing', async () => {
    const before = await moneyMoved();
    const { ticket, browser, sessionPath } = await confirmOnPhone();
    const request = await requestOf(ticket);
    offset = 301_000;
    await browser.go(sessionPath);
    // Back to the real clock, so the merchant's kit accepts the refusal's time.
    offset = 0;
    const back = await browser.go(`${sessionPath}/return`);
    await expect(
      shop.merchant.verifyVoucher(back.leftTo?.searchParams.get('caisse_refusal') ?? '', { ticket: ticket.reference }),
    ).rejects.toMatchObject({
      reason: 'confirmation_expired',
    });
    const { rows } = await db().query<{ state: string }>('SELECT state FROM confirmation_requests WHERE id = $1', [request.id]);
    expect(rows[0]?.state).toBe('expired');
    const late = await alicePhone.send(request, 'approve', PIN, { iat: Math.floor(serverNow().getTime() / 1000) });
    expect(late.status).toBeGreaterThanOrEqual(400);
    expect(await moneyMoved()).toEqual(before);
    expect(await paymentsFor(ticket.claims.jti)).toBe(0);
  });

  it('the background sweep refuses an unanswered request even when nobody looks at the page', async () => {
    const { sessionPath } = await confirmOnPhone();
    offset = 301_000;
    expect(await shop.server.phoneCheckout.settleDue()).toBeGreaterThanOrEqual(1);
    const { rows } = await db().query<{ state: string; refusal_reason: string }>(
      'SELECT state, refusal_reason FROM checkout_sessions WHERE id = $1',
      [sessionPath.split('/').at(-1)],
    );
    expect(rows[0]).toEqual({ state: 'refused', refusal_reason: 'confirmation_expired' });
  });

  it('cancel on the page cancels the session and closes the request on the phone stream', async () => {
    const before = await moneyMoved();
    const { ticket, browser, page, sessionPath } = await confirmOnPhone();
    const request = await requestOf(ticket);
    const stream = await alicePhone.call('/device/requests', { headers: { accept: 'text/event-stream' } });
    const events = eventReader(stream);
    expect((await events.next())?.event).toBe('request');

    const cancelled = await browser.go(ScriptedBrowser.action(page.html, '/cancel'), { form: { csrf: ScriptedBrowser.csrf(page.html) } });
    expect(cancelled.leftTo?.pathname).toBe('/basket');
    await expect(
      shop.merchant.verifyVoucher(cancelled.leftTo?.searchParams.get('caisse_refusal') ?? '', { ticket: ticket.reference }),
    ).rejects.toMatchObject({ reason: 'customer_declined' });
    let closed = await events.next();
    while (closed?.event !== 'closed') closed = await events.next();
    expect(JSON.parse(closed.data)).toEqual({ id: request.id, state: 'cancelled' });
    await events.cancel();
    expect((await alicePhone.send(request, 'approve', PIN)).status).toBe(409);
    expect(await moneyMoved()).toEqual(before);
    const { rows } = await db().query<{ state: string }>('SELECT state FROM checkout_sessions WHERE id = $1', [
      sessionPath.split('/').at(-1),
    ]);
    expect(rows[0]?.state).toBe('cancelled');
  });

  it('a customer with a device cannot pay with the access key alone: the right key still asks the phone', async () => {
    const before = await moneyMoved();
    const browser = new ScriptedBrowser(shop.url);
    const ticket = ticketFor(shop, 990);
    const summary = await browser.go('/pay', { form: { ticket: ticket.token } });
    expect(summary.html).not.toContain('/phone"');
    const page = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(summary.html), account: 'alice', accessKey: 'correct horse battery' },
    });
    expect(page.leftTo).toBeUndefined();
    expect(page.html).toContain('Confirm on your phone');
    expect(await moneyMoved()).toEqual(before);
    expect(await paymentsFor(ticket.claims.jti)).toBe(0);
    expect((await requestOf(ticket)).amount).toBe(990);
  });

  it('an account without a device and an unknown account get the same page: the access key is asked', async () => {
    const pages: string[] = [];
    for (const account of ['bob', 'nobody-here', 'not an id!']) {
      const browser = new ScriptedBrowser(shop.url);
      const summary = await browser.go('/pay', { form: { ticket: ticketFor(shop, 990).token } });
      const page = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
        form: { csrf: ScriptedBrowser.csrf(summary.html), account },
      });
      expect(page.page?.status).toBe(401);
      pages.push(
        (page.html ?? '')
          .replace(/\/checkout\/[\w-]+/g, '/checkout/ID')
          .replace(/order-\w+/g, 'order')
          .replace(/value="[^"]*"/g, 'value=""')
          .replace(/<time[^>]*>[^<]*<\/time>/g, ''),
      );
    }
    expect(pages[0]).toContain('access-key-error');
    expect(pages[0]).toBe(pages[1]);
    expect(pages[0]).toBe(pages[2]);
    // Bob still pays with his access key.
    const browser = new ScriptedBrowser(shop.url);
    const summary = await browser.go('/pay', { form: { ticket: ticketFor(shop, 990, { account: 'bob' }).token } });
    const asked = await browser.go(ScriptedBrowser.action(summary.html, '/phone'), { form: { csrf: ScriptedBrowser.csrf(summary.html) } });
    expect(asked.html).toContain('access-key-error');
    const paid = await browser.go(ScriptedBrowser.action(asked.html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(asked.html), account: 'bob', accessKey: 'correct horse battery' },
    });
    expect(paid.leftTo?.pathname).toBe('/paid');
  });

  it('"Confirm on my phone" needs the page\'s CSRF token and our origin: a forged post sends nothing to the phone', async () => {
    const ticket = ticketFor(shop, 1290, { account: 'alice' });
    const browser = new ScriptedBrowser(shop.url);
    const summary = await browser.go('/pay', { form: { ticket: ticket.token } });
    const action = ScriptedBrowser.action(summary.html, '/phone');
    const forged = await browser.go(action, { form: { csrf: 'not-the-token' } });
    expect(forged.page?.status).toBe(403);
    const crossSite = await browser.go(action, { form: { csrf: ScriptedBrowser.csrf(summary.html) }, origin: 'https://evil.example' });
    expect(crossSite.page?.status).toBe(403);
    expect((await pending(alicePhone)).filter((open) => open.ticket.jti === ticket.claims.jti)).toEqual([]);
    const { rows } = await db().query<{ state: string }>('SELECT state FROM checkout_sessions WHERE ticket_jti = $1', [ticket.claims.jti]);
    expect(rows[0]?.state).toBe('identifying');
  });

  it('a ticket naming the customer by phone number finds their device', async () => {
    const { page } = await confirmOnPhone(ticketFor(shop, 500, { phone: '+33612345678' }));
    expect(page.html).toContain('Confirm on your phone');
    expect(page.html).not.toContain('alice');
  });

  it('resumes after a crash between the committed approval and the authorisation: the next look pays, once', async () => {
    const { ticket, browser, sessionPath } = await confirmOnPhone();
    const request = await requestOf(ticket);
    // The answer as the devices domain commits it, with the process gone before onAnswered ran.
    await db().query(
      `UPDATE confirmation_requests SET state = 'approved', closed_at = $3, answered_at = $3, answer_jti = 'crash-test-jti', answer_device_id = $2
        WHERE id = $1`,
      [request.id, alicePhone.id, serverNow()],
    );
    const paid = await browser.go(sessionPath);
    expect(paid.leftTo?.pathname).toBe('/paid');
    await shop.merchant.verifyVoucher(paid.leftTo?.searchParams.get('caisse_voucher') ?? '', { ticket: ticket.reference });
    await shop.server.phoneCheckout.onAnswered({
      sessionId: sessionPath.split('/').at(-1) ?? '',
      customerId: 'alice',
      decision: 'approve',
      method: 'device',
      at: serverNow(),
    });
    expect(await paymentsFor(ticket.claims.jti)).toBe(1);
  });

  it('an approval committed in time wins over the deadline passing before anyone looked: paid, not expired', async () => {
    const { ticket, sessionPath } = await confirmOnPhone();
    const request = await requestOf(ticket);
    await db().query(
      `UPDATE confirmation_requests SET state = 'approved', closed_at = $3, answered_at = $3, answer_jti = 'in-time-jti', answer_device_id = $2
        WHERE id = $1`,
      [request.id, alicePhone.id, serverNow()],
    );
    offset = 301_000;
    await shop.server.phoneCheckout.settleDue();
    const { rows } = await db().query<{ state: string }>('SELECT state FROM checkout_sessions WHERE id = $1', [
      sessionPath.split('/').at(-1),
    ]);
    expect(rows[0]?.state).toBe('paid');
    expect(await paymentsFor(ticket.claims.jti)).toBe(1);
  });

  // Last: it closes the feeds of this server for good.
  it('ends open feeds when the server shuts down, so the HTTP server can close (the page reconnects elsewhere)', async () => {
    const { browser, sessionPath } = await confirmOnPhone();
    const events = eventReader(await fetch(`${shop.url}${sessionPath}/events`, { headers: { cookie: browser.cookieHeader() } }));
    expect(JSON.parse((await events.next())?.data ?? '{}')).toMatchObject({ state: 'confirming' });
    await shop.server.checkoutEvents.close();
    expect(await events.next()).toBeUndefined();
  });
});
