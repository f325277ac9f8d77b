import { randomBytes } from 'node:crypto';
import { createSandboxAcquirer, type RunningSandboxBank, startSandboxBank } from '@caisse/sandbox-bank';
import { createState, type Merchant, type TicketInput } from '@caisse/server-kit';
import { freshDatabase, requirePostgres } from '@caisse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { SHOP_ORIGIN, startTestServer } from '../__fixtures__/payment-server.js';
import type { Receiver } from './__fixtures__/receiver.js';
import { registerNotifiedMerchant } from './__fixtures__/shop-merchant.js';

const hasPostgres = await requirePostgres('notifications of hosted checkouts');
const drivers: { name: string; url(): Promise<string | undefined>; drop(): Promise<void> }[] = [
  { name: 'pglite', url: async () => undefined, drop: async () => {} },
];
if (hasPostgres) {
  let drop = async () => {};
  drivers.push({
    name: 'postgres',
    async url() {
      const fresh = await freshDatabase('notifications_e2e');
      drop = fresh.drop;
      return fresh.url;
    },
    drop: () => drop(),
  });
}

const ACCESS_KEY = 'correct horse battery';

type Shop = Awaited<ReturnType<typeof startTestServer>>;

/** The customer walks the hosted pages: summary, then identification with the access key. */
async function payWith(shop: Shop, token: string, account: string) {
  const browser = new ScriptedBrowser(shop.url);
  const summary = await browser.go('/pay', { form: { ticket: token } });
  return browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
    form: { csrf: ScriptedBrowser.csrf(summary.html), account, accessKey: ACCESS_KEY },
  });
}

describe.each(drivers)('notifications of payments made on the hosted pages, on $name', (driver) => {
  let shop: Shop;
  let merchant: Merchant;
  let merchantId: string;
  let receiver: Receiver;

  beforeAll(async () => {
    const databaseUrl = await driver.url();
    shop = await startTestServer(databaseUrl ? { databaseUrl } : {});
    ({ merchant, merchantId, receiver } = await registerNotifiedMerchant(shop));
    for (const [accountId, phone, amount] of [
      ['alice', '+33612345678', 10_000n],
      ['bob', '+33612345679', 100n],
    ] as const) {
      await shop.server.customers.add({ accountId, phone, accessKey: ACCESS_KEY, limits: { EUR: { walletCap: 50_000n } } });
      const customer = await shop.server.customers.identify(accountId, ACCESS_KEY);
      await shop.server.customers.walletCredit(customer.id, 'EUR', amount, { idempotencyKey: `top-up-${accountId}` });
    }
  });
  afterAll(async () => {
    await receiver?.close();
    await shop?.close();
    await driver.drop();
  });

  function ticket(amount: number, extra: Partial<TicketInput> = {}) {
    return merchant.createTicket({
      serial: `order-${randomBytes(3).toString('hex')}`,
      currency: 'EUR',
      items: [{ id: 'book', label: 'A book', quantity: 1, unitAmount: amount, vatRate: 550 }],
      returnUrl: `${SHOP_ORIGIN}/paid`,
      cancelUrl: `${SHOP_ORIGIN}/basket`,
      state: createState(),
      ...extra,
    });
  }

  const pay = (token: string, account = 'alice') => payWith(shop, token, account);

  /** Rows written for one ticket, whatever the event. */
  async function rowsFor(ticketId: string) {
    const { rows } = await shop.server.db.query<{ id: string; event: string; status: string }>(
      `SELECT id, event, status FROM notifications
        WHERE coalesce(payload->'payment'->'ticket'->>'jti', payload->'refusal'->'ticket'->>'jti') = $1`,
      [ticketId],
    );
    return rows;
  }

  it('tells the merchant of a payment with exactly one payment.authorised, which the server kit verifies', async () => {
    const order = ticket(1290);
    const paid = await pay(order.token);
    const voucher = await merchant.verifyVoucher(paid.leftTo?.searchParams.get('caisse_voucher') ?? '', { ticket: order.reference });
    const [row] = await rowsFor(order.id);
    expect(row).toMatchObject({ event: 'payment.authorised', status: 'pending' });

    expect(await shop.server.notificationDispatcher.runOnce()).toMatchObject({ claimed: 1, delivered: 1 });
    expect(receiver.processed.filter((event) => event.jti === row?.id)).toEqual([
      {
        ver: 1,
        iss: shop.url,
        aud: merchantId,
        jti: row?.id,
        iat: expect.any(Number),
        exp: expect.any(Number),
        event: 'payment.authorised',
        payment: {
          id: voucher.jti,
          ticket: { jti: order.id, sha256: order.sha256 },
          serial: order.claims.serial,
          amount: 1290,
          currency: 'EUR',
          status: 'authorised',
          funding: 'wallet',
        },
      },
    ]);
    expect(await shop.server.notificationDispatcher.runOnce()).toMatchObject({ claimed: 0 });
    expect(await rowsFor(order.id)).toEqual([{ id: row?.id, event: 'payment.authorised', status: 'delivered' }]);
  });

  it('tells the merchant of a refusal with payment.refused and its reason', async () => {
    const order = ticket(1290);
    const refused = await pay(order.token, 'bob');
    expect(refused.html).toMatch(/wallet/i);
    expect(await shop.server.notificationDispatcher.runOnce()).toMatchObject({ claimed: 1, delivered: 1 });
    const [row] = await rowsFor(order.id);
    expect(receiver.processed.filter((event) => event.jti === row?.id)).toEqual([
      expect.objectContaining({
        event: 'payment.refused',
        refusal: {
          ticket: { jti: order.id, sha256: order.sha256 },
          serial: order.claims.serial,
          amount: 1290,
          currency: 'EUR',
          reason: 'insufficient_funds',
        },
      }),
    ]);
  });

  it('tells the merchant of funds held for a deferred delivery with payment.held', async () => {
    const order = ticket(700, { fulfilment: 'deferred' });
    const paid = await pay(order.token);
    const voucher = await merchant.verifyVoucher(paid.leftTo?.searchParams.get('caisse_voucher') ?? '', { ticket: order.reference });
    expect(voucher.status).toBe('held');
    await shop.server.notificationDispatcher.runOnce();
    const [row] = await rowsFor(order.id);
    expect(receiver.processed.filter((event) => event.jti === row?.id)).toEqual([
      expect.objectContaining({
        event: 'payment.held',
        payment: expect.objectContaining({ id: voucher.jti, status: 'held', amount: 700 }),
      }),
    ]);
  });

  it('writes nothing for a merchant that registered no notification URL', async () => {
    const order = shop.ticket(300);
    const paid = await pay(order.token);
    expect(paid.leftTo?.searchParams.get('caisse_voucher')).toBeTruthy();
    expect(await rowsFor(order.id)).toEqual([]);
  });

  it('leaves no notification when the payment transaction rolls back after the money moved', async () => {
    const { db } = shop.server;
    // A failure injected after the ledger transfer, the payment row and the outbox row: when the session closes.
    await db.exec(`
      CREATE FUNCTION fail_closing_session() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.state = 'paid' AND NEW.merchant_id = '${merchantId}' THEN RAISE EXCEPTION 'injected failure'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fail_closing_session BEFORE UPDATE ON checkout_sessions FOR EACH ROW EXECUTE FUNCTION fail_closing_session();`);
    try {
      const transfers = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_transfers')).rows[0]?.n;
      const before = await transfers();
      const order = ticket(400);
      const failed = await pay(order.token);
      expect(failed.leftTo).toBeUndefined();
      expect(failed.page?.status).toBe(500);
      expect(await rowsFor(order.id)).toEqual([]);
      expect((await db.query('SELECT 1 FROM payments WHERE merchant_id = $1 AND ticket_jti = $2', [merchantId, order.id])).rowCount).toBe(
        0,
      );
      expect(await transfers()).toBe(before);
    } finally {
      await db.exec('DROP TRIGGER fail_closing_session ON checkout_sessions; DROP FUNCTION fail_closing_session();');
    }
  });
});

