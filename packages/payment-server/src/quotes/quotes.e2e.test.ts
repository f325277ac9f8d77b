import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiQuote } from '@caisse/protocol';
import {
  type CreatedTicket,
  createMerchant,
  createQuoteHandler,
  createState,
  generateKey,
  type Merchant,
  memoryReplayStore,
  type QuoteRequest,
  staticKeySet,
} from '@caisse/server-kit';
import { toNodeHandler } from '@caisse/server-kit/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { createTestDevice } from '../__fixtures__/device.js';
import { SHOP_ORIGIN } from '../__fixtures__/payment-server.js';
import { type ApiTestServer, serverDrivers, startApiTestServer } from '../api/__fixtures__/api-server.js';
import { PIN, pending } from '../checkout/__fixtures__/phone.js';

/** One clock for the payment server and the merchant's quotes: frozen, moved by hand. */
const START = new Date('2026-05-04T10:00:00Z');
const clock = { at: START };
const now = () => clock.at;
const minutesLater = (minutes: number) => new Date(START.getTime() + minutes * 60_000);

const ACCESS_KEY = 'correct horse battery';
const QUOTE_LIMIT = 60;
const TIDES = '<h1>The tide tables</h1><p>High water at 06:12.</p>';

/**
 * The merchant side, as a merchant writes it: a real HTTP quote endpoint made with the
 * server kit's `createQuoteHandler`, pricing "tides" at `price` for 2 minutes, with a
 * digital good; `answer` replaces the handler to play a broken or forged endpoint.
 */
