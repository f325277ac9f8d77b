import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMerchant, discoverPaymentServer, generateKey, memoryReplayStore, staticKeySet } from '@caisse/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { SHOP_ORIGIN, startTestServer } from '../__fixtures__/payment-server.js';
import { checkTicket } from '../checkout/intake.js';
import { configSchema } from '../config.js';
import { createLogger } from '../log.js';
import { generateSecret } from '../secrets.js';
import { createPaymentServer } from '../server.js';
import { ServerModeError } from './lock.js';

/**
 * Test mode (issue 16): a payment server started with CAISSE_MODE=test marks every token
 * it signs `test: true`, says so in its discovery document and on its pages, and takes
 * only test keys; a live one (the default) takes no test key, and its tokens carry no marker.
 */

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A merchant's notification URL: keeps each body it is POSTed. */
async function receiver(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      bodies.push(body);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"processed"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://localhost:${(server.address() as AddressInfo).port}/caisse/notify`;
  return { url, bodies, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function seedAlice(shop: Awaited<ReturnType<typeof startTestServer>>): Promise<void> {
  await shop.server.customers.add({ accountId: 'alice', phone: '+33612345678', accessKey: 'correct horse battery' });
  await shop.server.customers.walletCredit('alice', 'EUR', 10_000n, { idempotencyKey: 'fund-alice' });
}

async function pay(url: string, token: string) {
  const browser = new ScriptedBrowser(url);
  const summary = await browser.go('/pay', { form: { ticket: token } });
  const paid = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
    form: { csrf: ScriptedBrowser.csrf(summary.html), account: 'alice', accessKey: 'correct horse battery' },
  });
  return { summary, paid };
}

/**
 * The ticket is refused at intake (`ticket_invalid` for the customer, the precise code and
 * what to do for the merchant), and the hosted page never opens a checkout for it.
 */
async function expectRefused(shop: Awaited<ReturnType<typeof startTestServer>>, token: string, detail: string): Promise<void> {
  const intake = await checkTicket(token, { merchants: shop.server.merchants, issuer: shop.url });
  expect(intake).toMatchObject({
    accepted: false,
    reason: 'ticket_invalid',
    code: 'ticket_mode_mismatch',
    detail: expect.stringContaining(detail),
  });
  const page = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: token } });
  expect(page.html ?? '').not.toContain('/identify');
  if (page.leftTo) expect(claimsOf(page.leftTo.searchParams.get('caisse_refusal') ?? '')).toMatchObject({ reason: 'ticket_invalid' });
  else expect(page.page?.status).toBe(400);
}

