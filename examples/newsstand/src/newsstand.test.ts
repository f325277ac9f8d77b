import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpBrowser, startPaymentServer } from '@caisse/example-e2e';
import { generateKey } from '@caisse/server-kit';
import { createMerchantClient } from '@caisse/server-kit/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startNewsstand } from './app.js';

/** The newsstand over real HTTP against a real payment server; the reader's wallet holds 2.00 EUR. */
let payment: Awaited<ReturnType<typeof startPaymentServer>>;
let newsstand: Awaited<ReturnType<typeof startNewsstand>>;
let dataDir: string;
// A test key, against a payment server in test mode: as the demo runs the newsstand.
const key = generateKey({ test: true });

const open = (port = 0) =>
  startNewsstand({ port, paymentServerUrl: payment.url, merchantId: 'newsstand', signingKey: key.privateJwk, dataDir });

beforeAll(async () => {
  payment = await startPaymentServer({ walletCents: 200n, mode: 'test' });
  dataDir = await mkdtemp(join(tmpdir(), 'newsstand-'));
  newsstand = await open();
  await payment.server.merchants.register({
    id: 'newsstand',
    displayName: 'Le Kiosque',
    jwks: key.jwks,
    returnOrigins: [newsstand.url],
    notifyUrl: `${newsstand.url}/caisse/notify`,
  });
});
afterAll(async () => {
  await newsstand?.close();
  await payment?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const ticketOf = (html: string) => /<caisse-checkout ticket="([^"]+)"/.exec(html)?.[1] ?? '';
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());

/**
 * A ticket through the hosted page (in the whole window, as when the popup is blocked), then
 * where the payment server sends the reader: our return handler, which verifies and sends
 * them back to the article (`page`). `lost`: the reader never gets back to the newsstand (the
 * popup closed too early; `page.url` is where it was sent). `token`: the voucher or refusal
 * the payment server put in the return address.
 */
async function payTicket(reader: HttpBrowser, ticket: string, { lost = false } = {}) {
  const stop = lost ? { stopAt: (next: URL) => next.origin === newsstand.url } : {};
  const checkout = await reader.go(`${payment.url}/pay`, { form: { ticket }, origin: newsstand.url });
  let page = await reader.go(HttpBrowser.action(checkout, '/identify'), {
    form: { csrf: HttpBrowser.csrf(checkout.html), account: payment.customer.accountId, accessKey: payment.customer.accessKey },
    ...stop,
  });
  const hops = [...page.hops, page.url];
  // A refusal is shown on the payment server first; its button leads back to the newsstand.
  const onward = /href="([^"]+\/return)"/.exec(page.html)?.[1];
  if (page.url.origin === payment.url && onward) {
    page = await reader.go(new URL(onward.replace(/&amp;/g, '&'), page.url).toString(), stop);
    hops.push(...page.hops, page.url);
  }
  const back = hops.find((url) => url.searchParams.has('caisse_voucher') || url.searchParams.has('caisse_refusal'));
  return { page, token: back?.searchParams.get('caisse_voucher') ?? back?.searchParams.get('caisse_refusal') ?? '' };
}

/** The article page's own ticket, paid as {@link payTicket} does. */
const pay = async (reader: HttpBrowser, article: string, options: { lost?: boolean } = {}) =>
  payTicket(reader, ticketOf((await reader.go(`${newsstand.url}/articles/${article}`)).html), options);

describe('the newsstand', () => {
  const reader = new HttpBrowser();

  it('sells an article: an immediate ticket for its price, paid from the wallet, then the article opens', async () => {
    const locked = await reader.go(`${newsstand.url}/articles/bakers`);
    expect(locked.html).toContain('mode="popup"');
    expect(locked.html).not.toContain('id="article-body"');
    expect(claimsOf(ticketOf(locked.html))).toMatchObject({
      amount: 50,
      fulfilment: 'immediate',
      returnUrl: `${newsstand.url}/caisse/return?article=bakers`,
      cancelUrl: `${newsstand.url}/caisse/return?article=bakers`,
    });

    // Back through the return handler, which verified the voucher, to the article, open, the token gone from the address.
    const { page, token } = await pay(reader, 'bakers');
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
      const { page, token } = await pay(reader, 'budget');
      expect(claimsOf(token)).toMatchObject({ reason: 'insufficient_funds' });
      expect(page.url.href).toBe(`${newsstand.url}/articles/budget?caisse_reason=insufficient_funds`);
      expect(page.html).toContain('Payment refused. There is not enough money in your wallet. Nothing was charged: you can pay again.');
      expect(page.html).not.toContain('id="article-body"');
      expect(page.html).toContain('<caisse-checkout');
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
    // The first tab in the whole window, through the return handler; the second in popup mode,
    // where the widget posts the voucher to the same handler (its verify-url).
    expect((await payTicket(tabs, ticketOf(firstTab.html))).page.html).toContain('id="article-body"');
    const { token } = await payTicket(tabs, ticketOf(secondTab.html), { lost: true });
    const second = JSON.parse((await tabs.go(`${newsstand.url}/caisse/return`, { json: { token } })).html);
    expect(second).toMatchObject({ status: 'paid' });
    expect(second.redirectTo).toBeUndefined(); // the page reloads itself
    const history = await tabs.go(`${newsstand.url}/history`);
    expect(history.html).toContain('Spent today: <strong>€0.20</strong>');
    const client = createMerchantClient({ server: payment.url, merchantId: 'newsstand', key: key.privateJwk });
    expect(second.voucher.jti).toMatch(/^pay_[1-9][0-9]*$/);
    expect(await client.refunds.list({ id: second.voucher.jti })).toMatchObject([{ amount: 20, payment: second.voucher.jti }]);
  });

  it('names the reader in its tickets once they give their Caisse account, and forgets it on request', async () => {
    const ticketClaims = (html: string) => claimsOf(ticketOf(html));
    const remembered = await reader.go(`${newsstand.url}/account`, { form: { account: 'alice', article: 'chess' } });
    expect(remembered.url.pathname).toBe('/articles/chess');
    expect(ticketClaims(remembered.html).customer).toEqual({ account: 'alice' });
    expect(remembered.html).toContain('Paying as <strong>alice</strong>');
    const bad = await reader.go(`${newsstand.url}/account`, { form: { account: 'not an id!', article: '../https://evil.example/' } });
    expect(bad.url.toString()).toBe(`${newsstand.url}/`);
    expect(ticketClaims((await reader.go(`${newsstand.url}/articles/chess`)).html).customer).toBeUndefined();
  });

  it('remembers its readers across a restart', async () => {
    const { port } = new URL(newsstand.url);
    await newsstand.close();
    newsstand = await open(Number(port));
    expect((await reader.go(`${newsstand.url}/history`)).html).toContain('Spent today: <strong>€1.40</strong>');
  });
});