function quoteEndpoint(merchant: Merchant) {
  const state = {
    price: 300,
    available: true,
    requests: [] as QuoteRequest[],
    tickets: new Map<string, CreatedTicket>(),
    answer: undefined as ((request: Request) => Promise<Response>) | undefined,
  };
  const handler = createQuoteHandler({
    merchant,
    quote: (request) => {
      state.requests.push(request);
      if (!state.available) return { available: false, message: 'Sold out until Monday.' };
      return {
        serial: `Q-${state.tickets.size + 1}`,
        currency: 'EUR',
        items: [{ id: request.item, label: 'The tide tables', quantity: request.quantity, unitAmount: state.price, vatRate: 550 }],
        returnUrl: `${SHOP_ORIGIN}/paid`,
        cancelUrl: `${SHOP_ORIGIN}/basket`,
        fulfilment: 'immediate',
        delivery: { content: 'tides' },
        lifetime: 120,
        stock: 7,
      };
    },
    onTicket: (ticket) => {
      state.tickets.set(ticket.id, ticket);
    },
  });
  const node = toNodeHandler((request) => (state.answer ?? handler)(request));
  const http: Server = createServer((request, response) => void node(request, response));
  return {
    state,
    async start(): Promise<string> {
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
      return `http://127.0.0.1:${(http.address() as AddressInfo).port}/quote`;
    },
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}

describe.each(await serverDrivers('quotes and digital goods'))('quotes and digital goods on $name', (driver) => {
  let shop: ApiTestServer;
  let endpoint: ReturnType<typeof quoteEndpoint>;
  /** The shop as its quote endpoint knows it, trusting the payment server's keys of this (frozen) time. */
  let merchant: Merchant;
  let drop: () => Promise<void>;
  let customers = 0;

  beforeAll(async () => {
    const database = await driver.url();
    drop = database.drop;
    shop = await startApiTestServer({
      now,
      // Every request here comes from 127.0.0.1: enough for the suite, and a limit the last test reaches.
      env: { CAISSE_QUOTE_LIMIT: String(QUOTE_LIMIT) },
      ...(database.url ? { databaseUrl: database.url } : {}),
    });
    // A database made from a template may hold a key made at the real time, after this frozen one: sign with a key of this time.
    await shop.server.keys.rotate({ immediately: true });
    merchant = createMerchant({
      merchantId: shop.merchantId,
      signingKey: shop.merchantKey.privateJwk,
      paymentServer: { issuer: shop.server.issuer, payEndpoint: `${shop.url}/pay`, keys: staticKeySet(await shop.server.keys.jwks()) },
      replayStore: memoryReplayStore(),
      now,
    });
    endpoint = quoteEndpoint(merchant);
    await shop.server.merchants.setQuoteUrl(shop.merchantId, await endpoint.start());
    const stored = await putContent('tides', {
      title: 'The tide tables',
      contentType: 'text/html',
      data: Buffer.from(TIDES).toString('base64url'),
    });
    expect(stored.status).toBe(201);
  });

  afterAll(async () => {
    await endpoint?.close();
    await shop?.close();
    await drop?.();
  });

  beforeEach(() => {
    clock.at = START;
    endpoint.state.price = 300;
    endpoint.state.available = true;
    endpoint.state.answer = undefined;
  });

  /** The merchant API, with assertions dated by the frozen clock. */
  const api: ApiTestServer['call'] = (path, init = {}) =>
    shop.call(path, { ...init, assertion: { iat: Math.floor(now().getTime() / 1000), ...init.assertion } });

  function putContent(ref: string, body: unknown) {
    return api(`/v1/contents/${ref}`, { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  }

  /** A customer with money in their wallet, who pays with their access key. */
  async function customer(wallet = 20_000n): Promise<string> {
    const accountId = `quote-cust-${++customers}`;
    await shop.server.customers.add({
      accountId,
      phone: `+337${String(10_000_000 + customers).padStart(8, '0')}`,
      accessKey: ACCESS_KEY,
      limits: { EUR: { walletCap: 50_000n } },
    });
    const { id } = await shop.server.customers.identify(accountId, ACCESS_KEY);
    if (wallet > 0n) await shop.server.customers.walletCredit(id, 'EUR', wallet, { idempotencyKey: `top-up-${accountId}` });
    return accountId;
  }

  /** A browser on the merchant's page asks for the quote of `item`; it lands on the checkout page. */
  async function askQuote(state = createState(), item = 'tides') {
    const browser = new ScriptedBrowser(shop.url);
    const page = await browser.go('/quote', { form: { merchant: shop.merchantId, item, quantity: '1', state } });
    return { browser, page, state };
  }

  async function identify(browser: ScriptedBrowser, html: string | undefined, account: string) {
    return browser.go(ScriptedBrowser.action(html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(html), account, accessKey: ACCESS_KEY },
    });
  }

  async function paymentsOf(ticketJti: string): Promise<number> {
    const { rows } = await shop.server.db.query('SELECT 1 FROM payments WHERE merchant_id = $1 AND ticket_jti = $2', [
      shop.merchantId,
      ticketJti,
    ]);
    return rows.length;
  }

  describe('quotes', () => {
    it('asks the merchant with a signed request, shows the quote, and pays it: the merchant verifies the voucher as for its own tickets', async () => {
      const account = await customer();
      const { browser, page, state } = await askQuote();
      expect(page.page?.status).toBe(200);
      expect(page.html).toContain('€3.00');
      expect(page.html).toContain('This price holds until');
      expect(page.html).toContain('7 left.');
      const [request] = endpoint.state.requests.slice(-1);
      expect(request).toMatchObject({ iss: shop.server.issuer, aud: shop.merchantId, item: 'tides', quantity: 1, state, locale: 'en' });

      const delivered = await identify(browser, page.html, account);
      // A digital good: the payment server's page first, then on to the shop.
      expect(delivered.html).toContain('Payment received: ');
      const back = await browser.go(ScriptedBrowser.action(delivered.html, '/content').replace('/content', '/return?continue=1'));
      const voucher = back.leftTo?.searchParams.get('caisse_voucher') ?? '';
      const ticket = [...endpoint.state.tickets.values()].at(-1) as CreatedTicket;
      const verified = await merchant.verifyVoucher(voucher, { ticket: ticket.reference, state });
      expect(verified).toMatchObject({ amount: 300, serial: ticket.claims.serial });
    });

    it('fetches a quote again once its price ran out, and never pays the old one', async () => {
      const account = await customer();
      const { browser, page } = await askQuote();
      const first = [...endpoint.state.tickets.values()].at(-1) as CreatedTicket;
      endpoint.state.price = 350;
      clock.at = minutesLater(3); // the quote held for 2 minutes
      const requoted = await identify(browser, page.html, account);
      expect(requoted.page?.status).toBe(200);
      expect(requoted.html).toContain('The earlier price ran out');
      expect(requoted.html).toContain('€3.50');
      expect(await paymentsOf(first.id)).toBe(0);

      const second = [...endpoint.state.tickets.values()].at(-1) as CreatedTicket;
      expect(second.id).not.toBe(first.id);
      const paid = await identify(browser, requoted.html, account);
      expect(paid.html).toContain('Payment received: ');
      expect(await paymentsOf(second.id)).toBe(1);
      expect(await paymentsOf(first.id)).toBe(0);
      // Going back to the old checkout fetches the price again rather than paying the old one.
      const old = await browser.go(page.page?.url ?? '');
      expect(old.html).toContain('The earlier price ran out');
      expect(await paymentsOf(first.id)).toBe(0);
    });

    it('refuses a phone approval that comes after the price ran out, and shows the new quote', async () => {
      const account = await customer();
      // The phone's clock is the frozen one too.
      const phone = createTestDevice(shop.url, { now });
      const { code } = await shop.server.devices.createCode(account);
      expect((await phone.enroll(code, { pin: PIN })).status).toBe(201);
      const { browser, page } = await askQuote();
      expect(page.page?.status, page.html?.replace(/\s+/g, ' ').slice(0, 3000)).toBe(200);
      const first = [...endpoint.state.tickets.values()].at(-1) as CreatedTicket;
      const asked = await browser.go(ScriptedBrowser.action(page.html, '/identify'), {
        form: { csrf: ScriptedBrowser.csrf(page.html), account, accessKey: '' },
      });
      expect(asked.html).toContain('/events');
      clock.at = minutesLater(3); // the phone's request still runs (5 minutes), the price no longer holds (2)
      const [request] = await pending(phone);
      if (request === undefined) throw new Error('no confirmation request');
      expect((await phone.send(request, 'approve', PIN)).status).toBe(200);
      expect(await paymentsOf(first.id)).toBe(0);
      const after = await browser.go(page.page?.url ?? '');
      expect(after.html).toContain('The earlier price ran out');
    });

    it('refuses a forged quote, one for another request, and an endpoint that does not answer: nothing is opened or charged', async () => {
      const forger = createMerchant({
        merchantId: shop.merchantId,
        signingKey: generateKey().privateJwk,
        paymentServer: { issuer: shop.server.issuer, payEndpoint: `${shop.url}/pay`, keys: staticKeySet(await shop.server.keys.jwks()) },
        now,
      });
      const forged = forger.createTicket({
        serial: 'forged',
        currency: 'EUR',
        items: [{ id: 'tides', label: 'The tide tables', quantity: 1, unitAmount: 1, vatRate: 550 }],
        returnUrl: `${SHOP_ORIGIN}/paid`,
        cancelUrl: `${SHOP_ORIGIN}/basket`,
        state: createState(),
        quote: { request: 'q_anything', item: 'tides', quantity: 1 },
      });
      endpoint.state.answer = async () => Response.json({ available: true, ticket: forged.token });
      const { page: forgedPage } = await askQuote();
      expect(forgedPage.page?.status).toBe(502);
      expect(forgedPage.html).toContain('The price could not be fetched');

      // Signed by the merchant, but made for an earlier request: not an answer to this one.
      const earlier = merchant.createTicket({
        serial: 'earlier',
        currency: 'EUR',
        items: [{ id: 'tides', label: 'The tide tables', quantity: 1, unitAmount: 1, vatRate: 550 }],
        returnUrl: `${SHOP_ORIGIN}/paid`,
        cancelUrl: `${SHOP_ORIGIN}/basket`,
        state: createState(),
        quote: { request: 'q_earlier', item: 'tides', quantity: 1 },
      });
      endpoint.state.answer = async () => Response.json({ available: true, ticket: earlier.token });
      expect((await askQuote()).page.page?.status).toBe(502);

      endpoint.state.answer = async () => new Response('upstream down', { status: 503 });
      const down = await fetch(`${shop.url}/quotes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ merchant: shop.merchantId, item: 'tides' }),
      });
      expect(down.status).toBe(502);
      expect(await down.json()).toMatchObject({ code: 'quote_failed' });
      const { rows } = await shop.server.db.query("SELECT 1 FROM tickets WHERE jti IN ('forged', $1, $2)", [forged.id, earlier.id]);
      expect(rows).toEqual([]);
    });

    it('answers a phone or a till in JSON, with the merchant’s words when the item is not available', async () => {
      const ask = (body: unknown) =>
        fetch(`${shop.url}/quotes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const quoted = await ask({ merchant: shop.merchantId, item: 'tides', quantity: 2 });
      expect(quoted.status).toBe(200);
      expect(quoted.headers.get('access-control-allow-origin')).toBe('*');
      const quote = (await quoted.json()) as ApiQuote;
      expect(quote).toMatchObject({ amount: 600, currency: 'EUR', expiresAt: minutesLater(2).toISOString(), stock: 7 });
      expect(quote.ticket).toBe(([...endpoint.state.tickets.values()].at(-1) as CreatedTicket).token);

      endpoint.state.available = false;
      const soldOut = await ask({ merchant: shop.merchantId, item: 'tides' });
      expect(soldOut.status).toBe(409);
      expect(await soldOut.json()).toMatchObject({ code: 'quote_unavailable', message: 'Sold out until Monday.' });
      const { page } = await askQuote();
      expect(page.page?.status).toBe(409);
      expect(page.html).toContain('Sold out until Monday.');

      const other = await shop.addMerchant();
      expect(await (await ask({ merchant: other.merchantId, item: 'tides' })).json()).toMatchObject({ code: 'quote_endpoint_missing' });
      expect(await (await ask({ merchant: 'nobody', item: 'tides' })).json()).toMatchObject({ code: 'merchant_unknown' });
      expect(await (await ask({ merchant: shop.merchantId, item: 'tides', quantity: 0 })).json()).toMatchObject({
        code: 'request_invalid',
      });
      const badForm = await new ScriptedBrowser(shop.url).go('/quote', { form: { merchant: shop.merchantId, item: 'a b' } });
      expect(badForm.page?.status).toBe(400);
    });
  });

  describe('digital goods', () => {
    it('releases the good once, after payment, to the browser that paid; sealed at rest', async () => {
      const account = await customer();
      const { browser, page } = await askQuote();
      const paid = await identify(browser, page.html, account);
      const open = ScriptedBrowser.action(paid.html, '/content');
      const csrf = ScriptedBrowser.csrf(paid.html);

      // Another browser has no session here.
      expect((await new ScriptedBrowser(shop.url).go(open, { form: { csrf } })).page?.status).toBe(404);
      const [first, second] = await Promise.all([browser.go(open, { form: { csrf } }), browser.go(open, { form: { csrf } })]);
      const statuses = [first.page?.status, second.page?.status].sort();
      expect(statuses).toEqual([200, 410]);
      const good = first.page?.status === 200 ? first : second;
      expect(good.html).toBe(TIDES);
      expect(good.page?.headers.get('content-security-policy')).toMatch(/^sandbox;/);
      expect(good.page?.headers.get('cache-control')).toBe('no-store');
      expect((await browser.go(open, { form: { csrf } })).html).toContain('Already opened');
      const after = await browser.go(page.page?.url.replace(/\/checkout\/([^/?]+).*/, '/checkout/$1/return') ?? '');
      expect(after.html).toContain('You opened it here');

      const { rows } = await shop.server.db.query<{ sealed: string }>('SELECT sealed FROM contents WHERE merchant_id = $1', [
        shop.merchantId,
      ]);
      expect(rows.map((row) => row.sealed).join()).not.toContain(Buffer.from(TIDES).toString('base64url').slice(0, 20));
    });

    it('releases nothing for a refused or refunded payment', async () => {
      const broke = await customer(0n);
      const refused = await askQuote();
      const declined = await identify(refused.browser, refused.page.html, broke);
      // The payment was refused: the page offers no good, and asking for it gets nothing.
      expect(declined.html).not.toContain('/content');
      const session = /\/checkout\/([^/?]+)/.exec(refused.page.page?.url ?? '')?.[1];
      const attempt = await refused.browser.go(`/checkout/${session}/content`, { form: { csrf: ScriptedBrowser.csrf(refused.page.html) } });
      expect(attempt.page?.status).toBe(409);
      expect(attempt.html).toContain('Nothing to open');

      const account = await customer();
      const { browser, page } = await askQuote();
      const paid = await identify(browser, page.html, account);
      const ticket = [...endpoint.state.tickets.values()].at(-1) as CreatedTicket;
      const refund = await api(`/v1/payments/by-serial/${ticket.claims.serial}`);
      const { id } = (await refund.json()) as { id: string };
      const refunded = await api(`/v1/payments/${id}/refunds`, {
        method: 'POST',
        body: JSON.stringify({ amount: 100 }),
        headers: { 'content-type': 'application/json', 'idempotency-key': `refund-${id}` },
      });
      expect(refunded.status).toBe(201);
      const open = await browser.go(ScriptedBrowser.action(paid.html, '/content'), { form: { csrf: ScriptedBrowser.csrf(paid.html) } });
      expect(open.page?.status).toBe(409);
      const { rows } = await shop.server.db.query('SELECT 1 FROM content_releases WHERE ticket_jti = $1', [ticket.id]);
      expect(rows).toEqual([]);
    });

    it('refuses a ticket naming a good the merchant has not stored, and tells the merchant why', async () => {
      const ticket = merchant.createTicket({
        serial: 'no-good',
        currency: 'EUR',
        items: [{ id: 'ghost', label: 'A ghost', quantity: 1, unitAmount: 100, vatRate: 550 }],
        returnUrl: `${SHOP_ORIGIN}/paid`,
        cancelUrl: `${SHOP_ORIGIN}/basket`,
        state: createState(),
        delivery: { content: 'ghost' },
      });
      const result = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: ticket.token } });
      expect(result.leftTo?.origin).toBe(SHOP_ORIGIN);
      const refusal = await merchant
        .verifyVoucher(result.leftTo?.searchParams.get('caisse_refusal') ?? '', { ticket: ticket.reference })
        .catch((error: unknown) => error);
      expect(refusal).toMatchObject({ code: 'payment_refused', refusal: { detail: { code: 'content_unknown' } } });
      const listed = (await (await api('/v1/ticket-refusals')).json()) as { refusals: { code: string }[] };
      expect(listed.refusals.map((each) => each.code)).toContain('content_unknown');

      // Without a browser (the decoupled API), there is no one to release a good to: refused, the ticket left unspent.
      const stored = merchant.createTicket({
        serial: 'till-good',
        currency: 'EUR',
        items: [{ id: 'tides', label: 'The tide tables', quantity: 1, unitAmount: 100, vatRate: 550 }],
        returnUrl: `${SHOP_ORIGIN}/paid`,
        cancelUrl: `${SHOP_ORIGIN}/basket`,
        state: createState(),
        delivery: { content: 'tides' },
      });
      const till = await api('/v1/payments', {
        method: 'POST',
        body: JSON.stringify({ ticket: stored.token, phone: '+33600000000' }),
        headers: { 'content-type': 'application/json', 'idempotency-key': 'till-good' },
      });
      expect([till.status, ((await till.json()) as { code: string }).code]).toEqual([422, 'delivery_unavailable']);
      expect(await paymentsOf(stored.id)).toBe(0);
    });

    it('stores goods through the merchant API, each merchant its own, and refuses malformed ones without storing', async () => {
      const replaced = await putContent('tides', {
        title: 'The tide tables',
        contentType: 'text/html',
        data: Buffer.from(TIDES).toString('base64url'),
      });
      expect(replaced.status).toBe(200);
      expect(await replaced.json()).toMatchObject({ ref: 'tides', contentType: 'text/html', size: TIDES.length });
      expect((await putContent('bad', { title: 'Bad', contentType: 'text/html', data: 'not base64!' })).status).toBe(400);
      expect((await putContent('bad', { title: 'Bad', contentType: 'text/x-script', data: '' })).status).toBe(400);
      const big = await putContent('big', { title: 'Big', contentType: 'application/zip', data: 'A'.repeat(800 * 1024) });
      expect(big.status).toBe(413);
      const other = await shop.addMerchant();
      expect((await api('/v1/contents/tides', { as: other })).status).toBe(404);
      expect((await api('/v1/contents/bad')).status).toBe(404);
    });
  });

  // Last: past it, this client asks for no more quotes.
  describe('a client asking too often', () => {
    it('is refused before the merchant is called, and told when to come back', async () => {
      const asked = endpoint.state.requests.length;
      let answer: Response | undefined;
      // The throttle runs on the frozen clock: no request is given back while this loops.
      for (let sent = 0; sent < 2 * QUOTE_LIMIT; sent++) {
        answer = await fetch(`${shop.url}/quotes`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ merchant: shop.merchantId, item: 'tides' }),
        });
        if (answer.status === 429) break;
        expect(answer.status).toBe(200);
      }
      expect(answer?.status).toBe(429);
      expect(Number(answer?.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await answer?.json()).toMatchObject({ code: 'too_many_requests' });
      const made = endpoint.state.requests.length - asked;
      const page = await new ScriptedBrowser(shop.url).go('/quote', { form: { merchant: shop.merchantId, item: 'tides' } });
      expect(page.page?.status).toBe(429);
      expect(page.html).toContain('Too many requests');
      expect(endpoint.state.requests.length - asked).toBe(made);
    });
  });
});
