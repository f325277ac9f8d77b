import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeviceWorld, problem, serverDrivers, startDeviceWorld } from './__fixtures__/world.js';

/**
 * A tap under the customer's tap threshold approves without the PIN (docs/device-api.md,
 * "Approval"): the server decides when it opens the request, from the plan capped by
 * CAISSE_TAP_THRESHOLDS, and the voucher says which confirmation was used.
 */
const drivers = await serverDrivers('devices-tap');

describe.each(drivers)('tap approvals on $name', (driver) => {
  let world: DeviceWorld;
  let drop = async () => {};

  beforeAll(async () => {
    const database = await driver.url();
    drop = database.drop;
    world = await startDeviceWorld(database.url);
  });
  afterAll(async () => {
    await world?.close();
    await drop();
  });

  /** A customer with a funded wallet, a phone (PIN 4821) and, when given, a tap threshold. */
  async function customer(tapBelow?: number) {
    const id = await world.customer();
    await world.server.customers.walletCredit(id, 'EUR', 10_000n, { idempotencyKey: `fund-${id}` });
    if (tapBelow !== undefined) await world.server.plans.set(id, 'EUR', { tapBelow });
    return { id, phone: await world.phone(id) };
  }
  const attempts = async (id: string) => (await world.server.customers.get(id)).failedAttempts;
  const storedApproval = async (requestId: string) =>
    (
      await world.server.db.query<{ approval: string | null }>(
        `SELECT request->>'approval' AS approval FROM confirmation_requests WHERE id = $1`,
        [requestId],
      )
    ).rows[0]?.approval;

  it('below the threshold: a tap request, approved without a PIN, and the voucher says tap', async () => {
    const alice = await customer(1500);
    const { request, ticket } = await world.checkout(alice.id, 1499);
    expect(request.approval).toBe('tap');
    expect(await storedApproval(request.id)).toBe('tap');
    const listed = await alice.phone.call('/device/requests', { headers: { accept: 'application/json' } });
    expect(((await listed.json()) as { requests: unknown[] }).requests).toEqual([request]);

    const approved = await alice.phone.send(request, 'approve');
    expect(approved.status).toBe(200);
    expect(await approved.json()).toEqual({ state: 'approved' });
    expect(await world.voucher(ticket)).toMatchObject({ amount: 1499, status: 'authorised', confirmation: { method: 'tap' } });
    expect(await attempts(alice.id)).toBe(0);
  });

  it('a PIN sent with a tap is neither checked nor counted: a wrong one still approves, as a tap', async () => {
    const alice = await customer(1500);
    const { request, ticket } = await world.checkout(alice.id, 500);
    expect((await alice.phone.send(request, 'approve', '0000')).status).toBe(200);
    expect(await world.voucher(ticket)).toMatchObject({ confirmation: { method: 'tap' } });
    expect(await attempts(alice.id)).toBe(0);
  });

  it('at the threshold: a PIN request; no proof is refused pin_required, uncounted and unpaid; a wrong PIN counts; the PIN pays', async () => {
    const alice = await customer(1500);
    const { request, ticket } = await world.checkout(alice.id, 1500);
    // PIN requests leave `approval` out: the protocol's default.
    expect(request).not.toHaveProperty('approval');
    expect(await storedApproval(request.id)).toBeNull();

    expect(await problem(await alice.phone.send(request, 'approve'))).toEqual({ status: 401, code: 'pin_required' });
    expect(await world.state(request.id)).toBe('open');
    expect(await world.voucher(ticket)).toBeUndefined();
    expect(await attempts(alice.id)).toBe(0);

    expect(await problem(await alice.phone.send(request, 'approve', '0000'))).toEqual({
      status: 401,
      code: 'pin_invalid',
      attemptsLeft: 4,
    });
    expect(await attempts(alice.id)).toBe(1);

    expect((await alice.phone.send(request, 'approve', '4821')).status).toBe(200);
    expect(await world.voucher(ticket)).toMatchObject({ amount: 1500, confirmation: { method: 'device' } });
  });

  it('a customer who chose no tap threshold is asked the PIN for every amount', async () => {
    const bob = await customer();
    const { request } = await world.checkout(bob.id, 1);
    expect(request).not.toHaveProperty('approval');
    expect(await problem(await bob.phone.send(request, 'approve'))).toEqual({ status: 401, code: 'pin_required' });
  });

  it('a locked account cannot pay by tap', async () => {
    const alice = await customer(1500);
    const { request, ticket } = await world.checkout(alice.id, 800);
    // Locked after the request went out: five wrong access keys.
    for (let i = 0; i < 5; i++) await world.server.customers.identify(alice.id, 'not the key').catch(() => undefined);
    expect(await problem(await alice.phone.send(request, 'approve'))).toEqual({ status: 423, code: 'account_locked' });
    expect(await world.state(request.id)).toBe('open');
    expect(await world.voucher(ticket)).toBeUndefined();
  });

  it('a tap approval committed before a crash is paid as a tap when the session is settled', async () => {
    const alice = await customer(1500);
    const { request, ticket, sessionId } = await world.checkout(alice.id, 700);
    // The answer as the devices domain commits it, with the process gone before onAnswered ran.
    await world.server.db.query(
      `UPDATE confirmation_requests SET state = 'approved', closed_at = now(), answered_at = now(), answer_jti = $2, answer_device_id = $3
        WHERE id = $1`,
      [request.id, `crash-${request.id}`, alice.phone.id],
    );
    const session = await world.sessions.load(sessionId);
    await world.server.phoneCheckout.settle(session as NonNullable<typeof session>);
    expect(await world.voucher(ticket)).toMatchObject({ confirmation: { method: 'tap' } });
  });
});