describe('a payment server in test mode', () => {
  let shop: Awaited<ReturnType<typeof startTestServer>>;
  let notified: Awaited<ReturnType<typeof receiver>>;

  beforeAll(async () => {
    shop = await startTestServer({ env: { CAISSE_MODE: 'test' } });
    notified = await receiver();
    await seedAlice(shop);
  });
  afterAll(async () => {
    await notified?.close();
    await shop?.close();
  });

  it('says test in its discovery document, and a test merchant discovers it', async () => {
    const document = (await (await fetch(`${shop.url}/.well-known/caisse`)).json()) as { mode: string };
    expect(document.mode).toBe('test');
    const paymentServer = await discoverPaymentServer(shop.url);
    expect(paymentServer.mode).toBe('test');
    expect(createMerchant({ merchantId: shop.merchantId, signingKey: shop.merchantKey.privateJwk, paymentServer }).mode).toBe('test');
    expect(() => createMerchant({ merchantId: shop.merchantId, signingKey: generateKey().privateJwk, paymentServer })).toThrow(
      expect.objectContaining({ code: 'token_test_mode' }),
    );
  });

  it('shows the test mode banner, and pays with a voucher marked test that a live merchant refuses', async () => {
    const ticket = shop.ticket(1290);
    expect(ticket.claims.test).toBe(true);
    const { summary, paid } = await pay(shop.url, ticket.token);
    expect(summary.html).toContain('<p class="test-mode" role="note">Test mode — no real money.');
    const token = paid.leftTo?.searchParams.get('caisse_voucher') ?? '';
    expect(claimsOf(token).test).toBe(true);
    const live = createMerchant({
      merchantId: shop.merchantId,
      signingKey: generateKey().privateJwk,
      paymentServer: { issuer: shop.url, payEndpoint: `${shop.url}/pay`, keys: staticKeySet(await shop.server.keys.jwks()) },
      replayStore: memoryReplayStore(),
    });
    await expect(live.verifyVoucher(token, { ticket: ticket.reference })).rejects.toMatchObject({ code: 'token_test_mode' });
    await expect(shop.merchant.verifyVoucher(token, { ticket: ticket.reference })).resolves.toMatchObject({ test: true, amount: 1290 });
  });

  it('marks its refusals test', async () => {
    const ticket = shop.ticket(1290);
    const browser = new ScriptedBrowser(shop.url);
    const summary = await browser.go('/pay', { form: { ticket: ticket.token } });
    const cancelled = await browser.go(ScriptedBrowser.action(summary.html, '/cancel'), {
      form: { csrf: ScriptedBrowser.csrf(summary.html) },
    });
    const token = cancelled.leftTo?.searchParams.get('caisse_refusal') ?? '';
    expect(claimsOf(token)).toMatchObject({ reason: 'customer_declined', test: true });
  });

  it('signs its notifications with test: true', async () => {
    const key = generateKey({ test: true });
    await shop.server.merchants.register({
      id: 'newsstand',
      displayName: 'Le Kiosque',
      jwks: key.jwks,
      returnOrigins: [SHOP_ORIGIN],
      notifyUrl: notified.url,
    });
    const merchant = createMerchant({
      merchantId: 'newsstand',
      signingKey: key.privateJwk,
      paymentServer: { issuer: shop.url, payEndpoint: `${shop.url}/pay`, keys: staticKeySet(await shop.server.keys.jwks()), mode: 'test' },
    });
    const ticket = merchant.createTicket({
      serial: 'paper-1',
      currency: 'EUR',
      items: [{ id: 'paper', label: 'Daily paper', quantity: 1, unitAmount: 120, vatRate: 210 }],
      returnUrl: `${SHOP_ORIGIN}/paid`,
      cancelUrl: `${SHOP_ORIGIN}/basket`,
      state: 'k3J9xQ2mZp7RvT1wYb4NcA',
    });
    await pay(shop.url, ticket.token);
    await shop.server.notificationDispatcher.runOnce({ limit: 10 });
    expect(notified.bodies).toHaveLength(1);
    const event = await merchant.verifyNotification(notified.bodies[0] as string);
    expect(event).toMatchObject({ event: 'payment.authorised', test: true });
  });

  it('refuses to register a live key, or to add one: key_mode_mismatch', async () => {
    const live = generateKey();
    await expect(
      shop.server.merchants.register({ id: 'live-shop', displayName: 'Live', jwks: live.jwks, returnOrigins: [SHOP_ORIGIN] }),
    ).rejects.toMatchObject({ code: 'key_mode_mismatch', message: expect.stringContaining('caisse keys new --test') });
    await expect(shop.server.merchants.addKey(shop.merchantId, live.publicJwk)).rejects.toMatchObject({ code: 'key_mode_mismatch' });
  });

  it('refuses a ticket without test: true, even signed with a test key: ticket_invalid, ticket_mode_mismatch for the merchant', async () => {
    const { token } = shop.resign({ ...shop.ticket(1290).claims, test: undefined });
    expect(claimsOf(token)).not.toHaveProperty('test');
    await expectRefused(shop, token, 'lacks test: true, and this payment server runs in test mode');
  });

  it('refuses a ticket signed with a live key before its signature is checked', async () => {
    const live = generateKey();
    const ticket = createMerchant({
      merchantId: shop.merchantId,
      signingKey: live.privateJwk,
      paymentServer: { issuer: shop.url, payEndpoint: `${shop.url}/pay`, keys: staticKeySet(await shop.server.keys.jwks()) },
    }).createTicket({
      serial: 'order-1',
      currency: 'EUR',
      items: [{ id: 'b', label: 'Book', quantity: 1, unitAmount: 100, vatRate: 0 }],
      returnUrl: `${SHOP_ORIGIN}/paid`,
      cancelUrl: `${SHOP_ORIGIN}/basket`,
      state: 'k3J9xQ2mZp7RvT1wYb4NcA',
    });
    await expectRefused(shop, ticket.token, `signed with the live key kid ${live.kid}, and this payment server runs in test mode`);
  });
});

