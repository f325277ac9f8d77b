import { describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { createTestDevice } from '../__fixtures__/device.js';
import { type AfterPaymentWorld, worldPerSuite } from '../after-payment/__fixtures__/world.js';
import { serverDrivers } from '../api/__fixtures__/api-server.js';

describe.each(await serverDrivers('top-ups'))('wallet top-ups from the bank on $name', ({ name, url }) => {
  let world: AfterPaymentWorld;
  worldPerSuite(url, (made) => {
    world = made;
  });

  /** Authorisations the bank received for this customer's top-ups. */
  const charges = (customer: string) =>
    world.sandbox.bank.statement().filter((op) => op.kind === 'authorise' && op.idempotencyKey.startsWith(`acq:top_up:${customer}:`));

  async function signedIn(customer: string) {
    const browser = new ScriptedBrowser(world.url);
    const page = await browser.go('/account');
    await browser.go(ScriptedBrowser.action(page.html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(page.html), account: customer, accessKey: 'correct horse battery' },
    });
    const account = await browser.go('/account');
    return { browser, html: account.html ?? '' };
  }

  function topUpForm(html: string, amount: string): Record<string, string> {
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';
    return { csrf: ScriptedBrowser.csrf(html), currency: field('currency'), request: field('request'), amount };
  }

  it('tops up from the account page: the bank is charged once, the wallet credited once, even if the form is sent twice', async () => {
    const customer = await world.customer({ funded: 1_000n });
    const { browser, html } = await signedIn(customer);
    expect(html).toContain('action="/account/top-ups"');
    const form = topUpForm(html, '20.00');
    const done = await browser.go('/account/top-ups', { form });
    expect(done.page?.status).toBe(200);
    expect(done.html).toContain('Your wallet was topped up with');
    expect((await browser.go('/account/top-ups', { form })).page?.status).toBe(200);
    expect(await world.wallet(customer)).toEqual({ balance: 3_000n, pendingDebits: 0n, pendingCredits: 0n });
    expect(charges(customer).map((op) => op.amount)).toEqual([2_000]);
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  });

  it('refuses a top-up above the cap before charging the bank; bad amounts and forged forms change nothing', async () => {
    const customer = await world.customer({ funded: 45_000n, cap: 50_000n });
    const { browser, html } = await signedIn(customer);
    const before = await world.wallet(customer);

    const capped = await browser.go('/account/top-ups', { form: topUpForm(html, '50.01') });
    expect(capped.page?.status).toBe(409);
    expect(capped.html).toContain('above its cap');
    for (const amount of ['', '0', '-5', 'ten', '1.234', '1e3']) {
      const refused = await browser.go('/account/top-ups', { form: topUpForm(html, amount) });
      expect(refused.page?.status, amount).toBe(400);
      expect(refused.html).toContain('Enter an amount such as 20.00.');
    }
    const forged = await browser.go('/account/top-ups', { form: { ...topUpForm(html, '10.00'), csrf: 'forged' } });
    expect(forged.page?.status).toBe(403);
    const otherSite = await browser.go('/account/top-ups', { form: topUpForm(html, '10.00'), origin: 'https://evil.example' });
    expect(otherSite.page?.status).toBe(403);

    expect(await world.wallet(customer)).toEqual(before);
    expect(charges(customer)).toEqual([]);
    // Exactly up to the cap is fine.
    expect((await browser.go('/account/top-ups', { form: topUpForm(html, '50.00') })).page?.status).toBe(200);
    expect(await world.wallet(customer)).toMatchObject({ balance: 50_000n });
  });

  it('says so when the customer has no bank account, or the bank declines; nothing moves', async () => {
    const customer = await world.customer({ funded: 0n, bankRef: 'test_insufficient_funds' });
    const { browser, html } = await signedIn(customer);
    const declined = await browser.go('/account/top-ups', { form: topUpForm(html, '10.00') });
    expect(declined.html).toContain('Your bank declined the top-up');
    await world.server.customers.setBankRef(customer, null);
    const missing = await browser.go('/account/top-ups', { form: topUpForm(html, '10.00') });
    expect(missing.page?.status).toBe(409);
    expect(missing.html).toContain('No bank account is registered for you');
    expect(await world.wallet(customer)).toEqual({ balance: 0n, pendingDebits: 0n, pendingCredits: 0n });
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  });

  it('tops up from an enrolled phone on the device API, once per Idempotency-Key; the cap holds', async () => {
    const customer = await world.customer({ funded: 0n, cap: 10_000n });
    const phone = createTestDevice(world.url);
    const { code } = await world.server.devices.createCode(customer);
    expect((await phone.enroll(code, { pin: '4821' })).status).toBe(201);

    const first = await phone.call('/device/top-ups', { body: { amount: 4_000, currency: 'EUR' }, headers: { 'idempotency-key': 'tu-1' } });
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ amount: 4_000, currency: 'EUR', status: 'succeeded' });
    const again = await phone.call('/device/top-ups', { body: { amount: 4_000, currency: 'EUR' }, headers: { 'idempotency-key': 'tu-1' } });
    expect(again.status).toBe(201);
    expect(await world.wallet(customer)).toMatchObject({ balance: 4_000n });

    const cases: [unknown, Record<string, string>, number, string][] = [
      [{ amount: 6_001, currency: 'EUR' }, { 'idempotency-key': 'tu-2' }, 409, 'wallet_cap_exceeded'],
      [{ amount: 100, currency: 'USD' }, { 'idempotency-key': 'tu-3' }, 404, 'wallet_unknown'],
      [{ amount: 0, currency: 'EUR' }, { 'idempotency-key': 'tu-4' }, 400, 'request_invalid'],
      [{ amount: 100, currency: 'EURO' }, { 'idempotency-key': 'tu-5' }, 400, 'request_invalid'],
      [{ amount: 100 }, { 'idempotency-key': 'tu-6' }, 400, 'request_invalid'],
      [{ amount: 100, currency: 'EUR' }, {}, 400, 'request_invalid'],
    ];
    for (const [body, headers, status, problem] of cases) {
      const response = await phone.call('/device/top-ups', { body, headers });
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect((await response.json()).code).toBe(problem);
    }
    const unsigned = await fetch(`${world.url}/device/top-ups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'tu-7' },
      body: JSON.stringify({ amount: 100, currency: 'EUR' }),
    });
    expect(unsigned.status).toBe(401);
    expect(await world.wallet(customer)).toEqual({ balance: 4_000n, pendingDebits: 0n, pendingCredits: 0n });
    expect(charges(customer).map((op) => op.amount)).toEqual([4_000]);
  });

  if (name === 'postgres')
    it('lets concurrent top-ups together reach the cap, never pass it, and charges only those booked', async () => {
      const customer = await world.customer({ funded: 0n, cap: 10_000n });
      const results = await Promise.allSettled(
        Array.from({ length: 4 }, (_, index) =>
          world.server.afterPayment.topUps.topUp(customer, { amount: 4_000n, currency: 'EUR', requestId: `burst-${index}` }),
        ),
      );
      const ok = results.filter((result) => result.status === 'fulfilled');
      const refused = results.filter((result) => result.status === 'rejected');
      expect(ok).toHaveLength(2);
      expect(refused.map((result) => (result as PromiseRejectedResult).reason.code)).toEqual([
        'wallet_cap_exceeded',
        'wallet_cap_exceeded',
      ]);
      expect(await world.wallet(customer)).toMatchObject({ balance: 8_000n });
      expect(charges(customer)).toHaveLength(2);
      expect(await world.invariants()).toEqual({ ok: true, findings: [] });
    });
});