describe.each(drivers)("the operator's tap limit on $name", (driver) => {
  let world: DeviceWorld;
  let drop = async () => {};

  beforeAll(async () => {
    const database = await driver.url();
    drop = database.drop;
    // The operator lowered the limit to 10.00 EUR after customers chose theirs under the default 20.00.
    world = await startDeviceWorld(database.url, { CAISSE_TAP_THRESHOLDS: 'EUR:1000,*:2000' });
  });
  afterAll(async () => {
    await world?.close();
    await drop();
  });

  it('binds a plan chosen under a higher limit: read as the new limit, the PIN asked from there', async () => {
    const alice = await world.customer();
    await world.server.customers.walletCredit(alice, 'EUR', 10_000n, { idempotencyKey: `fund-${alice}` });
    const phone = await world.phone(alice);
    // The plan as it was saved under the old limit: plans.set refuses 1500 now.
    await expect(world.server.plans.set(alice, 'EUR', { tapBelow: 1500 })).rejects.toMatchObject({ code: 'plan_out_of_bounds' });
    await world.server.db.query(
      `INSERT INTO customer_plans (customer_id, currency, means, wallet_below, bank_when_short, tap_below, updated_at)
       VALUES ($1, 'EUR', ARRAY['wallet', 'bank'], 5000, false, 1500, now())`,
      [alice],
    );
    const { plan, choices } = await world.server.plans.get(alice, 'EUR');
    expect({ chosen: choices.tapBelow, applied: plan.tapBelow }).toEqual({ chosen: 1500n, applied: 1000n });

    const above = await world.checkout(alice, 1200);
    expect(above.request).not.toHaveProperty('approval');
    expect(await problem(await phone.send(above.request, 'approve'))).toEqual({ status: 401, code: 'pin_required' });

    const below = await world.checkout(alice, 999);
    expect(below.request.approval).toBe('tap');
    expect((await phone.send(below.request, 'approve')).status).toBe(200);
    expect(await world.voucher(below.ticket)).toMatchObject({ confirmation: { method: 'tap' } });
  });
});
