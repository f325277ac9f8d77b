import { randomBytes } from 'node:crypto';
import { type NotificationClaims, type TicketClaims, TOKEN_TYPES } from '@caisse/protocol';
import {
  createMerchant,
  createState,
  generateKey,
  type Merchant,
  PaymentRefusedError,
  staticKeySet,
  type TicketInput,
} from '@caisse/server-kit';
import { createMerchantClient, type MerchantClient } from '@caisse/server-kit/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { forge } from '../__fixtures__/forge.js';
import { SHOP_ORIGIN } from '../__fixtures__/payment-server.js';
import { type ApiTestServer, serverDrivers, startApiTestServer } from '../api/__fixtures__/api-server.js';
import { startReceiver } from '../notifications/__fixtures__/receiver.js';
import { MAX_REFUSALS_PER_MERCHANT, MAX_SPENT_REFUSED_TICKETS } from './model.js';

type Shop = ApiTestServer;

/**
 * Refused tickets, as the merchant learns of them over real HTTP: the signed refusal at
 * its cancel URL with the precise code and what to do, one `ticket.refused` notification
 * per kind, the merchant API's listing through the server kit's client; and what the
 * customer sees (the reason in words, nothing more). Each suite on PGlite, and on
 * PostgreSQL when it is reachable.
 */
const drivers = await serverDrivers('ticket refusals');

/** A merchant whose registered origins include its notification receiver's, and its kit. */
async function notifiedMerchant(shop: Shop) {
  const key = generateKey();
  const merchantId = `refused-${randomBytes(3).toString('hex')}`;
  const paymentServer = { issuer: shop.url, payEndpoint: `${shop.url}/pay`, keys: staticKeySet(await shop.server.keys.jwks()) };
  const kit = createMerchant({ merchantId, signingKey: key.privateJwk, paymentServer });
  const receiver = await startReceiver(kit);
  await shop.server.merchants.register({
    id: merchantId,
    displayName: 'The Refused Shop',
    jwks: key.jwks,
    returnOrigins: [SHOP_ORIGIN, new URL(receiver.url).origin],
  });
  const client = createMerchantClient({ server: shop.url, merchantId, key: key.privateJwk, retry: 0 });
  return { key, merchantId, paymentServer, kit, receiver, client };
}

function order(extra: Partial<TicketInput> = {}): TicketInput {
  return {
    serial: `order-${randomBytes(3).toString('hex')}`,
    currency: 'EUR',
    items: [{ id: 'book', label: 'A book', quantity: 1, unitAmount: 1290, vatRate: 550 }],
    returnUrl: `${SHOP_ORIGIN}/paid`,
    cancelUrl: `${SHOP_ORIGIN}/basket`,
    state: createState(),
    ...extra,
  };
}

