import { paymentSerial } from '@caisse/protocol';
import { describe, expect, it } from 'vitest';
import { type AfterPaymentWorld, worldPerSuite } from '../after-payment/__fixtures__/world.js';
import { serverDrivers } from '../api/__fixtures__/api-server.js';
import { CAPTURE_DECLINED_ALERT } from './service.js';

describe.each(await serverDrivers('captures'))('bank captures on $name', ({ url }) => {
  let world: AfterPaymentWorld;
  worldPerSuite(url, (made) => {
    world = made;
  });

  /** A payment the bank authorised: the customer's wallet is empty. */
  async function bankPayment(amount: number, options: { deferred?: boolean } = {}) {
    const customer = await world.customer({ funded: 0n });
    const { id } = await world.pay(customer, amount, options);
    const { rows } = await world.server.db.query<{ ticket_jti: string; funding: string }>(
      'SELECT ticket_jti, funding FROM payments WHERE merchant_id = $1 AND serial = $2',
      [world.merchantId, paymentSerial(id)],
    );
    expect(rows[0]?.funding).toBe('bank');
    return { id, jti: rows[0]?.ticket_jti as string };
  }

  /** What the bank captured for one payment. */
  const capturesAtBank = (jti: string) =>
    world.sandbox.bank.statement().filter((operation) => operation.kind === 'capture' && operation.idempotencyKey.endsWith(`:${jti}`));

  async function capturedAt(id: string): Promise<Date | null> {
    const { rows } = await world.server.db.query<{ captured_at: Date | null }>(
      'SELECT captured_at FROM payments WHERE merchant_id = $1 AND serial = $2',
      [world.merchantId, paymentSerial(id)],
    );
    return rows[0]?.captured_at ?? null;
  }

  it('captures a bank payment in full, once, however many passes run, even at the same time', async () => {
    const { id, jti } = await bankPayment(8_000);
    expect(capturesAtBank(jti)).toEqual([]);
    expect(await capturedAt(id)).toBeNull();

    const { captures } = world.server.afterPayment;
    await Promise.all([captures.run(), captures.run(), world.server.afterPayment.runOnce()]);
    expect(capturesAtBank(jti).map((operation) => [operation.amount, operation.status])).toEqual([[8_000, 'approved']]);
    expect(await capturedAt(id)).toBeInstanceOf(Date);

    expect(await captures.run()).toBe(0);
    // A refund finds the payment captured, and does not capture it again.
    const refund = await world.call(`/v1/payments/${id}/refunds`, { body: { amount: 3_000 } });
    expect(await refund.json()).toMatchObject({ status: 'succeeded', funding: 'bank' });
    expect(capturesAtBank(jti)).toHaveLength(1);
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  });

  it('marks a payment captured by a refund first, so the sweep leaves it alone', async () => {
    const { id, jti } = await bankPayment(6_000);
    const refund = await world.call(`/v1/payments/${id}/refunds`, { body: { amount: 6_000 } });
    expect(await refund.json()).toMatchObject({ status: 'succeeded' });
    expect(await capturedAt(id)).toBeInstanceOf(Date);
    await world.server.afterPayment.captures.run();
    expect(capturesAtBank(jti)).toHaveLength(1);
  });

  it('captures a held bank payment only once delivery releases it, and never a voided one', async () => {
    const delivered = await bankPayment(7_000, { deferred: true });
    const cancelled = await bankPayment(5_500, { deferred: true });
    await world.server.afterPayment.captures.run();
    expect(capturesAtBank(delivered.jti)).toEqual([]);

    expect((await world.call(`/v1/payments/${delivered.id}/deliveries`, { body: { reference: 'COLIS 1' } })).status).toBe(200);
    expect((await world.call(`/v1/payments/${cancelled.id}/cancellation`, { body: {} })).status).toBe(200);
    await world.server.afterPayment.captures.run();
    expect(capturesAtBank(delivered.jti).map((operation) => operation.amount)).toEqual([7_000]);
    expect(capturesAtBank(cancelled.jti)).toEqual([]);
    expect(await capturedAt(cancelled.id)).toBeNull();
  });

  it('voids the authorisation at the bank when escrow voids a bank payment, once, whoever voids it', async () => {
    const cancelled = await bankPayment(6_200, { deferred: true });
    const timedOut = await bankPayment(5_100, { deferred: true });
    const voidsAtBank = (jti: string) =>
      world.sandbox.bank
        .statement()
        .filter((operation) => operation.kind === 'void' && operation.idempotencyKey.endsWith(`:${jti}`))
        .map((operation) => [operation.amount, operation.status]);
    const reversedAt = async (id: string) => {
      const { rows } = await world.server.db.query<{ reversed_at: Date | null }>(
        'SELECT reversed_at FROM payments WHERE merchant_id = $1 AND serial = $2',
        [world.merchantId, paymentSerial(id)],
      );
      return rows[0]?.reversed_at ?? null;
    };

    // The merchant cancels: the customer's bank releases the reservation at once, not when it would lapse.
    expect((await world.call(`/v1/payments/${cancelled.id}/cancellation`, { body: {} })).status).toBe(200);
    expect(voidsAtBank(cancelled.jti)).toEqual([[6_200, 'approved']]);
    expect(await reversedAt(cancelled.id)).toBeInstanceOf(Date);

    // The escrow time-out voids the other one; the sweep sends what the void left to do, once.
    world.clock.advance(15 * 86_400_000);
    try {
      await world.server.afterPayment.runOnce();
      await Promise.all([world.server.afterPayment.captures.run(), world.server.afterPayment.captures.run()]);
    } finally {
      world.clock.advance(-15 * 86_400_000);
    }
    expect(voidsAtBank(timedOut.jti)).toEqual([[5_100, 'approved']]);
    expect(voidsAtBank(cancelled.jti)).toHaveLength(1);
    expect(await reversedAt(timedOut.id)).toBeInstanceOf(Date);
    expect(capturesAtBank(timedOut.jti)).toEqual([]);
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  });

  it('leaves wallet payments alone', async () => {
    const customer = await world.customer();
    const { id } = await world.pay(customer, 900);
    await world.server.afterPayment.captures.run();
    expect(await capturedAt(id)).toBeNull();
    const { rows } = await world.server.db.query(`SELECT 1 FROM acquirer_operations WHERE kind = 'capture' AND metadata->>'payment' = $1`, [
      String(paymentSerial(id)),
    ]);
    expect(rows).toEqual([]);
  });

  it('raises an operator alert when the bank refuses the capture, and a refund of that payment is declined', async () => {
    const { id, jti } = await bankPayment(9_000);
    // Someone captured the whole authorisation at the bank behind our back: ours is refused.
    const { rows } = await world.server.db.query<{ bank_reference: string }>(
      `SELECT bank_reference FROM acquirer_operations WHERE idempotency_key = $1`,
      [`acq:authorise:${world.merchantId}:${jti}`],
    );
    const elsewhere = await fetch(`${world.sandbox.url}/v1/authorisations/${rows[0]?.bank_reference}/captures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `elsewhere-${jti}` },
      body: JSON.stringify({ amount: 9_000 }),
    });
    expect(await elsewhere.json()).toMatchObject({ kind: 'capture', status: 'approved' });

    await world.server.afterPayment.captures.run();
    expect(capturesAtBank(jti).map((operation) => [operation.status, operation.declineReason])).toEqual([
      ['declined', 'amount_exceeds_authorisation'],
    ]);
    expect(await capturedAt(id)).toBeNull();
    const alerts = await world.server.alerts.list({ kind: CAPTURE_DECLINED_ALERT });
    // Alerts are the operator's: they name the payment by its register serial.
    expect(alerts.filter((alert) => alert.subject === `${world.merchantId}/${paymentSerial(id)}`)).toHaveLength(1);
    expect(await world.server.afterPayment.captures.run()).toBe(0);

    const refund = await world.call(`/v1/payments/${id}/refunds`, { body: { amount: 1_000 } });
    expect(await refund.json()).toMatchObject({ status: 'declined' });
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  });
});
