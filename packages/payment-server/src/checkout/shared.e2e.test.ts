import type { RequestedData } from '@caisse/protocol';
import { createState } from '@caisse/server-kit';
import { describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import type { TestDevice } from '../__fixtures__/device.js';
import { SHOP_ORIGIN } from '../__fixtures__/payment-server.js';
import { type ApiTestServer, apiServerPerSuite, serverDrivers } from '../api/__fixtures__/api-server.js';
import { addCustomer, PIN, pending } from './__fixtures__/phone.js';

/**
 * Customer data a ticket requests, over real HTTP: the hosted page asks for it in the
 * identification form, the voucher shares exactly what was given, and bad data shows the
 * page again and stores nothing. On PGlite and PostgreSQL.
 */
const drivers = await serverDrivers('shared customer data');

const ADDRESS_FORM = {
  shippingName: '  Ada Lovelace ',
  shippingLine1: '12 St James’s Square',
  shippingLine2: '',
  shippingPostalCode: 'SW1Y 4JH',
  shippingCity: 'London',
  shippingRegion: '',
  shippingCountry: 'gb',
};

describe.each(drivers)('customer data shared on the hosted page over real HTTP on $name', (driver) => {
  let shop: ApiTestServer;
  let alicePhone: TestDevice;

  apiServerPerSuite(driver.url, async (started) => {
    shop = started;
    alicePhone = (await addCustomer(shop, 'alice', '+33612345678')) as TestDevice;
    await addCustomer(shop, 'bob', '+33698765432', { device: false });
  });

  function ticket(requested?: RequestedData[], customer?: { account: string }) {
    return shop.merchant.createTicket({
      serial: `order-${Math.random().toString(36).slice(2, 8)}`,
      currency: 'EUR',
      items: [{ id: 'book', label: 'A book', quantity: 1, unitAmount: 1290, vatRate: 550 }],
      returnUrl: `${SHOP_ORIGIN}/paid`,
      cancelUrl: `${SHOP_ORIGIN}/basket`,
      state: createState(),
      ...(requested ? { requested } : {}),
      ...(customer ? { customer } : {}),
    });
  }

  async function open(token: string) {
    const browser = new ScriptedBrowser(shop.url);
    const summary = await browser.go('/pay', { form: { ticket: token } });
    expect(summary.page?.status).toBe(200);
    return { browser, summary, csrf: ScriptedBrowser.csrf(summary.html) };
  }

  /** What a failed step must leave untouched: the session, its data, the payments and the ledger. */
  async function footprint(jti: string) {
    const { rows } = await shop.server.db.query<{ state: string; shared: unknown; payments: bigint; transfers: bigint }>(
      `SELECT s.state, s.shared,
              (SELECT count(*) FROM payments WHERE ticket_jti = $1) AS payments,
              (SELECT count(*) FROM ledger_transfers) AS transfers
         FROM checkout_sessions s WHERE s.ticket_jti = $1`,
      [jti],
    );
    const row = rows[0];
    return row && { state: row.state, shared: row.shared, payments: Number(row.payments), transfers: Number(row.transfers) };
  }

  it('asks for the address with labelled, autofillable fields and shares exactly what was typed', async () => {
    const requested = ticket(['shipping_address']);
    const { browser, summary, csrf } = await open(requested.token);
    const html = summary.html ?? '';
    expect(html).toContain('<label for="shipping-postal-code">Postcode</label>');
    for (const token of [
      'shipping name',
      'shipping address-line1',
      'shipping address-line2',
      'shipping postal-code',
      'shipping address-level2',
      'shipping country',
    ])
      expect(html).toContain(`autocomplete="${token}"`);
    expect(html).not.toContain('name="email"');
    // The address travels in the identification form, whichever button sends it.
    const form = html.slice(html.indexOf('action="/checkout/'), html.indexOf('</form>', html.indexOf('name="shippingName"')));
    expect(form).toContain('/identify"');
    expect(form).toContain('name="accessKey"');

    const paid = await browser.go(ScriptedBrowser.action(html, '/identify'), {
      // An email the ticket did not ask for is never shared.
      form: { csrf, account: 'bob', accessKey: 'correct horse battery', ...ADDRESS_FORM, email: 'ada@example.org', name: 'Ada' },
    });
    expect(paid.leftTo?.pathname).toBe('/paid');
    const voucher = await shop.merchant.verifyVoucher(paid.leftTo?.searchParams.get('caisse_voucher') ?? '', {
      ticket: requested.reference,
    });
    expect(voucher.shared).toEqual({
      shippingAddress: { name: 'Ada Lovelace', line1: '12 St James’s Square', postalCode: 'SW1Y 4JH', city: 'London', country: 'GB' },
    });
    expect(voucher.confirmation.method).toBe('access_key');
  });

  it('shares email and name when those are requested, and only them', async () => {
    const requested = ticket(['email', 'name']);
    const { browser, summary, csrf } = await open(requested.token);
    expect(summary.html).toContain('autocomplete="email"');
    expect(summary.html).toContain('autocomplete="name"');
    expect(summary.html).not.toContain('name="shippingLine1"');
    const paid = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: { csrf, account: 'bob', accessKey: 'correct horse battery', email: 'ada@example.org', name: 'Ada Lovelace', ...ADDRESS_FORM },
    });
    const voucher = await shop.merchant.verifyVoucher(paid.leftTo?.searchParams.get('caisse_voucher') ?? '', {
      ticket: requested.reference,
    });
    expect(voucher.shared).toEqual({ email: 'ada@example.org', name: 'Ada Lovelace' });
  });

  it('shows a missing or malformed field again with its error in words, and stores nothing', async () => {
    const requested = ticket(['shipping_address', 'email']);
    const { browser, summary, csrf } = await open(requested.token);
    const before = await footprint(requested.claims.jti);
    const again = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: {
        csrf,
        account: 'bob',
        accessKey: 'correct horse battery',
        ...ADDRESS_FORM,
        shippingCity: ' ',
        shippingPostalCode: 'SW1Y<4JH>',
        shippingCountry: 'GBR',
        email: 'not an address',
      },
    });
    expect(again.leftTo).toBeUndefined();
    expect(again.page?.status).toBe(422);
    const html = again.html ?? '';
    expect(html).toContain('data-code="shared_data_invalid"');
    expect(html).toContain('<p class="field-error" id="shipping-city-error" data-code="required">Enter the town or city.</p>');
    expect(html).toContain('id="shipping-postal-code-error" data-code="invalid"');
    expect(html).toContain('Enter the country as two letters, for example GB or FR.');
    expect(html).toContain('Enter an email address like name@example.com.');
    expect(html).toMatch(/id="shipping-city" name="shippingCity"[^>]*aria-describedby="shipping-city-error" aria-invalid="true"/);
    // What was typed comes back (escaped), so the customer corrects rather than retypes.
    expect(html).toContain('value="SW1Y&lt;4JH&gt;"');
    expect(html).toContain('value="Ada Lovelace"');
    expect(html).not.toContain('correct horse battery');
    expect(await footprint(requested.claims.jti)).toEqual({ ...before, state: 'identifying', shared: null, payments: 0 });
  });

  it('says so in French', async () => {
    const requested = ticket(['shipping_address']);
    const { browser, summary, csrf } = await open(requested.token);
    const again = await browser.go(`${ScriptedBrowser.action(summary.html, '/identify')}?lang=fr`, {
      form: { csrf, account: 'bob', accessKey: 'correct horse battery', ...ADDRESS_FORM, shippingName: '' },
    });
    expect(again.page?.status).toBe(422);
    expect(again.html).toContain('Saisissez le nom complet du destinataire.');
    expect(again.html).toContain('<label for="shipping-postal-code">Code postal</label>');
  });

  it('stores nothing when the data is right but the access key is wrong', async () => {
    const requested = ticket(['shipping_address']);
    const { browser, summary, csrf } = await open(requested.token);
    const again = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: { csrf, account: 'bob', accessKey: 'wrong key', ...ADDRESS_FORM },
    });
    expect(again.page?.status).toBe(401);
    expect(again.html).toContain('value="SW1Y 4JH"');
    expect(await footprint(requested.claims.jti)).toMatchObject({ state: 'identifying', shared: null, payments: 0 });
  });

  it('shows no form and shares nothing for a ticket that requests nothing, whatever the form carries', async () => {
    const plain = ticket();
    const { browser, summary, csrf } = await open(plain.token);
    expect(summary.html).not.toContain('autocomplete="shipping');
    expect(summary.html).not.toContain('shared-consent');
    const paid = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: { csrf, account: 'bob', accessKey: 'correct horse battery', ...ADDRESS_FORM, email: 'ada@example.org' },
    });
    const voucher = await shop.merchant.verifyVoucher(paid.leftTo?.searchParams.get('caisse_voucher') ?? '', { ticket: plain.reference });
    expect(voucher.shared).toBeUndefined();
    expect(await footprint(plain.claims.jti)).toMatchObject({ state: 'paid', shared: null });
  });

  it('carries the address through "Confirm on my phone" and the phone’s approval', async () => {
    const requested = ticket(['shipping_address'], { account: 'alice' });
    const { browser, summary, csrf } = await open(requested.token);
    // With data to fill in, the phone button sends the same form.
    expect(summary.html).toMatch(/<button type="submit" [^>]*formaction="\/checkout\/[^"]+\/phone">Confirm on my phone<\/button>/);

    const bad = await browser.go(ScriptedBrowser.action(summary.html, '/phone'), { form: { csrf, ...ADDRESS_FORM, shippingLine1: '' } });
    expect(bad.page?.status).toBe(422);
    expect(bad.html).toContain('Enter the first line of the address.');
    expect((await pending(alicePhone)).some((open) => open.ticket.jti === requested.claims.jti)).toBe(false);
    expect(await footprint(requested.claims.jti)).toMatchObject({ state: 'identifying', shared: null });

    const page = await browser.go(ScriptedBrowser.action(summary.html, '/phone'), { form: { csrf, ...ADDRESS_FORM } });
    expect(page.html).toContain('Confirm on your phone');
    const request = (await pending(alicePhone)).find((open) => open.ticket.jti === requested.claims.jti);
    expect((await alicePhone.send(request as never, 'approve', PIN)).status).toBe(200);
    const paid = await browser.go(new URL(page.page?.url ?? '').pathname);
    const voucher = await shop.merchant.verifyVoucher(paid.leftTo?.searchParams.get('caisse_voucher') ?? '', {
      ticket: requested.reference,
    });
    expect(voucher.confirmation.method).toBe('device');
    expect(voucher.shared?.shippingAddress).toEqual({
      name: 'Ada Lovelace',
      line1: '12 St James’s Square',
      postalCode: 'SW1Y 4JH',
      city: 'London',
      country: 'GB',
    });
  });

  it('refuses a decoupled payment whose ticket requests data, before spending the ticket', async () => {
    const requested = ticket(['shipping_address']);
    const call = () =>
      shop.call('/v1/payments', {
        method: 'POST',
        body: JSON.stringify({ ticket: requested.token, phone: '+33612345678' }),
        headers: { 'content-type': 'application/json', 'idempotency-key': `shared-${Math.random()}` },
      });
    const refused = await call();
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await refused.json()).toMatchObject({ code: 'requested_data_unavailable' });
    expect(await footprint(requested.claims.jti)).toBeUndefined();
    // The same ticket still works on the hosted page.
    const { summary } = await open(requested.token);
    expect(summary.html).toContain('name="shippingLine1"');
  });
});
