import { describe, expect, it } from 'vitest';
import type { TestDevice } from '../__fixtures__/device.js';
import { addCustomer, PIN, pending, ticketFor } from '../checkout/__fixtures__/phone.js';
import { type ApiTestServer, apiServerPerSuite, serverDrivers } from './__fixtures__/api-server.js';
import type { DecoupledPayment } from './decoupled.js';

const drivers = await serverDrivers('decoupled payments');

describe.each(drivers)('decoupled payments (no browser) over real HTTP on $name', (driver) => {
  let shop: ApiTestServer;
  let alicePhone: TestDevice;
  let keys = 0;

  apiServerPerSuite(driver.url, async (started) => {
    shop = started;
    alicePhone = (await addCustomer(shop, 'alice', '+33612345678')) as TestDevice;
    await addCustomer(shop, 'bob', '+33698765432', { device: false });
  });

  function request(body: unknown, options: { key?: string; as?: Awaited<ReturnType<typeof shop.addMerchant>> } = {}) {
    const text = JSON.stringify(body);
    return shop.call('/v1/payments', {
      method: 'POST',
      body: text,
      headers: { 'content-type': 'application/json', 'idempotency-key': options.key ?? `key-${++keys}` },
      ...(options.as ? { as: options.as } : {}),
    });
  }
  const byTicket = (jti: string) => shop.call(`/v1/payments/by-ticket/${jti}`);
  async function moneyMoved(): Promise<bigint> {
    const { rows } = await shop.server.db.query<{ n: bigint }>('SELECT count(*) AS n FROM ledger_transfers');
    return BigInt(rows[0]?.n ?? 0);
  }

  it('sends the request to the phone; the approval pays and the poll returns a voucher the kit verifies', async () => {
    const ticket = ticketFor(shop, 1290);
    const started = await request({ ticket: ticket.token, phone: '+33612345678' });
    expect(started.status).toBe(202);
    const body = (await started.json()) as DecoupledPayment;
    expect(body).toEqual({ ticket: ticket.claims.jti, state: 'confirming', expiresAt: expect.any(String) });
    expect(Date.parse(body.expiresAt ?? '') - Date.now()).toBeGreaterThan(250_000);
    expect(await (await byTicket(ticket.claims.jti)).json()).toMatchObject({ state: 'confirming' });

    const phoneRequest = (await pending(alicePhone)).find((open) => open.ticket.jti === ticket.claims.jti);
    expect(phoneRequest).toMatchObject({ amount: 1290, payee: { id: shop.merchantId } });
    expect((await alicePhone.send(phoneRequest as never, 'approve', PIN)).status).toBe(200);

    const paid = (await (await byTicket(ticket.claims.jti)).json()) as DecoupledPayment;
    expect(paid.state).toBe('paid');
    const voucher = await shop.merchant.verifyVoucher(paid.voucher ?? '', { ticket: ticket.reference });
    expect(voucher).toMatchObject({ amount: 1290, funding: 'wallet', confirmation: { method: 'device' } });
  });

  it('an unknown number and a customer without a device get the same refusal, authentication_failed, and no money moves', async () => {
    const before = await moneyMoved();
    const answers: unknown[] = [];
    for (const phone of ['+33600000001', '+33698765432']) {
      const ticket = ticketFor(shop, 990);
      const response = await request({ ticket: ticket.token, phone });
      expect(response.status).toBe(202);
      const body = (await response.json()) as DecoupledPayment;
      expect(body.state).toBe('refused');
      await expect(shop.merchant.verifyVoucher(body.refusal ?? '', { ticket: ticket.reference })).rejects.toMatchObject({
        reason: 'authentication_failed',
      });
      expect((await (await byTicket(ticket.claims.jti)).json()) as DecoupledPayment).toMatchObject({ state: 'refused' });
      answers.push(Object.keys(body).sort());
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(await moneyMoved()).toBe(before);
  });

  it('a locked customer with a phone is refused account_locked, and nothing reaches the phone', async () => {
    const carolPhone = (await addCustomer(shop, 'carol', '+33611112222')) as TestDevice;
    for (let attempt = 0; attempt < 5; attempt++) {
      await expect(shop.server.customers.identify('carol', 'not the key')).rejects.toMatchObject({ code: expect.any(String) });
    }
    expect((await shop.server.customers.get('carol')).lockedAt).not.toBeNull();
    const before = await moneyMoved();
    const ticket = ticketFor(shop, 450);
    const body = (await (await request({ ticket: ticket.token, phone: '+33611112222' })).json()) as DecoupledPayment;
    expect(body.state).toBe('refused');
    await expect(shop.merchant.verifyVoucher(body.refusal ?? '', { ticket: ticket.reference })).rejects.toMatchObject({
      reason: 'account_locked',
    });
    expect(await pending(carolPhone)).toEqual([]);
    expect(await moneyMoved()).toBe(before);
  });

  it('a decline on the phone is a customer_declined refusal, moving no money', async () => {
    const before = await moneyMoved();
    const ticket = ticketFor(shop, 700);
    await request({ ticket: ticket.token, phone: '+33612345678' });
    const phoneRequest = (await pending(alicePhone)).find((open) => open.ticket.jti === ticket.claims.jti);
    expect((await alicePhone.send(phoneRequest as never, 'decline')).status).toBe(200);
    const refused = (await (await byTicket(ticket.claims.jti)).json()) as DecoupledPayment;
    expect(refused.state).toBe('refused');
    await expect(shop.merchant.verifyVoucher(refused.refusal ?? '', { ticket: ticket.reference })).rejects.toMatchObject({
      reason: 'customer_declined',
    });
    expect(await moneyMoved()).toBe(before);
  });

  it('spends the ticket once: a retry with its Idempotency-Key gets the same answer, another key ticket_replayed', async () => {
    const ticket = ticketFor(shop, 500);
    const first = await request({ ticket: ticket.token, phone: '+33612345678' }, { key: 'spend-once' });
    const again = await request({ ticket: ticket.token, phone: '+33612345678' }, { key: 'spend-once' });
    expect(await again.json()).toEqual(await first.json());
    const replay = await request({ ticket: ticket.token, phone: '+33612345678' });
    expect(replay.status).toBe(409);
    expect(await replay.json()).toMatchObject({ code: 'ticket_replayed' });
    expect((await pending(alicePhone)).filter((open) => open.ticket.jti === ticket.claims.jti)).toHaveLength(1);
  });

  it('refuses bad input and another merchant’s ticket, changing nothing; polls are scoped to the merchant', async () => {
    const ticket = ticketFor(shop, 500);
    const badPhone = await request({ ticket: ticket.token, phone: '0612345678' });
    expect(badPhone.status).toBe(400);
    expect(await badPhone.json()).toMatchObject({ code: 'request_invalid' });
    const other = await shop.addMerchant();
    const stolen = await request({ ticket: ticket.token, phone: '+33612345678' }, { as: other });
    expect(stolen.status).toBe(400);
    expect(await stolen.json()).toMatchObject({ code: 'ticket_invalid' });
    const forged = await request({ ticket: `${ticket.token.slice(0, -4)}AAAA`, phone: '+33612345678' });
    expect(forged.status).toBeGreaterThanOrEqual(400);
    expect((await byTicket(ticket.claims.jti)).status).toBe(404);

    // Nothing was spent: the ticket still works, and only its merchant can poll it.
    expect((await request({ ticket: ticket.token, phone: '+33612345678' })).status).toBe(202);
    const foreign = await shop.call(`/v1/payments/by-ticket/${ticket.claims.jti}`, { as: other });
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toMatchObject({ code: 'payment_unknown' });
  });

  it('a decoupled session belongs to no browser: its hosted page cannot be opened', async () => {
    const ticket = ticketFor(shop, 500);
    await request({ ticket: ticket.token, phone: '+33612345678' });
    const { rows } = await shop.server.db.query<{ id: string }>('SELECT id FROM checkout_sessions WHERE ticket_jti = $1', [
      ticket.claims.jti,
    ]);
    for (const cookie of ['', 'caisse_checkout=', `caisse_checkout=${'A'.repeat(43)}`]) {
      const page = await fetch(`${shop.url}/checkout/${rows[0]?.id}`, { headers: { cookie } });
      expect(page.status).toBe(404);
      expect((await fetch(`${shop.url}/checkout/${rows[0]?.id}/events`, { headers: { cookie } })).status).toBe(404);
    }
  });
});
