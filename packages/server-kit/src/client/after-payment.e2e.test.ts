import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../keys/generate.js';
import { afterPaymentWorld } from './__fixtures__/after-payment-world.js';
import { createMerchantClient, type MerchantClient } from './client.js';

describe('merchant API client: escrow, refunds and settlement against a real payment server', { timeout: 30_000 }, () => {
  let world: Awaited<ReturnType<typeof afterPaymentWorld>>;
  let client: MerchantClient;

  beforeAll(async () => {
    world = await afterPaymentWorld();
    // Assertions dated by the server's clock, which the world moves.
    client = createMerchantClient({
      server: world.url,
      merchantId: world.self.merchantId,
      key: world.self.key.privateJwk,
      now: world.clock.now,
      retry: { backoff: 1 },
    });
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });

  it('delivers one held payment and cancels another, once each', async () => {
    const customer = await world.customer();
    const delivered = await world.pay(customer, 2199, { deferred: true });
    const cancelled = await world.pay(customer, 1500, { deferred: true });

    expect(await client.deliveries.create({ id: delivered.id }, { reference: 'COLISSIMO 6A123' })).toMatchObject({
      payment: delivered.id,
      serial: delivered.ticket.claims.serial,
      status: 'released',
      resolvedBy: 'merchant',
      amount: 2199,
      note: 'COLISSIMO 6A123',
      transfer: expect.any(String),
    });
    // By the order serial: the client finds the payment of that order first.
    expect(await client.payments.cancel({ serial: cancelled.ticket.claims.serial }, { reason: 'out of stock' })).toMatchObject({
      payment: cancelled.id,
      serial: cancelled.ticket.claims.serial,
      status: 'voided',
      transfer: null,
      note: 'out of stock',
    });
    // A new request on a resolved payment is a conflict with its stable code, not retried.
    await expect(client.deliveries.create({ id: cancelled.id })).rejects.toMatchObject({
      name: 'MerchantApiError',
      status: 409,
      code: 'escrow_already_voided',
      attempts: 1,
    });
  });

  it('lets a carrier’s key deliver, and nothing else', async () => {
    const carrierKey = generateKey();
    await world.server.afterPayment.carriers.add(world.self.merchantId, carrierKey.jwks);
    const carrier = createMerchantClient({
      server: world.url,
      merchantId: world.self.merchantId,
      key: carrierKey.privateJwk,
      now: world.clock.now,
    });
    const { ticket, id } = await world.pay(await world.customer(), 990, { deferred: true });
    expect(await carrier.deliveries.create({ id }, { reference: 'DHL 42' })).toMatchObject({
      payment: id,
      status: 'released',
      resolvedBy: 'carrier',
    });
    await expect(carrier.payments.get({ id })).rejects.toMatchObject({ status: 401, code: 'key_unknown' });
    // By the order serial the carrier would first read the payment, which its key may not.
    await expect(carrier.deliveries.create({ serial: ticket.claims.serial })).rejects.toMatchObject({ status: 401, code: 'key_unknown' });
  });

  it('refunds part of a payment, lists the refund, and refuses more than was paid', async () => {
    const customer = await world.customer();
    const { ticket, id } = await world.pay(customer, 1290);
    const refund = await client.refunds.create({ id }, { amount: 500, reason: 'one book damaged' });
    expect(refund).toMatchObject({ payment: id, amount: 500, currency: 'EUR', funding: 'wallet', status: 'succeeded' });
    expect(await client.refunds.list({ id })).toEqual([refund]);
    expect(await client.refunds.list({ serial: ticket.claims.serial })).toEqual([refund]);
    await expect(client.refunds.create({ serial: ticket.claims.serial }, { amount: 791 })).rejects.toMatchObject({
      status: 409,
      code: 'refund_exceeds_payment',
      attempts: 1,
    });
  });

  it('lists, reads and answers a customer’s dispute, once; refuses a malformed id before sending', async () => {
    const customer = await world.customer();
    const { ticket, id } = await world.pay(customer, 1490);
    const opened = await world.server.disputes.open(customer, { payment: id, reason: 'not_received', message: 'Nothing came.' });
    const dispute = (await client.disputes.list({ state: 'awaiting_merchant' })).find((each) => each.payment === id);
    expect(dispute).toMatchObject({ id: opened.id, serial: ticket.claims.serial, reason: 'not_received', amount: 1490, outcome: null });
    expect(await client.disputes.get(opened.id)).toEqual(dispute);

    const answered = await client.disputes.answer(opened.id, { text: 'Delivered on the 4th, signed for.', trackingReference: 'LP1' });
    expect(answered).toMatchObject({ id: opened.id, state: 'awaiting_decision', evidence: { text: 'Delivered on the 4th, signed for.' } });
    await expect(client.disputes.answer(opened.id, { text: 'Again.' })).rejects.toMatchObject({
      status: 409,
      code: 'dispute_not_awaiting_answer',
      attempts: 1,
    });
    await expect(client.disputes.get('../payments')).rejects.toThrow(TypeError);
    await expect(client.disputes.list({ state: 'open' as never })).rejects.toThrow(TypeError);
  });

  it('reads a settlement day as JSON and as CSV', async () => {
    const date = world.clock.now().toISOString().slice(0, 10);
    const report = await client.settlements.get(date);
    expect(report).toMatchObject({ merchantId: world.self.merchantId, date, currencies: expect.any(Array) });
    const csv = await client.settlements.get(date, { format: 'csv' });
    expect(csv.split('\r\n')[0]).toMatch(/^merchant_id,date,currency,/);
  });
});
