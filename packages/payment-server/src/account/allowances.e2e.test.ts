import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { type AllowanceWorld, startAllowanceWorld, testClock } from '../allowances/__fixtures__/world.js';

/** The server, the shop's tickets and the phones' answers all read this one frozen clock. */
const clock = testClock('2026-03-14T10:00:00Z');
const ACCESS_KEY = 'correct horse battery';

describe("the customer's session allowances on the account page", () => {
  let world: AllowanceWorld;

  beforeAll(async () => {
    world = await startAllowanceWorld(undefined, clock.now);
  });
  afterAll(async () => {
    await world?.close();
  });

  async function signIn(account: string, path = '/account') {
    const browser = new ScriptedBrowser(world.shop.url);
    const signInPage = await browser.go('/account');
    await browser.go('/account/identify', { form: { csrf: ScriptedBrowser.csrf(signInPage.html), account, accessKey: ACCESS_KEY } });
    const page = await browser.go(path);
    expect(page.page?.status).toBe(200);
    return { browser, html: page.html ?? '' };
  }

  const text = (html: string) => html.replace(/\s+/g, ' ');

  it('lists the live allowances with used, left and terms, and revokes one: it settles and leaves the list', async () => {
    const who = await world.customer(10_000);
    const once = await world.grant(who, 2_000);
    const recurring = await world.grant(who, 3_000, { period: 'week', chargeCap: 500 });
    const charged = await world.client.allowances.charge(world.chargeTicket(once.id, 750));
    expect(charged.remaining).toBe(1_250);

    const { browser, html } = await signIn(who.id);
    const page = text(html);
    expect(page).toContain('<h2 id="allowances-heading">Session allowances</h2>');
    // Used of the maximum, what is left, until when; a recurring one renews, a capped one says so.
    expect(page).toContain('<td class="num">€7.50 / €20.00</td> <td class="num">€12.50</td> <td>Until 14 Mar 2026, 11:00 UTC.</td>');
    expect(page).toContain(
      '<td class="num">€0.00 / €30.00</td> <td class="num">€30.00</td> <td>Until 14 Mar 2026, 11:00 UTC. Renews each week. At most €5.00 per charge.</td>',
    );
    expect(page).toContain(`name="allowance" value="${once.id}"`);
    expect(page).toContain(`name="allowance" value="${recurring.id}"`);

    const after = await browser.go('/account/allowances/revoke', { form: { csrf: ScriptedBrowser.csrf(html), allowance: once.id } });
    expect(after.page?.status).toBe(200);
    expect(after.html).not.toContain(`value="${once.id}"`);
    expect(after.html).toContain(`value="${recurring.id}"`);
    // Settled at once: the 7.50 charged went to the shop, the rest of the reservation back to the wallet.
    expect(await world.remittances(once.id)).toEqual([{ period: 0, reason: 'revoked', used: 750, charges: 1, transferred: true }]);
    expect((await world.server.allowances.listForCustomer(who.id)).map((allowance) => allowance.id)).toEqual([recurring.id]);
    await expect(world.client.allowances.charge(world.chargeTicket(once.id, 100))).rejects.toMatchObject({ code: 'allowance_revoked' });
  });

  it('says so when there is none, and in French', async () => {
    const who = await world.customer();
    expect(text((await signIn(who.id)).html)).toContain('You have given no allowance.');
    await world.grant(who, 1_000, { period: 'month' });
    const french = text((await signIn(who.id, '/account?lang=fr')).html);
    expect(french).toContain('Provisions de consommation');
    expect(french).toContain('Renouvelée chaque mois.');
    expect(french).toContain('Révoquer');
  });

  it("refuses a form from another site or without the CSRF token, and leaves another customer's allowance alone", async () => {
    const owner = await world.customer();
    const other = await world.customer();
    const { id } = await world.grant(owner, 1_000);
    const { browser, html } = await signIn(other.id);
    const csrf = ScriptedBrowser.csrf(html);

    const foreignSite = await browser.go('/account/allowances/revoke', { form: { csrf, allowance: id }, origin: 'https://evil.example' });
    expect(foreignSite.page?.status).toBe(403);
    const noToken = await browser.go('/account/allowances/revoke', { form: { allowance: id } });
    expect(noToken.page?.status).toBe(403);
    // Another customer's allowance is unknown, exactly as one that does not exist.
    const foreign = await browser.go('/account/allowances/revoke', { form: { csrf, allowance: id } });
    expect(foreign.page?.status).toBe(404);
    expect((await world.server.allowances.listForCustomer(owner.id)).map((allowance) => allowance.id)).toEqual([id]);
  });
});