describe.each(drivers)('a refused ticket, told to its merchant, on $name', (driver) => {
  let shop: Shop;
  let drop: () => Promise<void> = async () => {};
  let merchant: Awaited<ReturnType<typeof notifiedMerchant>>;
  /** The merchant's kit, but with a key the payment server was never given. */
  let wrongKit: Merchant;
  const wrongKey = generateKey();

  beforeAll(async () => {
    const database = await driver.url();
    drop = database.drop;
    shop = await startApiTestServer(database.url ? { databaseUrl: database.url } : {});
    merchant = await notifiedMerchant(shop);
    wrongKit = createMerchant({ merchantId: merchant.merchantId, signingKey: wrongKey.privateJwk, paymentServer: merchant.paymentServer });
  });
  afterAll(async () => {
    await merchant?.receiver.close();
    await shop?.close();
    await drop();
  });

  const refusedEvents = () =>
    merchant.receiver.processed.filter(
      (event): event is Extract<NotificationClaims, { event: 'ticket.refused' }> => event.event === 'ticket.refused',
    );

  it('a ticket signed with an unregistered key: the merchant learns exactly that, by signed refusal, notification and listing', async () => {
    const ticket = wrongKit.createTicket(order({ notifyUrl: merchant.receiver.url }));
    const result = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: ticket.token } });

    // 1. The browser goes back to the merchant's registered cancel URL with a signed refusal that says why.
    expect(`${result.leftTo?.origin}${result.leftTo?.pathname}`).toBe(`${SHOP_ORIGIN}/basket`);
    const error = await merchant.kit
      .verifyVoucher(result.leftTo?.searchParams.get('caisse_refusal') ?? '', { ticket: ticket.reference })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaymentRefusedError);
    const { detail } = error as PaymentRefusedError;
    expect(error).toMatchObject({ reason: 'ticket_invalid', detail: { code: 'key_unknown' } });
    const expected = `The key kid ${wrongKey.kid} is not registered for merchant ${merchant.merchantId}, or was retired: have the payment operator register its public key (caisse-server merchants key add ${merchant.merchantId} JWKS_FILE), or sign tickets with a key registered for ${merchant.merchantId}.`;
    expect(detail?.message).toBe(expected);

    // 2. One ticket.refused notification, at the ticket's notifyUrl (on a registered origin), verified by the kit.
    expect(await shop.server.notificationDispatcher.runOnce()).toMatchObject({ claimed: 1, delivered: 1 });
    expect(refusedEvents().map((event) => event.ticketRefusal)).toEqual([
      {
        id: expect.stringMatching(/^tr_/),
        code: 'key_unknown',
        message: expected,
        ticket: ticket.id,
        count: 1,
        firstSeenAt: expect.any(Number),
      },
    ]);

    // 3. The merchant API lists it, through the server kit's client.
    expect(await merchant.client.ticketRefusals.list()).toEqual([
      {
        id: refusedEvents()[0]?.ticketRefusal.id,
        code: 'key_unknown',
        message: expected,
        ticket: ticket.id,
        count: 1,
        firstSeenAt: expect.any(String),
        lastSeenAt: expect.any(String),
      },
    ]);
  });

  it('counts the same refusal again without notifying again; the listing keeps the last ticket', async () => {
    const again = wrongKit.createTicket(order({ notifyUrl: merchant.receiver.url }));
    await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: again.token } });
    expect(await shop.server.notificationDispatcher.runOnce()).toMatchObject({ claimed: 0 });
    const [listed] = await merchant.client.ticketRefusals.list();
    expect(listed).toMatchObject({ code: 'key_unknown', count: 2, ticket: again.id });
    expect(refusedEvents()).toHaveLength(1);
  });

  it('never shows the customer the kid or the detail: the page gives the reason in words', async () => {
    // Off the registered origins, the cancel URL gets no redirect: the customer stays on our page.
    const ticket = wrongKit.createTicket(order({ cancelUrl: 'https://elsewhere.example/basket' }));
    const result = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: ticket.token } });
    expect(result.leftTo).toBeUndefined();
    expect(result.page?.status).toBe(400);
    expect(result.html).toContain('ticket_invalid');
    for (const secret of [wrongKey.kid, 'key_unknown', 'not registered', merchant.merchantId, 'elsewhere.example']) {
      expect(result.html).not.toContain(secret);
    }
    // The merchant is told all the same.
    expect((await merchant.client.ticketRefusals.list())[0]).toMatchObject({ code: 'key_unknown', count: 3, ticket: ticket.id });
  });

  it('spends a refused ticket that the key registered later would make valid: it is never paid after its refusal', async () => {
    const ticket = wrongKit.createTicket(order());
    const first = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: ticket.token } });
    expect(first.leftTo?.searchParams.has('caisse_refusal')).toBe(true);

    await shop.server.merchants.addKey(merchant.merchantId, wrongKey.publicJwk);
    // The same bytes now verify, but the merchant was told they were refused: no checkout opens.
    const again = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: ticket.token } });
    expect(again.leftTo).toBeUndefined();
    expect(again.page?.status).toBe(409);
    expect(again.html).toContain('ticket_replayed');
    expect(
      await shop.server.db.query('SELECT 1 FROM checkout_sessions WHERE merchant_id = $1 AND ticket_jti = $2', [
        merchant.merchantId,
        ticket.id,
      ]),
    ).toMatchObject({
      rows: [],
    });
    // A fresh ticket with that key is a ticket like any other now.
    const fresh = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: wrongKit.createTicket(order()).token } });
    expect(fresh.html).toContain('/identify');
    await shop.server.merchants.retireKey(merchant.merchantId, wrongKey.kid);
  });

  it('never signs a refusal for a ticket presented before, even once its key is retired', async () => {
    const ticket = merchant.kit.createTicket(order());
    const browser = new ScriptedBrowser(shop.url);
    expect((await browser.go('/pay', { form: { ticket: ticket.token } })).html).toContain('/identify');
    const spare = generateKey();
    await shop.server.merchants.addKey(merchant.merchantId, spare.publicJwk);
    await shop.server.merchants.retireKey(merchant.merchantId, merchant.key.kid);
    // From now on the merchant signs its tickets and its API calls with the spare key.
    merchant = {
      ...merchant,
      key: spare,
      kit: createMerchant({ merchantId: merchant.merchantId, signingKey: spare.privateJwk, paymentServer: merchant.paymentServer }),
      client: createMerchantClient({ server: shop.url, merchantId: merchant.merchantId, key: spare.privateJwk, retry: 0 }),
    };
    // key_unknown now, for a ticket whose checkout is open: another browser gets a page, nothing signed.
    const stranger = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: ticket.token } });
    expect(stranger.leftTo).toBeUndefined();
    expect(stranger.page?.status).toBe(409);
    // The browser that owns the checkout goes back to it.
    expect((await browser.go('/pay', { form: { ticket: ticket.token } })).html).toContain('/identify');
  });

  it('an unregistered return origin: no redirect; the listing and the notification say which origin, and which are registered', async () => {
    const { kit } = merchant;
    const moved = kit.createTicket(
      order({ returnUrl: 'https://new-shop.example/paid', cancelUrl: 'https://new-shop.example/basket', notifyUrl: merchant.receiver.url }),
    );
    const result = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: moved.token } });
    expect(result.leftTo).toBeUndefined();
    expect(result.page?.status).toBe(400);
    expect(result.html).not.toContain('new-shop.example');

    const message = `The ticket's returnUrl is on the origin https://new-shop.example, which merchant ${merchant.merchantId} has not registered (registered: ${SHOP_ORIGIN}, ${new URL(merchant.receiver.url).origin}): have the payment operator register that origin, or use a URL on a registered origin.`;
    expect(await merchant.client.ticketRefusals.list({ limit: 1 })).toEqual([
      expect.objectContaining({ code: 'return_origin_unregistered', message, ticket: moved.id, count: 1 }),
    ]);
    await shop.server.notificationDispatcher.runOnce();
    expect(refusedEvents().find((event) => event.ticketRefusal.code === 'return_origin_unregistered')?.ticketRefusal).toMatchObject({
      message,
      ticket: moved.id,
    });

    // A notifyUrl off the registered origins is never a target: listed, not sent (this merchant has no registered notify URL).
    const hooked = kit.createTicket(order({ returnUrl: 'https://other-shop.example/paid', notifyUrl: 'https://evil.example/hook' }));
    const answered = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: hooked.token } });
    expect(answered.leftTo?.origin).toBe(SHOP_ORIGIN);
    expect((await merchant.client.ticketRefusals.list({ limit: 1 }))[0]).toMatchObject({
      code: 'return_origin_unregistered',
      ticket: hooked.id,
    });
    const { rows } = await shop.server.db.query<{ target_url: string }>(
      "SELECT target_url FROM notifications WHERE event = 'ticket.refused'",
    );
    expect(rows.map((row) => row.target_url)).not.toContainEqual(expect.stringContaining('evil.example'));
    expect(rows.every((row) => row.target_url === merchant.receiver.url)).toBe(true);
  });

  it('POST /v1/payments (no browser) answers the same code and message in its problem, and lists it too', async () => {
    const another = generateKey();
    const kit = createMerchant({ merchantId: merchant.merchantId, signingKey: another.privateJwk, paymentServer: merchant.paymentServer });
    const ticket = kit.createTicket(order());
    const response = await shop.call('/v1/payments', {
      method: 'POST',
      body: JSON.stringify({ ticket: ticket.token, phone: '+33612345678' }),
      headers: { 'content-type': 'application/json', 'idempotency-key': `refused-${ticket.id}` },
      as: { merchantId: merchant.merchantId, key: merchant.key },
    });
    expect(response.status).toBe(401);
    const problem = (await response.json()) as { code: string; detail: string };
    expect(problem.code).toBe('key_unknown');
    expect(problem.detail).toContain(`The key kid ${another.kid} is not registered for merchant ${merchant.merchantId}`);
    expect((await merchant.client.ticketRefusals.list())[0]).toMatchObject({
      code: 'key_unknown',
      message: problem.detail,
      ticket: ticket.id,
    });
  });

  it('lists only the authenticated merchant’s refusals, the most recent first, and refuses a malformed query', async () => {
    const other = await notifiedMerchant(shop);
    try {
      expect(await other.client.ticketRefusals.list()).toEqual([]);
      const listed = await merchant.client.ticketRefusals.list();
      expect(listed.length).toBeGreaterThan(2);
      expect(listed.map((refusal) => refusal.lastSeenAt)).toEqual([...listed.map((refusal) => refusal.lastSeenAt)].sort().reverse());
      expect(await merchant.client.ticketRefusals.list({ limit: 2 })).toEqual(listed.slice(0, 2));
    } finally {
      await other.receiver.close();
    }
    const as = { merchantId: merchant.merchantId, key: merchant.key };
    for (const query of ['limit=0', 'limit=201', 'limit=1e2', 'limit=2&limit=3', 'limit=2&since=2026-01-01']) {
      const response = await shop.call(`/v1/ticket-refusals?${query}`, { as });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'request_invalid' });
    }
    expect((await shop.call('/v1/ticket-refusals')).status).toBe(200);
    expect((await fetch(`${shop.url}/v1/ticket-refusals`)).status).toBe(401);
  });
});

