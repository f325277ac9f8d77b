import { randomUUID } from 'node:crypto';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../__fixtures__/payment-server.js';
import { type ApiTestServer, payAs, serverDrivers, startApiTestServer } from '../api/__fixtures__/api-server.js';
import { createLogger } from '../log.js';
import type { Notifier, Receipt, ReceiptRecipient } from '../notifiers/index.js';
import { createReceiptSender } from './index.js';

const GATEWAY = 'https://sms.example/v1/messages';
const TOKEN = 'gateway-token-3b81f0';
const ACCESS_KEY = 'correct horse battery';
const SMS_ENV = {
  CAISSE_NOTIFIER: 'sms',
  CAISSE_SMS_URL: GATEWAY,
  CAISSE_SMS_TOKEN: TOKEN,
  CAISSE_TIME_ZONE: 'Europe/Paris',
};
const silent = createLogger({ level: 'error', write: () => {} });

/**
 * The SMS gateway, faked at the HTTP edge: the payment server's own requests (localhost)
 * go through. Between tests it takes every message and keeps none.
 */
const gateway = setupServer(http.post(GATEWAY, () => new HttpResponse(null, { status: 202 })));
beforeAll(() => gateway.listen({ onUnhandledRequest: 'bypass' }));
afterEach(() => gateway.resetHandlers());
afterAll(() => gateway.close());

/** Every SMS the gateway receives from now on (answering `status`), in order. */
function smsInbox(status = 202): { to: string; text: string; auth: string | null }[] {
  const inbox: { to: string; text: string; auth: string | null }[] = [];
  gateway.use(
    http.post(GATEWAY, async ({ request }) => {
      const body = (await request.json()) as { to: string; text: string };
      inbox.push({ ...body, auth: request.headers.get('authorization') });
      return new HttpResponse(null, { status });
    }),
  );
  return inbox;
}

