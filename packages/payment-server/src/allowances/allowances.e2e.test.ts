import { createMerchant, generateKey, memoryReplayStore, staticKeySet } from '@caisse/server-kit';
import { isMerchantApiError, type MerchantApiError } from '@caisse/server-kit/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLedgerInvariants } from '../ledger/invariants.js';
import { type AllowanceWorld, serverDrivers, startAllowanceWorld, testClock } from './__fixtures__/world.js';

/**
 * Session allowances end to end (seed 003's incremental payment; the payment server README,
 * "Session allowances"): one phone approval grants the merchant a maximum, reserved at
 * once; charges then go through the merchant API with no confirmation, each with its own
 * voucher, never past the maximum; each period is settled once, as one remittance.
 */
const drivers = await serverDrivers('allowances');
const HOUR = 3_600_000;

async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  const error = (await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as MerchantApiError | undefined;
  if (!isMerchantApiError(error)) throw new Error(`expected a refusal, got ${String(error)}`);
  return { status: error.status, code: error.code };
}

describe.each(drivers)('session allowances on $name', (driver) => {
  const clock = testClock('2026-03-14T10:00:00Z');
  let world: AllowanceWorld;
  let drop = async () => {};

  beforeAll(async () => {
    const database = await driver.url();
    drop = database.drop;
    world = await startAllowanceWorld(database.url, clock.now);
  });
  afterAll(async () => {
    await world?.close();
    await drop();
  });

  it('one phone approval, then 100 charges with no confirmation request, each voucher verifying; the maximum reached settles once', async () => {
    const alice = await world.customer(5_000);
    const ticket = world.allowanceTicket(1_000);
    const { request } = await world.ask(alice.id, ticket);
    // The phone shows what it grants, and asks the PIN: never a tap for an allowance.
    expect(request).toMatchObject({ amount: 1_000, allowance: { expiresAt: ticket.claims.allowance?.expiresAt } });
    expect(request).not.toHaveProperty('approval');
    expect((await alice.phone.send(request, 'approve')).status).toBe(401);
    expect((await alice.phone.send(request, 'approve', '4821')).status).toBe(200);
    const granted = await world.grantVoucher(ticket);
    expect(granted).toMatchObject({ status: 'granted', funding: 'allowance', amount: 1_000, confirmation: { method: 'device' } });
    const id = granted?.allowance?.id as string;
    expect(granted?.allowance).toEqual({ id, remaining: 1_000, expiresAt: ticket.claims.allowance?.expiresAt });
    // The maximum is held back at once: the wallet keeps its money, but cannot spend it elsewhere.
    expect(await world.wallet(alice.id)).toEqual({ balance: 5_000, available: 4_000 });

    const charged: { id: string; ticket: string; serial: string }[] = [];
    for (let n = 1; n <= 100; n++) {
      const charge = world.chargeTicket(id, 10);
      const { payment, remaining } = await world.client.allowances.charge(charge);
      expect(remaining).toBe(1_000 - 10 * n);
      // The payment id, the voucher's jti; the merchant's order serial, from the charge ticket.
      expect(payment).toMatchObject({ id: expect.stringMatching(/^pay_[1-9][0-9]*$/), serial: charge.claims.serial });
      charged.push({ id: payment.id, ticket: charge.id, serial: charge.claims.serial });
      const voucher = await world.shop.merchant.verifyVoucher(payment.voucher, { ticket: charge.reference });
      expect(voucher).toMatchObject({
        status: 'authorised',
        funding: 'allowance',
        amount: 10,
        confirmation: { method: 'allowance', at: granted?.confirmation.at },
        allowance: { id, remaining: 1_000 - 10 * n },
      });
      expect(voucher.jti).toBe(payment.id);
    }
    expect(await world.requestsSent(alice.id)).toBe(1);

    // The maximum was reached: settled at once, as one remittance of the whole.
    expect(await world.remittances(id)).toEqual([{ period: 0, reason: 'exhausted', used: 1_000, charges: 100, transferred: true }]);
    expect(await world.wallet(alice.id)).toEqual({ balance: 4_000, available: 4_000 });
    const [settled, ...more] = await world.settledNotifications(id);
    expect(more).toEqual([]);
    expect(settled.allowance).toMatchObject({ id, used: 1_000, reason: 'exhausted', chargeCount: 100 });
    expect(settled.allowance.charges).toHaveLength(50);
    // Each charge of allowance.settled names its payment by id and the merchant's order by serial.
    const byId = new Map(charged.map((charge) => [charge.id, charge]));
    for (const { id, ticket, serial } of settled.allowance.charges as { id: string; ticket: string; serial: string }[]) {
      expect(byId.get(id)).toEqual({ id, ticket, serial });
    }
    expect(await refusal(world.client.allowances.charge(world.chargeTicket(id, 1)))).toEqual({ status: 409, code: 'allowance_exhausted' });
    expect(await world.client.allowances.get(id)).toMatchObject({ state: 'ended', endReason: 'exhausted', used: 1_000, remaining: 0 });
    const { charges } = await world.client.allowances.get(id);
    expect(charges).toHaveLength(100);
    expect(charges.map(({ id, ticket, serial }) => ({ id, ticket, serial })).sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [...charged].sort((a, b) => a.id.localeCompare(b.id)),
    );
    expect(await checkLedgerInvariants(world.server.db)).toMatchObject({ ok: true });
  });

  it('never past the maximum or the per-charge cap; a refused charge leaves its ticket unspent', async () => {
    const bob = await world.customer();
    const { id } = await world.grant(bob, 100, { chargeCap: 60 });
    expect(await refusal(world.client.allowances.charge(world.chargeTicket(id, 61)))).toEqual({
      status: 422,
      code: 'allowance_charge_cap_exceeded',
    });
    await world.client.allowances.charge(world.chargeTicket(id, 60));
    const tooMuch = world.chargeTicket(id, 50);
    expect(await refusal(world.client.allowances.charge(tooMuch))).toEqual({ status: 409, code: 'allowance_exhausted' });
    // Nothing was spent: the same ticket still goes to a checkout, where the customer can pay it.
    const { rows } = await world.server.db.query('SELECT 1 FROM tickets WHERE jti = $1', [tooMuch.id]);
    expect(rows).toEqual([]);
    expect(await world.client.allowances.get(id)).toMatchObject({ used: 60, remaining: 40, state: 'active' });
  });

  it('a charge sent again answers the same payment; another ticket under the same id is a replay', async () => {
    const carol = await world.customer();
    const { id } = await world.grant(carol, 500);
    const charge = world.chargeTicket(id, 25);
    const first = await world.client.allowances.charge(charge);
    const again = await world.client.allowances.charge(charge);
    expect(again).toEqual(first);
    expect(await world.client.allowances.get(id)).toMatchObject({ used: 25 });
    const forged = world.shop.merchant.createTicket({
      ...charge.claims,
      serial: 'another-order',
      id: charge.id,
      amount: undefined,
      customer: undefined,
      notifyUrl: undefined,
      requested: undefined,
      allowance: undefined,
    });
    expect(await refusal(world.client.allowances.charge(forged))).toEqual({ status: 409, code: 'ticket_replayed' });
  });

  it('bad charges get a stable code and change nothing', async () => {
    const dave = await world.customer();
    const { id } = await world.grant(dave, 500);
    expect(await refusal(world.client.allowances.charge(world.chargeTicket('al_AAAAAAAAAAAAAAAAAAAAAA', 10)))).toEqual({
      status: 404,
      code: 'allowance_unknown',
    });
    expect(await refusal(world.client.allowances.charge(world.chargeTicket(id, 10, { currency: 'USD' })))).toEqual({
      status: 422,
      code: 'allowance_currency_mismatch',
    });
    expect(await refusal(world.client.allowances.charge(world.shop.ticket(10)))).toEqual({ status: 400, code: 'request_invalid' });
    const raw = await fetch(`${world.shop.url}/v1/allowances/charges`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"ticket": "a", "ticket": "b"}',
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ code: 'duplicate_member' });
    expect(await world.client.allowances.get(id)).toMatchObject({ used: 0, charges: [] });
  });

  it('a key the merchant retires stops charging at once, on every instance, though instances keep keys a few seconds', async () => {
    const lea = await world.customer();
    const { id } = await world.grant(lea, 500);
    const second = generateKey();
    await world.server.merchants.addKey(world.shop.merchantId, second.publicJwk);
    const signer = createMerchant({
      merchantId: world.shop.merchantId,
      signingKey: second.privateJwk,
      paymentServer: { issuer: world.shop.url, payEndpoint: `${world.shop.url}/pay`, keys: staticKeySet(await world.server.keys.jwks()) },
      replayStore: memoryReplayStore(),
      now: clock.now,
    });
    const withSecond = () => world.chargeTicket(id, 10, { merchant: signer });
    // The new key charges at once, though this instance read the merchant's keys before it existed.
    await world.client.allowances.charge(withSecond());
    await world.server.merchants.retireKey(world.shop.merchantId, second.kid);
    expect(await refusal(world.client.allowances.charge(withSecond()))).toEqual({ status: 401, code: 'key_unknown' });
    expect(await world.client.allowances.get(id)).toMatchObject({ used: 10 });
  });

  it('expiry ends it: the next charge is refused, and the period is settled once', async () => {
    const erin = await world.customer(2_000);
    const { id } = await world.grant(erin, 800);
    await world.client.allowances.charge(world.chargeTicket(id, 300));
    clock.advance(HOUR);
    expect(await refusal(world.client.allowances.charge(world.chargeTicket(id, 10)))).toEqual({ status: 409, code: 'allowance_expired' });
    // The sweep after it finds nothing more to settle here.
    await world.server.allowanceSettlement.settleDue();
    expect(await world.remittances(id)).toEqual([{ period: 0, reason: 'expired', used: 300, charges: 1, transferred: true }]);
    expect(await world.wallet(erin.id)).toEqual({ balance: 1_700, available: 1_700 });
  });

  it('the sweep settles an expired allowance nobody charged again', async () => {
    const fay = await world.customer(2_000);
    const { id } = await world.grant(fay, 800);
    await world.client.allowances.charge(world.chargeTicket(id, 120));
    clock.advance(HOUR);
    expect(await world.server.allowanceSettlement.settleDue()).toBeGreaterThanOrEqual(1);
    expect(await world.server.allowanceSettlement.settleDue()).toBe(0);
    expect(await world.remittances(id)).toEqual([{ period: 0, reason: 'expired', used: 120, charges: 1, transferred: true }]);
    expect(await world.settledNotifications(id)).toHaveLength(1);
  });

  it('revoked by the customer mid-session: refused at once, the charges so far settled', async () => {
    const gus = await world.customer(2_000);
    const { id } = await world.grant(gus, 800);
    await world.client.allowances.charge(world.chargeTicket(id, 200));
    await world.server.allowances.revoke(gus.id, id);
    expect(await refusal(world.client.allowances.charge(world.chargeTicket(id, 10)))).toEqual({ status: 409, code: 'allowance_revoked' });
    expect(await world.remittances(id)).toEqual([{ period: 0, reason: 'revoked', used: 200, charges: 1, transferred: true }]);
    expect(await world.wallet(gus.id)).toEqual({ balance: 1_800, available: 1_800 });
    // Another customer cannot revoke it.
    const other = await world.customer();
    await expect(world.server.allowances.revoke(other.id, id)).rejects.toMatchObject({ code: 'allowance_unknown' });
  });

  it('closed by the merchant: settled, and a close again answers the same', async () => {
    const hal = await world.customer(2_000);
    const { id } = await world.grant(hal, 800);
    await world.client.allowances.charge(world.chargeTicket(id, 50));
    const closed = await world.client.allowances.close(id);
    expect(closed).toMatchObject({ state: 'ended', endReason: 'closed', used: 50, remaining: 0 });
    expect(await world.client.allowances.close(id)).toEqual(closed);
    expect(await refusal(world.client.allowances.charge(world.chargeTicket(id, 10)))).toEqual({ status: 409, code: 'allowance_closed' });
    expect(await world.remittances(id)).toHaveLength(1);
  });

  it('a recurring allowance starts afresh each period, each period settled on its own', async () => {
    const ida = await world.customer(5_000);
    const { id } = await world.grant(ida, 500, { period: 'day', expiresAt: Math.floor(clock.at.getTime() / 1000) + 10 * 24 * 3600 });
    await world.client.allowances.charge(world.chargeTicket(id, 500));
    expect(await refusal(world.client.allowances.charge(world.chargeTicket(id, 1)))).toMatchObject({ code: 'allowance_exhausted' });
    // Still active: the maximum renews tomorrow.
    expect(await world.client.allowances.get(id)).toMatchObject({ state: 'active', used: 500, remaining: 0 });
    clock.advance(24 * HOUR);
    const next = await world.client.allowances.charge(world.chargeTicket(id, 40));
    expect(next.remaining).toBe(460);
    expect(await world.remittances(id)).toEqual([{ period: 0, reason: 'period_ended', used: 500, charges: 1, transferred: true }]);
    // The new period's maximum is held back again.
    expect(await world.wallet(ida.id)).toEqual({ balance: 4_500, available: 4_000 });
    clock.advance(3 * 24 * HOUR);
    await world.server.allowanceSettlement.settleDue();
    expect((await world.remittances(id)).map((r) => [r.period, r.used])).toEqual([
      [0, 500],
      [1, 40],
    ]);
    expect(await world.client.allowances.get(id)).toMatchObject({ state: 'active', used: 0 });
    await world.client.allowances.close(id);
  });

  it('a charge refunded; the merchant payment list shows the charges as allowance payments', async () => {
    const jo = await world.customer(2_000);
    const { id } = await world.grant(jo, 600);
    const from = clock.at;
    const one = await world.client.allowances.charge(world.chargeTicket(id, 100));
    await world.client.allowances.charge(world.chargeTicket(id, 150));
    const refund = await world.client.refunds.create({ id: one.payment.id }, { amount: 100, reason: 'article not loading' });
    expect(refund).toMatchObject({ payment: one.payment.id, status: 'succeeded', funding: 'allowance', amount: 100 });
    await world.client.allowances.close(id);
    // Charged 250, remitted 250 to the till; 100 came back.
    expect(await world.wallet(jo.id)).toEqual({ balance: 1_850, available: 1_850 });
    const page = await world.client.payments.list({ from, to: new Date(clock.at.getTime() + 1) });
    // Both at the same (frozen) instant: their order is their serials', which a charge may draw ahead of time.
    expect(
      page.payments
        .filter((p) => p.funding === 'allowance')
        .map((p) => p.amount)
        .sort((a, b) => a - b),
    ).toEqual([100, 150]);
    expect(await checkLedgerInvariants(world.server.db)).toMatchObject({ ok: true });
  });

  it('an allowance needs money to hold back: a short wallet is refused insufficient_funds', async () => {
    const kim = await world.customer(100);
    const ticket = world.allowanceTicket(1_000);
    const { request, sessionId } = await world.ask(kim.id, ticket);
    expect((await kim.phone.send(request, 'approve', '4821')).status).toBe(200);
    expect(await world.grantVoucher(ticket)).toBeUndefined();
    expect(await world.sessions.load(sessionId)).toMatchObject({ state: 'refused', refusalReason: 'insufficient_funds' });
  });
});
