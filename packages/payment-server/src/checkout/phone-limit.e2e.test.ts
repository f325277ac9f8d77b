import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import type { TestDevice } from '../__fixtures__/device.js';
import { startTestServer } from '../__fixtures__/payment-server.js';
import { addCustomer, PIN, pending, ticketFor } from './__fixtures__/phone.js';

/**
 * Whoever knows an account id can make the hosted page send its phone a request (the
 * access key left empty). CAISSE_PHONE_REQUEST_LIMIT (default 5 per 15 minutes without an
 * approval) stops a flood meant to tire the customer into approving one.
 */
describe('requests sent to one phone from the hosted pages', () => {
  let shop: Awaited<ReturnType<typeof startTestServer>>;
  let dave: TestDevice;
  let frank: TestDevice;

  beforeAll(async () => {
    shop = await startTestServer();
    dave = (await addCustomer(shop, 'dave', '+33611112222')) as TestDevice;
    frank = (await addCustomer(shop, 'frank', '+33655556666')) as TestDevice;
    await addCustomer(shop, 'erin', '+33633334444');
  });
  afterAll(() => shop?.close());

  /** Types the account id on a new checkout and leaves the access key empty: the way to reach someone's phone. */
  async function typeAccount(account: string) {
    const browser = new ScriptedBrowser(shop.url);
    const summary = await browser.go('/pay', { form: { ticket: ticketFor(shop, 500).token } });
    return browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(summary.html), account, accessKey: '' },
    });
  }

  const requestsOf = async (customer: string) =>
    Number(
      (await shop.server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM confirmation_requests WHERE customer_id = $1', [customer]))
        .rows[0]?.n,
    );

  it('sends 5 unapproved requests in 15 minutes, then refuses in words and sends nothing; others are not affected', async () => {
    for (let sent = 0; sent < 5; sent++) expect((await typeAccount('dave')).html).toContain('Confirm on your phone');
    expect(await pending(dave)).toHaveLength(5);

    const refused = await typeAccount('dave');
    expect(refused.page?.status).toBe(429);
    expect(refused.html).toContain('without being approved');
    expect(refused.html).toContain('name="account" value="dave"');
    expect(await requestsOf('dave')).toBe(5);

    // Declined ones count too: that is what a customer does with requests they did not ask for.
    for (const request of await pending(dave)) expect((await dave.send(request, 'decline')).status).toBe(200);
    expect((await typeAccount('dave')).page?.status).toBe(429);
    expect((await typeAccount('erin')).html).toContain('Confirm on your phone');

    // Fifteen minutes on, the phone can be asked again.
    await shop.server.db.query(
      `UPDATE confirmation_requests SET created_at = created_at - interval '16 minutes', expires_at = expires_at - interval '16 minutes'
        WHERE customer_id = 'dave'`,
    );
    expect((await typeAccount('dave')).html).toContain('Confirm on your phone');
    expect(await requestsOf('dave')).toBe(6);
  });

  it('does not count approved requests: a customer buying one thing after another is never stopped', async () => {
    for (let bought = 0; bought < 7; bought++) {
      expect((await typeAccount('frank')).html).toContain('Confirm on your phone');
      const [request] = await pending(frank);
      expect((await frank.send(request as NonNullable<typeof request>, 'approve', PIN)).status).toBe(200);
    }
    expect(await requestsOf('frank')).toBe(7);
  });
});