/** Amounts at or above the wallet threshold go through the bank: the notification is written by the acquirer's hooks. */
describe('notifications of bank payments', () => {
  let bank: RunningSandboxBank;
  let shop: Shop;
  let merchant: Merchant;
  let receiver: Receiver;

  beforeAll(async () => {
    bank = await startSandboxBank({});
    shop = await startTestServer({ acquirer: createSandboxAcquirer({ url: bank.url }), env: { CAISSE_WALLET_THRESHOLDS: '*:5000' } });
    ({ merchant, receiver } = await registerNotifiedMerchant(shop));
    for (const [accountId, phone, bankRef] of [
      ['carol', '+33612345601', 'test_approve'],
      ['dave', '+33612345602', 'test_insufficient_funds'],
    ] as const) {
      await shop.server.customers.add({
        accountId,
        phone,
        accessKey: ACCESS_KEY,
        limits: { EUR: { dailyCeiling: 100_000n, monthlyCeiling: 100_000n } },
      });
      await shop.server.customers.setBankRef(accountId, bankRef);
    }
  });
  afterAll(async () => {
    await receiver?.close();
    await shop?.close();
    await bank?.close();
  });

  async function pay(account: string, amount: number) {
    const order = merchant.createTicket({
      serial: `order-${randomBytes(3).toString('hex')}`,
      currency: 'EUR',
      items: [{ id: 'bike', label: 'A bicycle', quantity: 1, unitAmount: amount, vatRate: 2000 }],
      returnUrl: `${SHOP_ORIGIN}/paid`,
      cancelUrl: `${SHOP_ORIGIN}/basket`,
      state: createState(),
    });
    return { order, result: await payWith(shop, order.token, account) };
  }

  it('sends payment.authorised with funding bank once the bank approves', async () => {
    const { order, result } = await pay('carol', 12_000);
    const voucher = await merchant.verifyVoucher(result.leftTo?.searchParams.get('caisse_voucher') ?? '', { ticket: order.reference });
    expect(await shop.server.notificationDispatcher.runOnce()).toMatchObject({ claimed: 1, delivered: 1 });
    expect(receiver.processed.filter((event) => event.event === 'payment.authorised' && event.payment.ticket.jti === order.id)).toEqual([
      expect.objectContaining({
        payment: expect.objectContaining({ id: voucher.jti, amount: 12_000, funding: 'bank', status: 'authorised' }),
      }),
    ]);
  });

  it('sends payment.refused with bank_declined when the bank declines', async () => {
    const { order, result } = await pay('dave', 6_000);
    expect(result.html).toContain('bank_declined');
    expect(await shop.server.notificationDispatcher.runOnce()).toMatchObject({ claimed: 1, delivered: 1 });
    expect(receiver.processed.filter((event) => event.event === 'payment.refused' && event.refusal.ticket.jti === order.id)).toEqual([
      expect.objectContaining({ refusal: expect.objectContaining({ amount: 6_000, reason: 'bank_declined' }) }),
    ]);
  });
});
