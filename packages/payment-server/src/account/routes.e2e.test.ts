import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { startTestServer } from '../__fixtures__/payment-server.js';

describe('the hosted account page', () => {
  let shop: Awaited<ReturnType<typeof startTestServer>>;

  beforeAll(async () => {
    shop = await startTestServer();
    await shop.server.customers.add({ accountId: 'frank', phone: '+33612345611', accessKey: 'franks access key' });
    await shop.server.customers.walletCredit('frank', 'EUR', 5_000n, { idempotencyKey: 'fund-frank' });
    const browser = new ScriptedBrowser(shop.url);
    const summary = await browser.go('/pay', { form: { ticket: shop.ticket(1_290, { serial: 'order-history-1' }).token } });
    await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(summary.html), account: 'frank', accessKey: 'franks access key' },
    });
  });
  afterAll(async () => {
    await shop?.close();
  });

  it('shows the payments of the period once the customer has identified', async () => {
    const browser = new ScriptedBrowser(shop.url);
    const signIn = await browser.go('/account');
    expect(signIn.html).not.toContain('order-history-1');
    const history = await browser.go('/account/identify', {
      form: { csrf: ScriptedBrowser.csrf(signIn.html), account: 'frank', accessKey: 'franks access key' },
    });
    expect(history.page?.status).toBe(200);
    expect(history.html).toContain('order-history-1');
    expect(history.html).toContain('The Bookshop');
    expect(history.html).toContain('12.90');
  });

  it('says how many attempts are left after a wrong access key, and shows nothing', async () => {
    const browser = new ScriptedBrowser(shop.url);
    const signIn = await browser.go('/account');
    const wrong = await browser.go('/account/identify', {
      form: { csrf: ScriptedBrowser.csrf(signIn.html), account: 'frank', accessKey: 'not the key' },
    });
    expect(wrong.page?.status).toBe(401);
    expect(wrong.html).not.toContain('order-history-1');
    await shop.server.customers.unlock('frank');
  });

  it('refuses a forged account cookie and an invalid period', async () => {
    const response = await fetch(`${shop.url}/account`, { headers: { cookie: 'caisse_account=frank.99999999999.forged' } });
    expect(await response.text()).not.toContain('order-history-1');
    const browser = new ScriptedBrowser(shop.url);
    const signIn = await browser.go('/account');
    await browser.go('/account/identify', {
      form: { csrf: ScriptedBrowser.csrf(signIn.html), account: 'frank', accessKey: 'franks access key' },
    });
    const invalid = await browser.go('/account?from=2026-12-01&to=2026-01-01');
    expect(invalid.html).not.toContain('order-history-1');
  });
});
