import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpBrowser, startPaymentServer } from '@caisse/example-e2e';
import { generateKey } from '@caisse/server-kit';
import { createMerchantClient } from '@caisse/server-kit/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startNewsstand } from './app.js';
import { freePort, registerNewsstand } from './test-support.js';

/**
 * The newsstand over real HTTP against a real payment server; the reader's wallet holds
 * 2.00 EUR. The clock of the newsstand's live prices is frozen: long after every article
 * was published (each at its plain price), or, for one test, two hours after one was.
 */
let payment: Awaited<ReturnType<typeof startPaymentServer>>;
let newsstand: Awaited<ReturnType<typeof startNewsstand>>;
let dataDir: string;
let port: number;
// A test key, against a payment server in test mode: as the demo runs the newsstand.
const key = generateKey({ test: true });
const LATER = new Date('2026-06-01T12:00:00Z');
let clock = LATER;

const open = () =>
  startNewsstand({
    port,
    paymentServerUrl: payment.url,
    merchantId: 'newsstand',
    signingKey: key.privateJwk,
    dataDir,
    priceClock: () => clock,
  });

beforeAll(async () => {
  payment = await startPaymentServer({ walletCents: 200n, mode: 'test' });
  dataDir = await mkdtemp(join(tmpdir(), 'newsstand-'));
  // Registered before it starts: it stores its articles on the payment server then.
  port = await freePort();
  await registerNewsstand(payment, key.jwks, port);
  newsstand = await open();
});
afterAll(async () => {
  await newsstand?.close();
  await payment?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** The hour of reading's ticket on an article page (the article's own widget has none: it asks for a quote). */
const hourTicketOf = (html: string) => /<caisse-checkout ticket="([^"]+)"/.exec(html)?.[1] ?? '';
/** What the article's widget (quote mode) posts to the payment server's `/quote`, as the page gives it. */
const quoteFormOf = (html: string) => {
  const widget = /<caisse-checkout server="[^"]+" merchant="([^"]+)" item="([^"]+)" state="([^"]+)"/.exec(html);
  return { merchant: widget?.[1] ?? '', item: widget?.[2] ?? '', quantity: '1', state: widget?.[3] ?? '' };
};
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
/** The newsstand's quote for an article, as a phone app asks for it (`POST /quotes`): the ticket and its price. */
const quoteOf = async (item: string) =>
  (await fetch(`${payment.url}/quotes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ merchant: 'newsstand', item }),
  })) as Response;

/**
 * The article's widget as a browser in the whole window runs it: its form to the payment
 * server's `/quote` (which asks the newsstand for the price and opens the checkout on the
 * quoted ticket), the hosted page, and, once paid, the payment server's page of the
 * article (`delivered`), which leads back to our return handler; a refusal is shown there
 * first too. Then the return handler verifies and sends the reader back to the article
 * (`page`). `lost`: the reader never gets back to the newsstand (`page.url` is where it was
 * sent). `token`: the voucher or refusal the payment server put in the return address.
 */
async function payQuote(reader: HttpBrowser, form: Record<string, string>, { lost = false } = {}) {
  const stop = lost ? { stopAt: (next: URL) => next.origin === newsstand.url } : {};
  const checkout = await reader.go(`${payment.url}/quote`, { form, origin: newsstand.url });
  let page = await reader.go(HttpBrowser.action(checkout, '/identify'), {
    form: { csrf: HttpBrowser.csrf(checkout.html), account: payment.customer.accountId, accessKey: payment.customer.accessKey },
    ...stop,
  });
  const delivered = page;
  const hops = [...page.hops, page.url];
  // The article (paid) or the refusal is shown on the payment server first; its link leads back to the newsstand.
  const onward = /href="([^"]+\/return(?:\?continue=1)?)"/.exec(page.html)?.[1];
  if (page.url.origin === payment.url && onward) {
    page = await reader.go(new URL(onward.replace(/&amp;/g, '&'), page.url).toString(), stop);
    hops.push(...page.hops, page.url);
  }
  const back = hops.find((url) => url.searchParams.has('caisse_voucher') || url.searchParams.has('caisse_refusal'));
  return { page, delivered, token: back?.searchParams.get('caisse_voucher') ?? back?.searchParams.get('caisse_refusal') ?? '' };
}

/** The article page's widget, paid as {@link payQuote} does. */
const pay = async (reader: HttpBrowser, article: string, options: { lost?: boolean } = {}) =>
  payQuote(reader, quoteFormOf((await reader.go(`${newsstand.url}/articles/${article}`)).html), options);

describe('the newsstand', () => {
  const reader = new HttpBrowser();

  it('sells an article: a quoted immediate ticket for its price, paid from the wallet, then the article opens', async () => {
    const locked = await reader.go(`${newsstand.url}/articles/bakers`);
    expect(locked.html).not.toContain('id="article-body"');
    // The article's widget asks for a quote: no ticket in the page, the reader's browser binding instead.
    expect(quoteFormOf(locked.html)).toEqual({ merchant: 'newsstand', item: 'bakers', quantity: '1', state: expect.any(String) });
    expect(locked.html).toContain('Read the whole article for €0.50');
    const quoted = await quoteOf('bakers');
    expect(quoted.status).toBe(200);
    const { ticket, amount, expiresAt } = await quoted.json();
    expect(amount).toBe(50);
    const claims = claimsOf(ticket);
    expect(claims).toMatchObject({
      amount: 50,
      items: [{ id: 'bakers', quantity: 1, unitAmount: 50 }],
      fulfilment: 'immediate',
      delivery: { content: 'bakers' },
      quote: { item: 'bakers', quantity: 1 },
      returnUrl: `${newsstand.url}/caisse/return?article=bakers`,
      cancelUrl: `${newsstand.url}/caisse/return?article=bakers`,
      notifyUrl: `${newsstand.url}/caisse/notify`,
    });
    expect(claims.exp - claims.iat).toBe(120); // the price holds two minutes
    expect(Date.parse(expiresAt)).toBe(claims.exp * 1000);

    // Paid: the payment server's page of the article, whose Open gives it to this browser once.
    const { page, delivered, token } = await pay(reader, 'bakers');
    expect(delivered.html).toContain('Payment received: The night shift: a week with Lyon’s bakers');
    const opened = await reader.go(HttpBrowser.action(delivered, '/content'), { form: { csrf: HttpBrowser.csrf(delivered.html) } });
    expect(opened.response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(opened.html).toContain('<p>The dough for the morning was mixed the evening before');
    expect(opened.html).not.toContain('<script');
    // Back through the return handler, which verified the voucher, to the article, open, the token gone from the address.
    expect(claimsOf(token)).toMatchObject({ amount: 50, funding: 'wallet' });
    expect(page.url.href).toBe(`${newsstand.url}/articles/bakers`);
    expect(page.html).toContain('id="article-body"');
    expect((await reader.go(`${newsstand.url}/articles/bakers`)).html).toContain('id="article-body"');
    expect((await new HttpBrowser().go(`${newsstand.url}/articles/bakers`)).html).not.toContain('id="article-body"');
  });

  it('keeps the reading history and what the reader spent today, also for a payment whose window was lost', async () => {
    await pay(reader, 'tides');
    await pay(reader, 'rail', { lost: true }); // the popup closed before the voucher reached the newsstand
    await payment.deliverNotifications();
    const history = await reader.go(`${newsstand.url}/history`);
    expect(history.html).toContain('Spent today: <strong>€1.40</strong>');
    for (const title of ['Night trains', 'Mont-Saint-Michel', 'bakers']) expect(history.html).toContain(title);
    expect((await reader.go(`${newsstand.url}/articles/rail`)).html).toContain('id="article-body"');
  });

  it('says why when the wallet cannot pay, on the article page, opens nothing, and logs the code', async () => {
    const warn = vi.spyOn(console, 'warn');
    try {
      const { page, delivered, token } = await pay(reader, 'budget');
      // The payment server's page says no: no article to open there.
      expect(delivered.html).not.toContain('/content"');
      expect(claimsOf(token)).toMatchObject({ reason: 'insufficient_funds' });
      expect(page.url.href).toBe(`${newsstand.url}/articles/budget?caisse_reason=insufficient_funds`);
      expect(page.html).toContain('Payment refused. There is not enough money in your wallet. Nothing was charged: you can pay again.');
      expect(page.html).not.toContain('id="article-body"');
      expect(page.html).toContain('<caisse-checkout server=');
      expect(warn.mock.calls.map((call) => call.join(' '))).toContain(
        `newsstand: payment ${claimsOf(token).serial} refused: insufficient_funds`,
      );
    } finally {
      warn.mockRestore();
    }
    // A reason that is not one is not shown.
    expect((await reader.go(`${newsstand.url}/articles/budget?caisse_reason=<b>`)).html).not.toContain('id="refusal"');
    expect((await reader.go(`${newsstand.url}/articles/budget`)).html).not.toContain('id="article-body"');
    expect((await reader.go(`${newsstand.url}/history`)).html).toContain('Spent today: <strong>€1.40</strong>');
  });

  it('gives the money back when a reader pays twice for one article (two tabs)', async () => {
    const tabs = new HttpBrowser();
    const firstTab = await tabs.go(`${newsstand.url}/articles/tides`);
    const secondTab = await tabs.go(`${newsstand.url}/articles/tides`);
    // The first tab through the return handler; the second posts the voucher to the same
    // handler, as a widget in popup mode does (its verify-url).
    expect((await payQuote(tabs, quoteFormOf(firstTab.html))).page.html).toContain('id="article-body"');
    const { token } = await payQuote(tabs, quoteFormOf(secondTab.html), { lost: true });
    const second = JSON.parse((await tabs.go(`${newsstand.url}/caisse/return`, { json: { token } })).html);
    expect(second).toMatchObject({ status: 'paid' });
    expect(second.redirectTo).toBeUndefined(); // the page reloads itself
    const history = await tabs.go(`${newsstand.url}/history`);
    expect(history.html).toContain('Spent today: <strong>€0.20</strong>');
    const client = createMerchantClient({ server: payment.url, merchantId: 'newsstand', key: key.privateJwk });
    expect(second.voucher.jti).toMatch(/^pay_[1-9][0-9]*$/);
    expect(await client.refunds.list({ id: second.voucher.jti })).toMatchObject([{ amount: 20, payment: second.voucher.jti }]);
  });

  it('names the reader in its hour tickets once they give their Caisse account, and forgets it on request', async () => {
    // A quoted ticket cannot name a customer: the account serves the hour of reading's ticket.
    const ticketClaims = (html: string) => claimsOf(hourTicketOf(html));
    const remembered = await reader.go(`${newsstand.url}/account`, { form: { account: 'alice', article: 'chess' } });
    expect(remembered.url.pathname).toBe('/articles/chess');
    expect(ticketClaims(remembered.html).customer).toEqual({ account: 'alice' });
    expect(remembered.html).toContain('Paying as <strong>alice</strong>');
    const bad = await reader.go(`${newsstand.url}/account`, { form: { account: 'not an id!', article: '../https://evil.example/' } });
    expect(bad.url.toString()).toBe(`${newsstand.url}/`);
    expect(ticketClaims((await reader.go(`${newsstand.url}/articles/chess`)).html).customer).toBeUndefined();
  });

  it('prices an article when it is asked for: fresh, it costs half as much again; an unknown one is not for sale', async () => {
    clock = new Date('2026-03-02T08:00:00Z'); // two hours after the tides article was published
    try {
      const front = (await new HttpBrowser().go(`${newsstand.url}/`)).html;
      expect(front).toContain('<p class="price">€0.30</p>');
      expect(front).toContain('<p class="price">€0.80</p>');
      const fresh = await (await quoteOf('tides')).json();
      expect(fresh).toMatchObject({ amount: 30, items: [{ id: 'tides', unitAmount: 30 }] });
      expect(await (await quoteOf('chess')).json()).toMatchObject({ amount: 80 });
    } finally {
      clock = LATER;
    }
    expect(await (await quoteOf('tides')).json()).toMatchObject({ amount: 20 });
    const unknown = await quoteOf('horoscope');
    expect(unknown.status).toBe(409);
    expect(await unknown.json()).toMatchObject({ code: 'quote_unavailable', message: 'There is no such article at Le Kiosque.' });
  });

  it('remembers its readers across a restart', async () => {
    await newsstand.close();
    newsstand = await open();
    expect((await reader.go(`${newsstand.url}/history`)).html).toContain('Spent today: <strong>€1.40</strong>');
  });
});
