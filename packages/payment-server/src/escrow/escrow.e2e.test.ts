import { paymentSerial } from '@caisse/protocol';
import { generateKey } from '@caisse/server-kit';
import { describe, expect, it } from 'vitest';
import { type AfterPaymentWorld, worldPerSuite } from '../after-payment/__fixtures__/world.js';
import { serverDrivers } from '../api/__fixtures__/api-server.js';
import { createEscrowService } from './service.js';

const DAY = 86_400_000;

describe.each(await serverDrivers('escrow'))('escrow of deferred payments on $name', ({ name, url }) => {
  let world: AfterPaymentWorld;
  worldPerSuite(url, (made) => {
    world = made;
  });

  async function held(amount = 2_000) {
    const customer = await world.customer();
    const { ticket, id } = await world.pay(customer, amount, { deferred: true });
    return { customer, id, serial: ticket.claims.serial };
  }

  it('holds a deferred payment, and a delivery releases it to the till exactly once, with payment.released', async () => {
    const { customer, id, serial } = await held(2_000);
    expect(await world.wallet(customer)).toEqual({ balance: 20_000n, pendingDebits: 2_000n, pendingCredits: 0n });
    const tillBefore = await world.till();

    const response = await world.call(`/v1/payments/${id}/deliveries`, { body: { reference: 'COLIS 6A123' } });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      payment: id,
      serial,
      status: 'released',
      resolvedBy: 'merchant',
      amount: 2_000,
      currency: 'EUR',
      note: 'COLIS 6A123',
    });
    expect(body.transfer).toMatch(/^\d+$/);

    expect(await world.wallet(customer)).toEqual({ balance: 18_000n, pendingDebits: 0n, pendingCredits: 0n });
    expect(await world.till()).toBe(tillBefore + 2_000n);
    expect((await (await world.call(`/v1/payments/${id}`)).json()).status).toBe('released');
    const released = (await world.outbox('payment.released')).filter((row) => (row.payload.payment as { id: string }).id === id);
    expect(released).toHaveLength(1);
    expect(released[0]?.payload.payment).toMatchObject({ id, serial, status: 'released', amount: 2_000 });
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  });

  it('a cancellation voids it: nothing reaches the till, the wallet is whole again, payment.voided', async () => {
    const { customer, id, serial } = await held(1_500);
    const tillBefore = await world.till();
    const response = await world.call(`/v1/payments/${id}/cancellation`, { body: { reason: 'out of stock' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ payment: id, serial, status: 'voided', transfer: null, note: 'out of stock' });
    expect(await world.wallet(customer)).toEqual({ balance: 20_000n, pendingDebits: 0n, pendingCredits: 0n });
    expect(await world.till()).toBe(tillBefore);
    expect((await world.outbox('payment.voided')).some((row) => (row.payload.payment as { id: string }).id === id)).toBe(true);
  });

  it('refuses a second resolution with a stable code and changes nothing; the same request under its key is replayed', async () => {
    const delivered = await held();
    const key = `delivery-${delivered.id}`;
    expect((await world.call(`/v1/payments/${delivered.id}/deliveries`, { body: {}, key })).status).toBe(200);
    const cancelled = await held();
    expect((await world.call(`/v1/payments/${cancelled.id}/cancellation`, { body: {} })).status).toBe(200);
    const before = await world.footprint();

    const cases: [string, string, string][] = [
      [delivered.id, 'deliveries', 'escrow_already_released'], // double delivery
      [delivered.id, 'cancellation', 'escrow_already_released'], // void after delivery
      [cancelled.id, 'deliveries', 'escrow_already_voided'], // delivery after void
      [cancelled.id, 'cancellation', 'escrow_already_voided'],
    ];
    for (const [id, action, code] of cases) {
      const response = await world.call(`/v1/payments/${id}/${action}`, { body: {} });
      expect(response.status, `${action} of ${id}`).toBe(409);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect((await response.json()).code).toBe(code);
    }
    const replay = await world.call(`/v1/payments/${delivered.id}/deliveries`, { body: {}, key });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await world.footprint()).toEqual(before);
  });

  it('refuses bad input and payments it cannot resolve with stable codes, changing nothing', async () => {
    const { id } = await held();
    const customer = await world.customer();
    const immediate = await world.pay(customer, 700);
    const other = await world.addMerchant();
    const before = await world.footprint();

    const cases: [string, Parameters<AfterPaymentWorld['call']>[1], number, string][] = [
      [`/v1/payments/${immediate.id}/deliveries`, { body: {} }, 409, 'payment_not_held'],
      [`/v1/payments/${immediate.id}/cancellation`, { body: {} }, 409, 'payment_not_held'],
      [`/v1/payments/${id}/deliveries`, { body: {}, as: other }, 404, 'payment_unknown'],
      ['/v1/payments/pay_999999999/deliveries', { body: {} }, 404, 'payment_unknown'],
      ['/v1/payments/abc/deliveries', { body: {} }, 400, 'request_invalid'],
      // A bare number, even the payment's own register serial: it could be an order serial.
      [`/v1/payments/${paymentSerial(id)}/deliveries`, { body: {} }, 400, 'request_invalid'],
      [`/v1/payments/${paymentSerial(id)}/cancellation`, { body: {} }, 400, 'request_invalid'],
      [`/v1/payments/${id}/deliveries`, { body: { reference: '' } }, 400, 'request_invalid'],
      [`/v1/payments/${id}/deliveries`, { body: { reference: 'x'.repeat(201) } }, 400, 'request_invalid'],
      [`/v1/payments/${id}/deliveries`, { body: { tracking: 'x' } }, 400, 'request_invalid'],
      [`/v1/payments/${id}/deliveries`, { body: '[1,2]' }, 400, 'request_invalid'],
      [`/v1/payments/${id}/deliveries`, { body: '{not json' }, 400, 'request_invalid'],
      [`/v1/payments/${id}/cancellation`, { body: { reason: 42 } }, 400, 'request_invalid'],
      [
        `/v1/payments/${id}/deliveries`,
        { body: 'reference=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        400,
        'request_invalid',
      ],
    ];
    for (const [path, init, status, code] of cases) {
      const response = await world.call(path, init);
      expect(response.status, path).toBe(status);
      expect((await response.json()).code, path).toBe(code);
    }
    expect(await world.footprint()).toEqual(before);
  });

  it('accepts a carrier key the merchant registered, on the delivery endpoint only', async () => {
    const carrier = generateKey();
    await world.server.afterPayment.carriers.add(world.merchantId, carrier.jwks);
    const asCarrier = { merchantId: world.merchantId, key: carrier };
    const { id } = await held();
    const other = await held();
    const before = await world.footprint();

    for (const [path, method] of [
      [`/v1/payments/${other.id}/cancellation`, 'POST'],
      [`/v1/payments/${other.id}/refunds`, 'POST'],
      [`/v1/payments/${other.id}`, 'GET'],
      [`/v1/payments/by-serial/${other.serial}`, 'GET'],
    ] as const) {
      const response = await world.call(path, { method, as: asCarrier, ...(method === 'POST' ? { body: {} } : {}) });
      expect(response.status, path).toBe(401);
      expect((await response.json()).code, path).toBe('key_unknown');
    }
    expect(await world.footprint()).toEqual(before);

    const response = await world.call(`/v1/payments/${id}/deliveries`, { body: { reference: 'handed over' }, as: asCarrier });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'released', resolvedBy: 'carrier' });
    const { rows } = await world.server.db.query<{ carrier_kid: string }>(
      'SELECT carrier_kid FROM escrow_resolutions WHERE payment_serial = $1',
      [paymentSerial(id)],
    );
    expect(rows[0]?.carrier_kid).toBe(carrier.publicJwk.kid);
    // A carrier key cannot take a kid the merchant already uses.
    await expect(world.server.afterPayment.carriers.add(world.merchantId, world.self.key.jwks)).rejects.toMatchObject({
      code: 'carrier_key_exists',
    });
  });

  it('holds deferred bank payments in escrow too: a delivery releases them from bank clearing to the till', async () => {
    const customer = await world.customer({ funded: 0n });
    const { id } = await world.pay(customer, 6_000, { deferred: true });
    expect(await (await world.call(`/v1/payments/${id}`)).json()).toMatchObject({ status: 'held', funding: 'bank' });
    const tillBefore = await world.till();
    const response = await world.call(`/v1/payments/${id}/deliveries`, { body: {} });
    expect(response.status).toBe(200);
    expect(await world.till()).toBe(tillBefore + 6_000n);
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  });

  it('resolves payments held past the time-out by the policy (void by default), each once', async () => {
    const { customer, id } = await held(900);
    const fresh = await held(800);
    world.clock.advance(14 * DAY + 60_000);
    try {
      const sweeps = await Promise.all([world.server.afterPayment.escrow.sweep(), world.server.afterPayment.escrow.sweep()]);
      const voided = sweeps.reduce((sum, sweep) => sum + sweep.voided, 0);
      expect(voided).toBeGreaterThanOrEqual(2);
      expect(sweeps.every((sweep) => sweep.released === 0)).toBe(true);
      const { rows } = await world.server.db.query<{ resolved_by: string; outcome: string }>(
        'SELECT resolved_by, outcome FROM escrow_resolutions WHERE payment_serial = ANY($1::int8[])',
        [[paymentSerial(id), paymentSerial(fresh.id)]],
      );
      expect(rows).toEqual([
        { resolved_by: 'timeout', outcome: 'voided' },
        { resolved_by: 'timeout', outcome: 'voided' },
      ]);
      expect(await world.wallet(customer)).toEqual({ balance: 20_000n, pendingDebits: 0n, pendingCredits: 0n });
      expect(await world.server.afterPayment.escrow.sweep()).toEqual({ released: 0, voided: 0 });
      expect(await world.invariants()).toEqual({ ok: true, findings: [] });
    } finally {
      world.clock.advance(-(14 * DAY + 60_000));
    }
  });

  it('with CAISSE_ESCROW_TIMEOUT_POLICY=release, releases them to the till instead', async () => {
    const { id } = await held(450);
    const tillBefore = await world.till();
    const later = () => new Date(world.clock.now().getTime() + 2 * DAY);
    const escrow = createEscrowService({ db: world.server.db, timeoutDays: 1, policy: 'release', now: later });
    const swept = await escrow.sweep();
    expect(swept.released).toBeGreaterThanOrEqual(1);
    expect((await (await world.call(`/v1/payments/${id}`)).json()).status).toBe('released');
    expect(await world.till()).toBeGreaterThanOrEqual(tillBefore + 450n);
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  });

  if (name === 'postgres')
    it('lets exactly one of a delivery and a cancellation sent at once win; the other gets its code', async () => {
      for (let round = 0; round < 5; round++) {
        const { id } = await held(300);
        const [delivery, cancellation] = await Promise.all([
          world.call(`/v1/payments/${id}/deliveries`, { body: {} }),
          world.call(`/v1/payments/${id}/cancellation`, { body: {} }),
        ]);
        const statuses = [delivery.status, cancellation.status].sort();
        expect(statuses).toEqual([200, 409]);
        const loser = delivery.status === 409 ? delivery : cancellation;
        const winner = delivery.status === 200 ? 'escrow_already_released' : 'escrow_already_voided';
        expect((await loser.json()).code).toBe(winner);
      }
      expect(await world.invariants()).toEqual({ ok: true, findings: [] });
    });
});
