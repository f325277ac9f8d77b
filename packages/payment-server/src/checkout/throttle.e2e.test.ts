import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { SHOP_ORIGIN, startTestServer } from '../__fixtures__/payment-server.js';
import { journalSize } from '../ledger/test-fixtures.js';

/**
 * Wrong access keys per client (CAISSE_IDENTIFY_LIMIT), over real HTTP behind a trusted
 * proxy, so each test names its client in X-Forwarded-For.
 */
describe('wrong access keys from one client', () => {
  let shop: Awaited<ReturnType<typeof startTestServer>>;

  beforeAll(async () => {
    shop = await startTestServer({ env: { CAISSE_IDENTIFY_LIMIT: '3', CAISSE_TRUST_PROXY: 'true' } });
    await shop.server.customers.add({ accountId: 'carol', phone: '+33612345671', accessKey: 'carols access key' });
    await shop.server.customers.walletCredit('carol', 'EUR', 5_000n, { idempotencyKey: 'fund-carol' });
  });
  afterAll(() => shop?.close());

  /** A browser behind the proxy; the first address is the client's own claim, which does not count. */
  const browserOf = (client: string) => new ScriptedBrowser(shop.url, { 'x-forwarded-for': `192.0.2.99, ${client}` });

  async function pay(client: string, account: string, accessKey: string) {
    const browser = browserOf(client);
    const page = await browser.go('/pay', { form: { ticket: shop.ticket(100).token } });
    return browser.go(ScriptedBrowser.action(page.html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(page.html), account, accessKey },
    });
  }

  const attemptsOf = async (account: string) =>
    (await shop.server.db.query('SELECT failed FROM customer_attempts WHERE account_id = $1', [account])).rows;

  it('makes a client that sent too many wrong keys wait, checking and counting nothing; other clients go on', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await pay('203.0.113.7', `nobody-${attempt}`, 'a guess')).page?.status).toBe(401);
    }
    const journal = await journalSize(shop.server.db);

    // Even the right key waits: the throttle answers before any key is checked.
    const held = await pay('203.0.113.7', 'carol', 'carols access key');
    expect(held.page?.status).toBe(429);
    expect(Number(held.page?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(held.html).toContain('Too many tries from this browser');
    expect(held.html).toContain('name="account" value="carol"');
    expect(await pay('203.0.113.7', 'carol', 'a wrong key')).toMatchObject({ page: { status: 429 } });
    expect(await attemptsOf('carol')).toEqual([]);
    expect(await journalSize(shop.server.db)).toEqual(journal);

    const other = await pay('203.0.113.8', 'carol', 'carols access key');
    expect(other.leftTo?.origin).toBe(SHOP_ORIGIN);
    expect(other.leftTo?.searchParams.has('caisse_voucher')).toBe(true);
  });

  it('counts the account page with the checkout pages: one budget per client', async () => {
    const client = '203.0.113.9';
    for (let attempt = 0; attempt < 3; attempt++) await pay(client, 'nobody', 'a guess');
    const browser = browserOf(client);
    const signIn = await browser.go('/account');
    const held = await browser.go('/account/identify', {
      form: { csrf: ScriptedBrowser.csrf(signIn.html), account: 'carol', accessKey: 'carols access key' },
    });
    expect(held.page?.status).toBe(429);
    expect(held.page?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(held.html).toContain('Too many tries from this browser');
    expect(held.page?.headers.getSetCookie().some((cookie) => cookie.startsWith('caisse_account='))).toBe(false);
  });

  it('lets right keys through however many there are', async () => {
    for (let payment = 0; payment < 5; payment++) {
      expect((await pay('203.0.113.10', 'carol', 'carols access key')).leftTo?.searchParams.has('caisse_voucher')).toBe(true);
    }
  });
});