describe.each(drivers)('tickets forged in a merchant’s name, on $name', (driver) => {
  let shop: Shop;
  let drop: () => Promise<void> = async () => {};

  beforeAll(async () => {
    const database = await driver.url();
    drop = database.drop;
    shop = await startApiTestServer(database.url ? { databaseUrl: database.url } : {});
  });
  afterAll(async () => {
    await shop?.close();
    await drop();
  });

  // Half again the cap, over HTTP: enough to pass every bound, each request a few statements.
  const FORGED = 300;
  it(`${FORGED} forged tickets naming a merchant add a bounded number of rows, notifications and spent tickets`, {
    timeout: 300_000,
  }, async () => {
    const victim = shop.merchantId;
    const forger = generateKey();
    const base = shop.ticket(100).claims;
    const forged = (i: number) =>
      forge(
        { alg: 'EdDSA', typ: TOKEN_TYPES.ticket, kid: `forged-${i}` },
        { ...base, jti: `forged-${i}`, notifyUrl: `${SHOP_ORIGIN}/caisse/notify` } satisfies TicketClaims,
        forger.signingKey,
      );
    const lanes = 8;
    const outcomes: { redirected: boolean }[] = [];
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        for (let i = lane; i < FORGED; i += lanes) {
          const result = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: forged(i) } });
          outcomes.push({ redirected: result.leftTo !== undefined });
        }
      }),
    );
    expect(outcomes).toHaveLength(FORGED);

    const count = async (sql: string) => Number((await shop.server.db.query<{ n: string }>(sql, [victim])).rows[0]?.n);
    // Each forged kid makes its own message: past the cap, they count on one overflow row.
    expect(await count('SELECT count(*) AS n FROM ticket_refusals WHERE merchant_id = $1')).toBe(MAX_REFUSALS_PER_MERCHANT + 1);
    expect(await count('SELECT coalesce(sum(count), 0) AS n FROM ticket_refusals WHERE merchant_id = $1')).toBe(FORGED);
    expect(await count("SELECT count(*) AS n FROM notifications WHERE merchant_id = $1 AND event = 'ticket.refused'")).toBe(
      MAX_REFUSALS_PER_MERCHANT + 1,
    );
    // A key registered later could make any of them valid: each signed refusal spent its ticket, up to the cap.
    expect(await count('SELECT count(*) AS n FROM tickets WHERE merchant_id = $1 AND refused_at IS NOT NULL')).toBe(
      MAX_SPENT_REFUSED_TICKETS,
    );
    expect(outcomes.filter((outcome) => outcome.redirected)).toHaveLength(MAX_SPENT_REFUSED_TICKETS);
    const [overflow] = await shop.server.ticketRefusals
      .list(victim, { limit: 200 })
      .then((all) => all.filter((r) => r.message.startsWith('More than')));
    expect(overflow).toMatchObject({ code: 'key_unknown', count: FORGED - MAX_REFUSALS_PER_MERCHANT });
  });
});

describe('merchant API client', () => {
  it('refuses a limit the endpoint would refuse, before sending anything', async () => {
    const client: MerchantClient = createMerchantClient({
      server: { issuer: 'https://pay.example', apiBase: 'https://pay.example/v1' },
      merchantId: 'bookshop',
      key: generateKey().privateJwk,
      fetch: () => Promise.reject(new Error('nothing is sent')),
    });
    for (const limit of [0, 201, 1.5]) await expect(client.ticketRefusals.list({ limit })).rejects.toThrow(TypeError);
  });
});