describe.each(await serverDrivers('receipts'))('receipts through the SMS gateway, on $name', ({ url }) => {
  /** One clock for the payment server, the shop's tickets and assertions, and the senders: frozen, moved by hand. */
  let at = new Date('2026-03-10T09:00:00Z');
  const now = () => at;
  const later = (ms = 60_000) => {
    at = new Date(at.getTime() + ms);
  };

  let shop: ApiTestServer;
  let drop: () => Promise<void>;
  let customers = 0;

  beforeAll(async () => {
    const database = await url();
    drop = database.drop;
    shop = await startApiTestServer({ now, env: SMS_ENV, ...(database.url ? { databaseUrl: database.url } : {}) });
  });
  afterAll(async () => {
    await shop?.close();
    await drop?.();
  });

  async function customer(locale: 'en' | 'fr'): Promise<{ id: string; phone: string }> {
    const id = `receipt-${++customers}`;
    const phone = `+3362000000${customers}`;
    await shop.server.customers.add({ accountId: id, phone, accessKey: ACCESS_KEY, locale });
    await shop.server.customers.walletCredit(id, 'EUR', 10_000n, { idempotencyKey: `fund-${id}` });
    return { id, phone };
  }

  async function pay(accountId: string, amount: number): Promise<string> {
    later();
    return payAs(shop.url, shop.ticket(amount).token, accountId, ACCESS_KEY);
  }

  async function refund(id: string, amount: number): Promise<void> {
    later();
    const response = await shop.call(`/v1/payments/${id}/refunds`, {
      method: 'POST',
      body: JSON.stringify({ amount }),
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      assertion: { iat: Math.floor(now().getTime() / 1000) },
    });
    expect(response.status).toBe(201);
  }

  /** Sends every receipt due now, with the server's own sender. */
  async function sendDue() {
    return shop.server.receipts.runOnce({ limit: 500 });
  }

  it('sends a French customer their receipt in French, dated in the operator’s time zone, and only once', async () => {
    await sendDue();
    const inbox = smsInbox();
    const { id, phone } = await customer('fr');
    at = new Date('2026-03-10T08:59:00Z');
    const payment = await pay(id, 1_290);
    expect(await sendDue()).toMatchObject({ claimed: 1, sent: 1 });
    expect(inbox).toEqual([
      {
        to: phone,
        auth: `Bearer ${TOKEN}`,
        text: `Reçu Caisse : vous avez payé 12,90\u00a0€ à The Bookshop le 10 mars 2026, 10:00 UTC+1. Paiement ${payment}.`,
      },
    ]);
    expect(await sendDue()).toMatchObject({ claimed: 0 });
    expect(inbox).toHaveLength(1);
  });

  it('sends an English customer their receipt in English', async () => {
    await sendDue();
    const inbox = smsInbox();
    const { id, phone } = await customer('en');
    at = new Date('2026-03-10T10:29:00Z');
    const payment = await pay(id, 2_500);
    await sendDue();
    expect(inbox.map((sms) => [sms.to, sms.text])).toEqual([
      [phone, `Caisse receipt: you paid €25.00 to The Bookshop on 10 Mar 2026, 11:30 CET. Payment ${payment}.`],
    ]);
    // The receipt carries no secret: neither the gateway's token nor the customer's access key.
    expect(inbox[0]?.text).not.toContain(TOKEN);
    expect(inbox[0]?.text).not.toContain(ACCESS_KEY);
  });

  it('sends a receipt of each refund, with what came back and what was paid', async () => {
    const { id } = await customer('fr');
    const payment = await pay(id, 4_000);
    await sendDue();
    const inbox = smsInbox();
    await refund(payment, 1_250);
    await sendDue();
    expect(inbox.map((sms) => sms.text)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Reçu Caisse : The Bookshop vous a remboursé 12,50\u00a0€ sur votre paiement ${payment} de 40,00\u00a0€ le 10 mars 2026, `,
        ),
      ),
    ]);
  });

  it('tries a receipt again after the gateway failed, and gives up after the last attempt', async () => {
    await sendDue();
    const failing = smsInbox(503);
    const { id } = await customer('en');
    const payment = await pay(id, 700);
    const sender = createReceiptSender({
      db: shop.server.db,
      notifier: shop.server.notifier,
      now,
      log: silent,
      maxAttempts: 2,
      random: () => 0,
    });
    expect(await sender.runOnce()).toMatchObject({ claimed: 1, retrying: 1 });
    expect(await sender.runOnce()).toMatchObject({ claimed: 1, failed: 1 });
    expect(await sender.runOnce()).toMatchObject({ claimed: 0 });
    expect(failing).toHaveLength(2);
    const { rows } = await shop.server.db.query<{ status: string; attempts: number; last_error: string }>(
      `SELECT status, attempts, last_error FROM receipts WHERE payment_serial = $1`,
      [BigInt(payment.slice(4))],
    );
    expect(rows).toEqual([{ status: 'failed', attempts: 2, last_error: 'http 503' }]);
  });

  it('sends a receipt a sender claimed and then died with, once its lease is over', async () => {
    await sendDue();
    const inbox = smsInbox();
    const { id } = await customer('en');
    const payment = await pay(id, 800);
    // The sender dies mid-send: its notifier never answers, and nothing is recorded.
    const dying = createReceiptSender({ db: shop.server.db, notifier: { receipt: () => new Promise(() => {}) }, now, log: silent });
    void dying.runOnce();
    const claimed = async () =>
      (await shop.server.db.query(`SELECT 1 FROM receipts WHERE payment_serial = $1 AND attempts = 1`, [BigInt(payment.slice(4))])).rows
        .length;
    await expect.poll(claimed).toBe(1);
    expect(await sendDue()).toMatchObject({ claimed: 0 });
    later(61_000);
    expect(await sendDue()).toMatchObject({ claimed: 1, sent: 1 });
    expect(inbox.map((sms) => sms.text)).toEqual([expect.stringContaining(`Payment ${payment}.`)]);
  });

  it('sends each receipt once when two senders run at once', async () => {
    await sendDue();
    const { id } = await customer('en');
    for (let n = 0; n < 12; n++) await pay(id, 100 + n);
    const sent: string[] = [];
    const counting: Pick<Notifier, 'receipt'> = {
      async receipt(_to: ReceiptRecipient, receipt: Receipt) {
        await new Promise((resolve) => setImmediate(resolve));
        sent.push(receipt.paymentId);
        return { status: 'sent' };
      },
    };
    const senders = [0, 1].map(() => createReceiptSender({ db: shop.server.db, notifier: counting, now, log: silent }));
    const passes = async (sender: (typeof senders)[number]) => {
      while ((await sender.runOnce({ limit: 3 })).claimed > 0);
    };
    await Promise.all(senders.map(passes));
    expect(sent).toHaveLength(12);
    expect(new Set(sent).size).toBe(12);
  });

  it('marks due receipts skipped, never sending them, when receipts are off', async () => {
    await sendDue();
    const inbox = smsInbox();
    const { id } = await customer('en');
    await pay(id, 300);
    const off = createReceiptSender({ db: shop.server.db, notifier: shop.server.notifier, now, log: silent, enabled: false });
    expect(await off.runOnce()).toMatchObject({ skipped: 1 });
    expect(await sendDue()).toMatchObject({ claimed: 0 });
    expect(inbox).toEqual([]);
  });
});

/** A payment server's memory does not outlive it: only a database that does (PostgreSQL) can show the next process sending. */
const outliving = (await serverDrivers('receipts after a crash')).filter((driver) => driver.name === 'postgres');

describe.each(outliving)('receipts after the process died, on $name', ({ url }) => {
  const at = new Date('2026-03-10T09:00:00Z');
  const now = () => at;
  let databaseUrl: string;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await url();
    drop = database.drop;
    databaseUrl = database.url as string;
  });
  afterAll(async () => {
    await drop?.();
  });

  it('sends the receipt of a payment booked just before the process went away, from the next process', async () => {
    const first = await startApiTestServer({ databaseUrl, env: SMS_ENV, now });
    await first.server.customers.add({ accountId: 'crash-1', phone: '+33630000001', accessKey: ACCESS_KEY, locale: 'fr' });
    await first.server.customers.walletCredit('crash-1', 'EUR', 5_000n, { idempotencyKey: 'fund-crash-1' });
    const payment = await payAs(first.url, first.ticket(990).token, 'crash-1', ACCESS_KEY);
    // The process ends before its sender ever ran: whatever it held in memory is gone.
    await first.close();

    const inbox = smsInbox();
    const next = await startTestServer({ databaseUrl, env: SMS_ENV, now });
    try {
      expect(await next.server.receipts.runOnce()).toMatchObject({ claimed: 1, sent: 1 });
      expect(await next.server.receipts.runOnce()).toMatchObject({ claimed: 0 });
    } finally {
      await next.close();
    }
    expect(inbox.map((sms) => [sms.to, sms.text])).toEqual([['+33630000001', expect.stringContaining(`Paiement ${payment}.`)]]);
  });
});
