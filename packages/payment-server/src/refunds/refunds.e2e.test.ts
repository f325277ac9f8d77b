import { paymentSerial } from '@caisse/protocol';
import { describe, expect, it } from 'vitest';
import { type AfterPaymentWorld, worldPerSuite } from '../after-payment/__fixtures__/world.js';
import { serverDrivers } from '../api/__fixtures__/api-server.js';
import { credit, debit } from '../ledger/model.js';
import { OPERATOR } from '../ledger/postings.js';
import { createLedger } from '../ledger/service.js';

describe.each(await serverDrivers('refunds'))('refunds on $name', ({ name, url }) => {
  let world: AfterPaymentWorld;
  worldPerSuite(url, (made) => {
    world = made;
  });

  const refund = (id: string, body: unknown, key?: string) => world.call(`/v1/payments/${id}/refunds`, { body, ...(key ? { key } : {}) });

  it('refunds a wallet payment in parts, back to the wallet, never past what was paid, with refund.succeeded', async () => {
    const customer = await world.customer();
    const { id } = await world.pay(customer, 3_000);
    const tillBefore = await world.till();

    const first = await refund(id, { amount: 1_000, reason: 'one book damaged' });
    expect(first.status).toBe(201);
    const body = await first.json();
    expect(body).toMatchObject({
      payment: id,
      amount: 1_000,
      currency: 'EUR',
      reason: 'one book damaged',
      funding: 'wallet',
      status: 'succeeded',
    });
    expect(body.id).toMatch(/^rf_/);
    expect(body.transfer).toMatch(/^\d+$/);
    expect((await refund(id, { amount: 2_000 })).status).toBe(201);
    expect(await world.wallet(customer)).toMatchObject({ balance: 20_000n });
    expect(await world.till()).toBe(tillBefore - 3_000n);

    const before = await world.footprint();
    const over = await refund(id, { amount: 1 });
    expect(over.status).toBe(409);
    expect(await over.json()).toMatchObject({ code: 'refund_exceeds_payment' });
    expect(await world.footprint()).toEqual(before);

    const listed = await (await world.call(`/v1/payments/${id}/refunds`)).json();
    expect(listed.refunds.map((item: { amount: number }) => item.amount)).toEqual([1_000, 2_000]);
    const events = (await world.outbox('refund.succeeded')).filter((row) => (row.payload.payment as { id: string }).id === id);
    expect(events.map((row) => (row.payload.refund as { amount: number }).amount)).toEqual([1_000, 2_000]);
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  });

  it('is idempotent: the same key gives the same refund, moved once', async () => {
    const customer = await world.customer();
    const { id } = await world.pay(customer, 1_200);
    const first = await (await refund(id, { amount: 500 }, `rf-key-${id}`)).json();
    const again = await refund(id, { amount: 500 }, `rf-key-${id}`);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await again.json()).id).toBe(first.id);
    const conflict = await refund(id, { amount: 600 }, `rf-key-${id}`);
    expect(conflict.status).toBe(422);
    expect((await conflict.json()).code).toBe('idempotency_conflict');
    expect(await world.wallet(customer)).toMatchObject({ balance: 20_000n - 1_200n + 500n });
  });

  it('refuses what cannot be refunded, and bad input, with stable codes, changing nothing', async () => {
    const customer = await world.customer();
    const paid = await world.pay(customer, 1_000);
    const heldPayment = await world.pay(customer, 800, { deferred: true });
    const voided = await world.pay(customer, 600, { deferred: true });
    expect((await world.call(`/v1/payments/${voided.id}/cancellation`, { body: {} })).status).toBe(200);
    const other = await world.addMerchant();
    const before = await world.footprint();

    const cases: [string, unknown, number, string, Parameters<AfterPaymentWorld['call']>[1]?][] = [
      [heldPayment.id, { amount: 100 }, 409, 'payment_held'],
      [voided.id, { amount: 100 }, 409, 'payment_not_refundable'],
      [paid.id, { amount: 1_001 }, 409, 'refund_exceeds_payment'],
      [paid.id, { amount: 100 }, 404, 'payment_unknown', { as: other }],
      ['pay_999999999', { amount: 100 }, 404, 'payment_unknown'],
      ['pay_0', { amount: 100 }, 400, 'request_invalid'],
      // A bare number, even the payment's own register serial: it could be an order serial.
      [String(paymentSerial(paid.id)), { amount: 100 }, 400, 'request_invalid'],
      [paid.ticket.claims.serial, { amount: 100 }, 400, 'request_invalid'],
      [paid.id, { amount: 0 }, 400, 'request_invalid'],
      [paid.id, { amount: -5 }, 400, 'request_invalid'],
      [paid.id, { amount: 1.5 }, 400, 'request_invalid'],
      [paid.id, { amount: '100' }, 400, 'request_invalid'],
      [paid.id, {}, 400, 'request_invalid'],
      [paid.id, { amount: 100, currency: 'EUR' }, 400, 'request_invalid'],
      [paid.id, { amount: 100, reason: '' }, 400, 'request_invalid'],
      [paid.id, '{"amount":', 400, 'request_invalid'],
    ];
    for (const [id, body, status, code, init] of cases) {
      const response = await world.call(`/v1/payments/${id}/refunds`, { body, ...init });
      expect(response.status, `${id} ${JSON.stringify(body)}`).toBe(status);
      expect((await response.json()).code).toBe(code);
    }
    const noKey = await world.call(`/v1/payments/${paid.id}/refunds`, { body: { amount: 1 }, headers: { 'idempotency-key': '' } });
    expect((await noKey.json()).code).toBe('idempotency_key_missing');
    expect(await world.footprint()).toEqual(before);
  });

  it('refuses a refund the wallet cannot take back (cap), moving nothing', async () => {
    const customer = await world.customer({ funded: 10_000n, cap: 10_000n });
    const { id } = await world.pay(customer, 2_000);
    await world.server.customers.walletCredit(customer, 'EUR', 2_000n, { idempotencyKey: `refill-${customer}` });
    const before = await world.footprint();
    const response = await refund(id, { amount: 500 });
    expect(response.status).toBe(409);
    expect((await response.json()).code).toBe('wallet_cap_exceeded');
    expect(await world.footprint()).toEqual(before);
  });

  it('refunds a bank payment through the acquirer: captured once, refunded under its own key, booked once', async () => {
    const customer = await world.customer({ funded: 0n });
    const { id } = await world.pay(customer, 8_000);
    const tillBefore = await world.till();
    const first = await refund(id, { amount: 3_000 });
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ funding: 'bank', status: 'succeeded', amount: 3_000 });
    expect((await refund(id, { amount: 5_000 })).status).toBe(201);
    expect((await (await refund(id, { amount: 1 })).json()).code).toBe('refund_exceeds_payment');

    const operations = world.sandbox.bank.statement('test_approve').filter((operation) => operation.kind !== 'authorise');
    const mine = operations.filter((operation) => operation.idempotencyKey.includes(world.merchantId));
    expect(mine.filter((operation) => operation.kind === 'capture')).toHaveLength(1);
    expect(mine.filter((operation) => operation.kind === 'refund').map((operation) => operation.amount)).toEqual([3_000, 5_000]);
    expect(await world.till()).toBe(tillBefore - 8_000n);
    expect(await world.loyalty(customer)).toBe(0n); // the 80 points of the payment, taken back 30 + 50
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  });

  it('takes back the loyalty points of a refunded payment in proportion, the parts adding up to all of them', async () => {
    const customer = await world.customer();
    const { id } = await world.pay(customer, 3_000);
    expect(await world.loyalty(customer)).toBe(30n);
    expect((await refund(id, { amount: 1_000 })).status).toBe(201);
    expect(await world.loyalty(customer)).toBe(20n);
    expect((await refund(id, { amount: 1 })).status).toBe(201); // a point's worth not yet refunded: none taken
    expect(await world.loyalty(customer)).toBe(20n);
    expect((await refund(id, { amount: 1_999 })).status).toBe(201);
    expect(await world.loyalty(customer)).toBe(0n);
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  });

  it('takes back no more points than the customer has left', async () => {
    const customer = await world.customer();
    const { id } = await world.pay(customer, 2_000);
    // Points leave the account some other way (an operator correction): 15 of the 20 remain.
    const ledger = createLedger(world.server.db);
    const points = await ledger.findAccount('loyalty', customer, 'EUR');
    const funding = await ledger.openAccount({ type: 'loyalty_funding', ownerId: OPERATOR, currency: 'EUR' });
    await ledger.transfer({ idempotencyKey: `spent-${customer}`, lines: [debit(points?.id as string, 5n), credit(funding.id, 5n)] });
    expect((await refund(id, { amount: 2_000 })).status).toBe(201);
    expect(await world.loyalty(customer)).toBe(0n);
    expect(await world.wallet(customer)).toMatchObject({ balance: 20_000n });
  });

  it('delivers refund.succeeded to a receiver failing 5 times, and the merchant processes it once', async () => {
    const customer = await world.customer();
    const { id } = await world.pay(customer, 900);
    await world.deliverAll();
    const response = await refund(id, { amount: 400 });
    const made = await response.json();
    const event = (await world.outbox('refund.succeeded')).find((row) => (row.payload.refund as { id: string }).id === made.id);
    expect(event).toBeDefined();
    expect(event?.payload.payment).toMatchObject({ id });
    world.receiver.failNext(5);
    await world.deliverAll(30);
    const requests = world.receiver.requests.filter((request) => request.jti === event?.id);
    expect(requests.map((request) => request.status)).toEqual([500, 500, 500, 500, 500, 200]);
    expect(world.receiver.processed.filter((processed) => processed.jti === event?.id)).toHaveLength(1);
  });

  if (name === 'postgres')
    it('lets only one of two concurrent refunds that together exceed the payment through', async () => {
      for (let round = 0; round < 5; round++) {
        const customer = await world.customer();
        const { id } = await world.pay(customer, 1_000);
        const results = await Promise.all([refund(id, { amount: 700 }), refund(id, { amount: 600 })]);
        const statuses = results.map((result) => result.status).sort();
        expect(statuses).toEqual([201, 409]);
        const refused = results.find((result) => result.status === 409) as Response;
        expect((await refused.json()).code).toBe('refund_exceeds_payment');
        const { rows } = await world.server.db.query<{ total: bigint }>(
          `SELECT coalesce(sum(amount), 0)::int8 AS total FROM refunds WHERE payment_serial = $1 AND status <> 'declined'`,
          [paymentSerial(id)],
        );
        expect(BigInt(rows[0]?.total ?? 0) <= 1_000n).toBe(true);
      }
      expect(await world.invariants()).toEqual({ ok: true, findings: [] });
    });

  if (name === 'postgres')
    it('the database itself refuses refunds past the payment, whatever the code above does', async () => {
      const customer = await world.customer();
      const { id } = await world.pay(customer, 500);
      await expect(
        world.server.db.query(
          `INSERT INTO refunds (id, merchant_id, payment_serial, request_key, amount, currency, funding, status, created_at)
         VALUES ('rf_direct', $1, $2, 'direct', 501, 'EUR', 'wallet', 'pending', now())`,
          [world.merchantId, paymentSerial(id)],
        ),
      ).rejects.toMatchObject({ constraint: 'refunds_within_payment' });
    });
});
