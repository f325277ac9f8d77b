import { createMerchant, createState, decodeJws, type GeneratedKey, generateKey, type Merchant, staticKeySet } from '@caisse/server-kit';
import { describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { SHOP_ORIGIN } from '../__fixtures__/payment-server.js';
import { ACCESS_KEY, type AfterPaymentWorld, worldPerSuite } from '../after-payment/__fixtures__/world.js';
import { payAs, serverDrivers } from '../api/__fixtures__/api-server.js';
import { problem } from './test-fixtures.js';

/** A cut-off 20 minutes ahead, on the minute: the payments of the test fall in the day it closes. */
const cutoffAt = new Date(Math.floor((Date.now() + 20 * 60_000) / 60_000) * 60_000);
const DATE = cutoffAt.toISOString().slice(0, 10);

/**
 * The merchant lifecycle as merchants and customers meet it, over real HTTP: a suspended
 * or pending merchant's new tickets refused on the hosted page and the merchant API
 * (`merchant_suspended`, `merchant_pending`), nothing spent, while what follows its past
 * payments (refunds, escrow, settlement, notifications, reads) goes on; a retired key's
 * tickets refused, the last key kept.
 */
describe.each(await serverDrivers('merchant lifecycle'))('the merchant lifecycle on $name', ({ url }) => {
  let world: AfterPaymentWorld;
  worldPerSuite(
    url,
    (made) => {
      world = made;
    },
    { env: { CAISSE_SETTLEMENT_CUTOFF: cutoffAt.toISOString().slice(11, 16) } },
  );

  function ticketOf(kit: Pick<Merchant, 'createTicket'>, amount: number) {
    return kit.createTicket({
      serial: `order-${Math.random().toString(36).slice(2, 8)}`,
      currency: 'EUR',
      items: [{ id: 'item', label: 'A book', quantity: 1, unitAmount: amount, vatRate: 550 }],
      returnUrl: `${SHOP_ORIGIN}/paid`,
      cancelUrl: `${SHOP_ORIGIN}/basket`,
      state: createState(),
    });
  }

  /** A ticket sent by a browser to the hosted `/pay`: the page it gets, or where it is sent. */
  const present = (token: string) => new ScriptedBrowser(world.url).go('/pay', { form: { ticket: token } });

  const spent = async (jti: string) => world.count('SELECT count(*) AS n FROM tickets WHERE jti = $1', [jti]);

  /** A merchant of its own, registered as the test says, with a kit that signs its tickets. */
  async function newMerchant(status: 'pending' | 'active', key: GeneratedKey = generateKey()) {
    const merchantId = `lifecycle-${Math.random().toString(36).slice(2, 8)}`;
    await world.server.merchants.register({
      id: merchantId,
      displayName: 'Le Nouveau',
      jwks: key.jwks,
      returnOrigins: [SHOP_ORIGIN],
      status,
    });
    return { merchantId, kit: await kitFor(merchantId, key) };
  }

  async function kitFor(merchantId: string, key: GeneratedKey) {
    return createMerchant({
      merchantId,
      signingKey: key.privateJwk,
      paymentServer: {
        issuer: world.server.issuer,
        payEndpoint: `${world.server.issuer}/pay`,
        keys: staticKeySet(await world.server.keys.jwks()),
      },
      now: world.clock.now,
    });
  }

  it('refuses a suspended merchant’s new tickets everywhere, still refunds, releases and settles its past payments, and takes them again once resumed', async () => {
    await world.server.db.query(`UPDATE merchants SET bank_ref = 'test_approve' WHERE id = $1`, [world.merchantId]);
    const alice = await world.customer();
    const paid = await world.pay(alice, 3_000);
    const held = await world.pay(alice, 1_200, { deferred: true });

    await world.server.merchants.suspend(world.merchantId, { by: 'operator:ops', reason: 'Chargebacks under review' });

    // The hosted page: the customer is told in words, nothing is signed or spent, and the merchant hears of it.
    const ticket = ticketOf(world.merchant, 900);
    const page = await present(ticket.token);
    expect(page.leftTo).toBeUndefined();
    expect(page.page?.status).toBe(403);
    expect(page.html).toContain('This shop cannot take payments at the moment');
    expect(page.html).toContain('merchant_suspended');
    expect(await spent(ticket.claims.jti)).toBe(0);
    const listed = await (await world.call('/v1/ticket-refusals')).json();
    expect(listed.refusals[0]).toMatchObject({ code: 'merchant_suspended', ticket: ticket.claims.jti });

    // The merchant API: a decoupled payment is refused with the same code.
    const decoupled = await world.call('/v1/payments', { body: { ticket: ticketOf(world.merchant, 500).token, phone: '+33612345678' } });
    expect(decoupled.status).toBe(403);
    expect(await decoupled.json()).toMatchObject({ code: 'merchant_suspended' });

    // Nor is it asked for a quote: the unreachable endpoint would answer quote_failed.
    await world.server.merchants.setQuoteUrl(world.merchantId, 'http://localhost:9/quote');
    const quote = await fetch(`${world.url}/quotes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ merchant: world.merchantId, item: 'tides' }),
    });
    expect(quote.status).toBe(403);
    expect(await quote.json()).toMatchObject({ code: 'merchant_suspended' });
    await world.server.merchants.setQuoteUrl(world.merchantId, null);

    // What follows its past payments goes on: reads, a refund, the release of a held payment, the day's settlement.
    expect((await world.call(`/v1/payments/${paid.id}`)).status).toBe(200);
    const refund = await world.call(`/v1/payments/${paid.id}/refunds`, { body: { amount: 1_000, reason: 'one book damaged' } });
    expect(refund.status).toBe(201);
    expect((await world.call(`/v1/payments/${held.id}/deliveries`, { body: {} })).status).toBe(200);
    await world.deliverAll();
    expect(world.receiver.processed.map((event) => event.event)).toEqual(expect.arrayContaining(['refund.succeeded', 'payment.released']));

    // Resumed: the very ticket refused a moment ago is taken, since nothing was spent.
    await world.server.merchants.resume(world.merchantId, { by: 'operator:ops' });
    expect(await payAs(world.url, ticket.token, alice, ACCESS_KEY)).toMatch(/^pay_/);

    world.clock.set(new Date(cutoffAt.getTime() + 6 * 60_000));
    await world.server.merchants.suspend(world.merchantId, { by: 'operator:ops', reason: 'Paused again' });
    const settled = (await world.server.afterPayment.settlement.settle(DATE)).filter((result) => result.merchantId === world.merchantId);
    expect(settled).toEqual([expect.objectContaining({ status: 'paid', amount: 3_000 - 1_000 + 1_200 + 900 })]);
    expect((await world.call(`/v1/settlements/${DATE}`)).status).toBe(200);
    await world.server.merchants.resume(world.merchantId, { by: 'operator:ops' });
  });

  it('refuses a pending merchant’s tickets until the operator approves it', async () => {
    const alice = await world.customer();
    const { merchantId, kit } = await newMerchant('pending');
    const ticket = ticketOf(kit, 700);
    const page = await present(ticket.token);
    expect(page.page?.status).toBe(403);
    expect(page.html).toContain('This shop cannot take payments yet');
    expect(page.html).toContain('merchant_pending');
    expect(await spent(ticket.claims.jti)).toBe(0);

    await world.server.merchants.approve(merchantId, { by: 'operator:ops' });
    expect(await payAs(world.url, ticket.token, alice, ACCESS_KEY)).toMatch(/^pay_/);
  });

  it('refuses a ticket signed with a retired key, and never retires the last key', async () => {
    const first = generateKey();
    const { merchantId, kit: firstKit } = await newMerchant('active', first);
    const second = generateKey();
    await world.server.merchants.addKey(merchantId, second.publicJwk);
    await world.server.merchants.retireKey(merchantId, first.kid);

    // The retired key's ticket goes back to the shop with a signed refusal saying why.
    const refused = await present(ticketOf(firstKit, 400).token);
    const refusal = refused.leftTo?.searchParams.get('caisse_refusal');
    expect(refused.leftTo?.pathname).toBe('/basket');
    const claims = JSON.parse(Buffer.from(decodeJws(refusal ?? '', ['caisse-refusal+jwt']).encodedPayload, 'base64url').toString());
    expect(claims).toMatchObject({ reason: 'ticket_invalid', detail: { code: 'key_unknown' } });

    const alice = await world.customer();
    expect(await payAs(world.url, ticketOf(await kitFor(merchantId, second), 400).token, alice, ACCESS_KEY)).toMatch(/^pay_/);
    await problem(world.server.merchants.retireKey(merchantId, second.kid), 'merchant_key_last');
    expect((await world.server.merchants.get(merchantId)).jwks.keys.map((key) => key.kid)).toEqual([second.kid]);
  });
});
