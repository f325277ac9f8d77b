import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpBrowser, startPaymentServer } from '@caisse/example-e2e';
import { generateKey } from '@caisse/server-kit';
import { createMerchantClient } from '@caisse/server-kit/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNewsstand } from './app.js';

/** The newsstand over real HTTP against a real payment server; the reader's wallet holds 2.00 EUR. */
let payment: Awaited<ReturnType<typeof startPaymentServer>>;
let newsstand: Awaited<ReturnType<typeof startNewsstand>>;
let dataDir: string;
const key = generateKey();

const open = (port = 0) =>
  startNewsstand({ port, paymentServerUrl: payment.url, merchantId: 'newsstand', signingKey: key.privateJwk, dataDir });

beforeAll(async () => {
  payment = await startPaymentServer({ walletCents: 200n });
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

/** The article page's ticket through the hosted page; returns where the payment server sent the reader back. */
async function pay(reader: HttpBrowser, article: string) {
  const page = await reader.go(`${newsstand.url}/articles/${article}`);
  const ticket = /<caisse-checkout ticket="([^"]+)"/.exec(page.html)?.[1] ?? '';
  const checkout = await reader.go(`${payment.url}/pay`, { form: { ticket }, origin: newsstand.url });
  let back = await reader.go(HttpBrowser.action(checkout, '/identify'), {
    form: { csrf: HttpBrowser.csrf(checkout.html), account: payment.customer.accountId, accessKey: payment.customer.accessKey },
  });
  // A refusal is shown on the payment server first; its button leads back to the newsstand.
  const onward = /href="([^"]+\/return)"/.exec(back.html)?.[1];
  if (back.url.origin === payment.url && onward) back = await reader.go(new URL(onward.replace(/&amp;/g, '&'), back.url).toString());
  return back.url;
}

const verify = async (reader: HttpBrowser, back: URL) =>
  JSON.parse(
    (
      await reader.go(`${newsstand.url}/caisse/return`, {
        json: { token: back.searchParams.get('caisse_voucher') ?? back.searchParams.get('caisse_refusal') },
      })
    ).html,
  );

describe('the newsstand', () => {
  const reader = new HttpBrowser();

  it('sells an article: an immediate ticket for its price, paid from the wallet, then the article opens', async () => {
    const locked = await reader.go(`${newsstand.url}/articles/bakers`);
    expect(locked.html).toContain('mode="popup"');
    expect(locked.html).not.toContain('id="article-body"');
    const ticket = /<caisse-checkout ticket="([^"]+)"/.exec(locked.html)?.[1] ?? '';
    expect(JSON.parse(Buffer.from(ticket.split('.')[1] ?? '', 'base64url').toString())).toMatchObject({
      amount: 50,
      fulfilment: 'immediate',
    });

    expect(await verify(reader, await pay(reader, 'bakers'))).toMatchObject({ status: 'paid', voucher: { amount: 50, funding: 'wallet' } });
    expect((await reader.go(`${newsstand.url}/articles/bakers`)).html).toContain('id="article-body"');
    expect((await new HttpBrowser().go(`${newsstand.url}/articles/bakers`)).html).not.toContain('id="article-body"');
  });

  it('keeps the reading history and what the reader spent today, also for a payment whose window was lost', async () => {
    await verify(reader, await pay(reader, 'tides'));
    await pay(reader, 'rail'); // the popup closed before the voucher reached the newsstand
    await payment.deliverNotifications();
    const history = await reader.go(`${newsstand.url}/history`);
    expect(history.html).toContain('Spent today: <strong>€1.40</strong>');
    for (const title of ['Night trains', 'Mont-Saint-Michel', 'bakers']) expect(history.html).toContain(title);
    expect((await reader.go(`${newsstand.url}/articles/rail`)).html).toContain('id="article-body"');
  });

  it('says why when the wallet cannot pay, and opens nothing', async () => {
    const back = await pay(reader, 'budget');
    expect(await verify(reader, back)).toMatchObject({ status: 'refused', reason: 'insufficient_funds' });
    expect((await reader.go(`${newsstand.url}/articles/budget`)).html).not.toContain('id="article-body"');
    expect((await reader.go(`${newsstand.url}/history`)).html).toContain('Spent today: <strong>€1.40</strong>');
  });

  it('gives the money back when a reader pays twice for one article (two tabs)', async () => {
    const tabs = new HttpBrowser();
    const firstTab = await tabs.go(`${newsstand.url}/articles/tides`);
    const secondTab = await tabs.go(`${newsstand.url}/articles/tides`);
    const payWith = async (page: typeof firstTab) => {
      const ticket = /<caisse-checkout ticket="([^"]+)"/.exec(page.html)?.[1] ?? '';
      const checkout = await tabs.go(`${payment.url}/pay`, { form: { ticket }, origin: newsstand.url });
      const back = await tabs.go(HttpBrowser.action(checkout, '/identify'), {
        form: { csrf: HttpBrowser.csrf(checkout.html), account: payment.customer.accountId, accessKey: payment.customer.accessKey },
      });
      return verify(tabs, back.url);
    };
    await payWith(firstTab);
    const second = await payWith(secondTab);
    expect(second).toMatchObject({ status: 'paid' });
    const history = await tabs.go(`${newsstand.url}/history`);
    expect(history.html).toContain('Spent today: <strong>€0.20</strong>');
    const client = createMerchantClient({ server: payment.url, merchantId: 'newsstand', key: key.privateJwk });
    expect(await client.refunds.list(second.voucher.jti)).toMatchObject([{ amount: 20 }]);
  });

  it('names the reader in its tickets once they give their Caisse account, and forgets it on request', async () => {
    const claimsOf = (html: string) =>
      JSON.parse(Buffer.from((/<caisse-checkout ticket="([^"]+)"/.exec(html)?.[1] ?? '').split('.')[1] ?? '', 'base64url').toString());
    const remembered = await reader.go(`${newsstand.url}/account`, { form: { account: 'alice', article: 'chess' } });
    expect(remembered.url.pathname).toBe('/articles/chess');
    expect(claimsOf(remembered.html).customer).toEqual({ account: 'alice' });
    expect(remembered.html).toContain('Paying as <strong>alice</strong>');
    const bad = await reader.go(`${newsstand.url}/account`, { form: { account: 'not an id!', article: '../https://evil.example/' } });
    expect(bad.url.toString()).toBe(`${newsstand.url}/`);
    expect(claimsOf((await reader.go(`${newsstand.url}/articles/chess`)).html).customer).toBeUndefined();
  });

  it('remembers its readers across a restart', async () => {
    const { port } = new URL(newsstand.url);
    await newsstand.close();
    newsstand = await open(Number(port));
    expect((await reader.go(`${newsstand.url}/history`)).html).toContain('Spent today: <strong>€1.40</strong>');
  });
});