describe('a live payment server (the default)', () => {
  let shop: Awaited<ReturnType<typeof startTestServer>>;

  beforeAll(async () => {
    shop = await startTestServer();
    await seedAlice(shop);
  });
  afterAll(async () => {
    await shop?.close();
  });

  it('says live, shows no banner, and signs vouchers without any test claim', async () => {
    const document = (await (await fetch(`${shop.url}/.well-known/caisse`)).json()) as { mode: string };
    expect(document.mode).toBe('live');
    const ticket = shop.ticket(1290);
    expect(claimsOf(ticket.token)).not.toHaveProperty('test');
    const { summary, paid } = await pay(shop.url, ticket.token);
    expect(summary.html).not.toContain('test-mode');
    const token = paid.leftTo?.searchParams.get('caisse_voucher') ?? '';
    expect(claimsOf(token)).not.toHaveProperty('test');
    await expect(shop.merchant.verifyVoucher(token, { ticket: ticket.reference })).resolves.toMatchObject({ amount: 1290 });
  });

  it('refuses to register a test key, or to add one: key_mode_mismatch', async () => {
    const test = generateKey({ test: true });
    await expect(
      shop.server.merchants.register({ id: 'test-shop', displayName: 'Test', jwks: test.jwks, returnOrigins: [SHOP_ORIGIN] }),
    ).rejects.toMatchObject({ code: 'key_mode_mismatch', message: expect.stringContaining('is a test key') });
    await expect(shop.server.merchants.addKey(shop.merchantId, test.publicJwk)).rejects.toMatchObject({ code: 'key_mode_mismatch' });
  });

  it('refuses a ticket marked test: true, even signed with a live key: ticket_invalid, ticket_mode_mismatch for the merchant', async () => {
    const { token } = shop.resign({ ...shop.ticket(1290).claims, test: true });
    await expectRefused(shop, token, 'says test: true, and this payment server is live');
  });

  it('refuses a ticket signed with a test key, registered or not', async () => {
    const test = generateKey({ test: true });
    // As if registered before the server refused test keys: the kid alone refuses it.
    await shop.server.db.query('INSERT INTO merchant_keys (merchant_id, kid, jwk, added_at) VALUES ($1, $2, $3::text::jsonb, now())', [
      shop.merchantId,
      test.kid,
      JSON.stringify(test.publicJwk),
    ]);
    const ticket = createMerchant({
      merchantId: shop.merchantId,
      signingKey: test.privateJwk,
      paymentServer: { issuer: shop.url, payEndpoint: `${shop.url}/pay`, keys: staticKeySet(await shop.server.keys.jwks()) },
    }).createTicket({
      serial: 'order-1',
      currency: 'EUR',
      items: [{ id: 'b', label: 'Book', quantity: 1, unitAmount: 100, vatRate: 0 }],
      returnUrl: `${SHOP_ORIGIN}/paid`,
      cancelUrl: `${SHOP_ORIGIN}/basket`,
      state: 'k3J9xQ2mZp7RvT1wYb4NcA',
    });
    await expectRefused(shop, ticket.token, `signed with the test key kid ${test.kid}, and this payment server is live`);
  });
});

describe('a database keeps its mode', () => {
  // Two starts of a payment server on a data folder (mode/lock.test.ts has the rule itself, in memory).
  it('refuses to start a payment server in the other mode than the one it was first started in', {
    timeout: 180_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caisse-mode-'));
    const start = (mode: string) =>
      createPaymentServer(
        configSchema.parse({ CAISSE_DATA_DIR: dir, CAISSE_SECRET: generateSecret(), CAISSE_MODE: mode, LOG_LEVEL: 'error' }),
        { log: createLogger({ level: 'error', write: () => {} }) },
      );
    try {
      await (await start('test')).close();
      const refused = await start('live').catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ServerModeError);
      expect(refused).toMatchObject({ databaseMode: 'test', requestedMode: 'live', message: expect.stringContaining('play money') });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
