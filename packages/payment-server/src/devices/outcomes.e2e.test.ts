import type { AnsweredRequest, OutcomeEvent } from '@caisse/protocol';
import { createSandboxAcquirer, type RunningSandboxBank, startSandboxBank } from '@caisse/sandbox-bank';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDevice } from '../__fixtures__/device.js';
import { type DeviceWorld, problem, type SseEvent, serverDrivers, sseReader, startDeviceWorld } from './__fixtures__/world.js';

/**
 * The phone learns how the checkout it answered ended (docs/device-api.md, "Outcomes"):
 * live as the stream's `outcome` event, sent in the transaction that ends the session,
 * and later from `GET /device/history`. Amounts from 50.00 EUR go through the sandbox
 * bank over real HTTP; below, the wallet pays.
 */
const drivers = await serverDrivers('devices-outcomes');

describe.each(drivers)('outcomes on the phone on $name', (driver) => {
  let world: DeviceWorld;
  let bank: RunningSandboxBank;
  let drop = async () => {};

  beforeAll(async () => {
    const database = await driver.url();
    drop = database.drop;
    bank = await startSandboxBank();
    world = await startDeviceWorld(database.url, { CAISSE_WALLET_THRESHOLDS: '*:5000' }, undefined, {
      acquirer: createSandboxAcquirer({ url: bank.url, timeoutMs: 2_000 }),
    });
  });
  afterAll(async () => {
    await world?.close();
    await bank?.close();
    await drop();
  });

  /** A customer with 100.00 EUR in the wallet, a bank that answers as `bankRef` says, and a phone (PIN 4821). */
  async function customer(bankRef: string): Promise<{ id: string; phone: TestDevice }> {
    const id = await world.customer();
    await world.server.customers.walletCredit(id, 'EUR', 10_000n, { idempotencyKey: `fund-${id}` });
    await world.server.customers.setBankRef(id, bankRef);
    return { id, phone: await world.phone(id) };
  }

  /** The phone's live stream, and a reader that keeps every event it read. */
  async function stream(phone: TestDevice) {
    const response = await phone.call('/device/requests', { headers: { accept: 'text/event-stream' } });
    expect(response.status).toBe(200);
    const reader = sseReader(response);
    const seen: SseEvent[] = [];
    return {
      seen,
      /** Reads on until the `outcome` of request `id`. */
      async outcomeOf(id: string): Promise<OutcomeEvent> {
        for (;;) {
          const event = await reader.next();
          if (event === undefined) throw new Error('the stream ended');
          seen.push(event);
          if (event.event === 'outcome' && (JSON.parse(event.data) as OutcomeEvent).id === id) return JSON.parse(event.data);
        }
      },
      cancel: reader.cancel,
    };
  }

  async function history(phone: TestDevice, query = ''): Promise<AnsweredRequest[]> {
    const response = await phone.call(`/device/history${query}`, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    return ((await response.json()) as { requests: AnsweredRequest[] }).requests;
  }

  it('tells the phone paid with the payment id, or refused by the bank after the approval, and lists both in its history', async () => {
    const alice = await customer('test_insufficient_funds');
    const bob = await customer('test_approve');
    const aliceStream = await stream(alice.phone);
    const bobStream = await stream(bob.phone);

    // The wallet pays at once: the outcome names the payment as the voucher does.
    const wallet = await world.checkout(alice.id, 1_250);
    expect(await (await alice.phone.send(wallet.request, 'approve', '4821')).json()).toEqual({ state: 'approved' });
    const voucher = await world.voucher(wallet.ticket);
    expect(voucher?.jti).toMatch(/^pay_\d+$/);
    expect(await aliceStream.outcomeOf(wallet.request.id)).toEqual({
      id: wallet.request.id,
      outcome: { status: 'paid', paymentId: voucher?.jti },
    });

    // The phone approved; the bank declines afterwards: the phone hears the truth, not "approved".
    const banked = await world.checkout(alice.id, 6_000);
    expect(await (await alice.phone.send(banked.request, 'approve', '4821')).json()).toEqual({ state: 'approved' });
    expect(await world.voucher(banked.ticket)).toBeUndefined();
    expect(await aliceStream.outcomeOf(banked.request.id)).toEqual({
      id: banked.request.id,
      outcome: { status: 'refused', reason: 'bank_declined' },
    });

    // Offline at that moment, the phone reads it later: newest first.
    const answered = await history(alice.phone);
    expect(answered).toEqual([
      {
        id: banked.request.id,
        payee: banked.request.payee,
        amount: 6_000,
        currency: 'EUR',
        answer: 'approved',
        answeredAt: expect.any(Number),
        outcome: { status: 'refused', reason: 'bank_declined' },
      },
      {
        id: wallet.request.id,
        payee: wallet.request.payee,
        amount: 1_250,
        currency: 'EUR',
        answer: 'approved',
        answeredAt: expect.any(Number),
        outcome: { status: 'paid', paymentId: voucher?.jti },
      },
    ]);

    // Bob's phone hears of his own payment only; his history holds his alone.
    const own = await world.checkout(bob.id, 7_000);
    expect((await bob.phone.send(own.request, 'approve', '4821')).status).toBe(200);
    const bobVoucher = await world.voucher(own.ticket);
    expect(bobVoucher).toMatchObject({ funding: 'bank' });
    expect(await bobStream.outcomeOf(own.request.id)).toEqual({
      id: own.request.id,
      outcome: { status: 'paid', paymentId: bobVoucher?.jti },
    });
    const bobSaw = bobStream.seen.map((event) => event.data).join('\n');
    expect(bobSaw).not.toContain(wallet.request.id);
    expect(bobSaw).not.toContain(banked.request.id);
    expect((await history(bob.phone)).map((entry) => entry.id)).toEqual([own.request.id]);
    await aliceStream.cancel();
    await bobStream.cancel();
  });

  it('a decline is refused customer_declined; unanswered requests are not listed', async () => {
    const carol = await customer('test_approve');
    const carolStream = await stream(carol.phone);
    const declined = await world.checkout(carol.id, 900);
    expect((await carol.phone.send(declined.request, 'decline')).status).toBe(200);
    expect(await carolStream.outcomeOf(declined.request.id)).toEqual({
      id: declined.request.id,
      outcome: { status: 'refused', reason: 'customer_declined' },
    });
    // Never answered on the phone: no outcome to tell, nothing in the history.
    const unanswered = await world.checkout(carol.id, 800);
    const listed = await history(carol.phone);
    expect(listed.map((entry) => [entry.id, entry.answer, entry.outcome])).toEqual([
      [declined.request.id, 'declined', { status: 'refused', reason: 'customer_declined' }],
    ]);
    expect(listed.map((entry) => entry.id)).not.toContain(unanswered.request.id);
    await carolStream.cancel();
  });

  it('pages with limit and before; a bad query is request_invalid', async () => {
    const dave = await customer('test_approve');
    const ids: string[] = [];
    for (const amount of [100, 200, 300]) {
      const { request } = await world.checkout(dave.id, amount);
      expect((await dave.phone.send(request, 'approve', '4821')).status).toBe(200);
      ids.unshift(request.id);
    }
    const first = await history(dave.phone, '?limit=2');
    expect(first.map((entry) => entry.id)).toEqual(ids.slice(0, 2));
    const next = await history(dave.phone, `?limit=2&before=${first.at(-1)?.id}`);
    expect(next.map((entry) => entry.id)).toEqual(ids.slice(2));
    expect(next[0]?.outcome.status).toBe('paid');

    for (const query of ['?limit=0', '?limit=101', '?limit=lots', '?before=cfr_not_one_of_yours_0000000000', '?colour=red']) {
      const response = await dave.phone.call(`/device/history${query}`, { headers: { accept: 'application/json' } });
      expect(await problem(response), query).toEqual({ status: 400, code: 'request_invalid' });
    }
    // Another customer's request is not a cursor either.
    const erin = await customer('test_approve');
    const response = await erin.phone.call(`/device/history?before=${ids[0]}`, { headers: { accept: 'application/json' } });
    expect(await problem(response)).toEqual({ status: 400, code: 'request_invalid' });
  });

  it('answers only enrolled devices', async () => {
    const response = await fetch(`${world.shop.url}/device/history`);
    expect((await problem(response)).code).toBe('assertion_missing');
  });
});
