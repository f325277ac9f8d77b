import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Allowance, type ConfirmationRequest, createDevice, isCaisseDeviceError, memoryStore } from '../src/index.js';
import { type CUSTOMERS, startPaymentServer, type TestPaymentServer } from './payment-server.js';

/** Session allowances through the SDK against a real payment server: granted on the phone, listed, watched, revoked. */
let pay: TestPaymentServer;
beforeAll(async () => {
  pay = await startPaymentServer();
});
afterAll(async () => {
  await pay?.close();
});

async function enroll(customer: keyof typeof CUSTOMERS, pin: string) {
  const device = createDevice({ server: pay.url, store: memoryStore(), backoff: { initialDelay: 50, maxDelay: 200 } });
  return device.enroll({ code: await pay.enrollmentCode(customer), pin });
}

/** Resolves with the first list that `lists` holds from index `from` on and `test` accepts, within 15 s. */
async function until(lists: Allowance[][], test: (list: Allowance[]) => boolean, what: string, from = 0): Promise<Allowance[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = lists.slice(from).find(test);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; lists: ${JSON.stringify(lists)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('session allowances through the SDK', () => {
  it('grants one with the PIN, lists it, watches its revocation, and keeps it from another customer', async () => {
    const alice = await enroll('alice', '4821');
    const bob = await enroll('bob', '1357');
    expect(await alice.allowances()).toEqual([]);

    const lists: Allowance[][] = [];
    const controller = new AbortController();
    const watching = alice.watchAllowances((list) => lists.push(list), { signal: controller.signal, refreshEvery: 0 });
    await until(lists, (list) => list.length === 0, 'the first, empty list');

    const ticket = await pay.requestAllowance(2000, 'alice');
    const [request] = (await alice.pending()) as [ConfirmationRequest];
    // What the phone shows: the maximum as the amount, the terms, and always the PIN.
    expect(request).toMatchObject({
      amount: 2000,
      payee: { id: 'bookshop', name: 'The Bookshop' },
      allowance: { expiresAt: expect.any(Number) },
    });
    expect(request.approval).toBeUndefined();
    await expect(alice.approve(request)).rejects.toMatchObject({ code: 'pin_required' });
    await alice.approve(request, '4821');
    expect(await pay.outcome(ticket)).toMatchObject({ state: 'paid' });

    const [granted] = await until(lists, (list) => list.length === 1, 'the granted allowance');
    const listed = await alice.allowances();
    expect(listed).toEqual([granted]);
    expect(granted).toMatchObject({
      merchant: { id: 'bookshop', name: 'The Bookshop' },
      currency: 'EUR',
      maximum: 2000,
      chargeCap: null,
      period: null,
      used: 0,
      remaining: 2000,
      chargeCount: 0,
    });
    expect(granted?.expiresAt.getTime()).toBe((request.allowance?.expiresAt ?? 0) * 1000);
    expect(granted?.grantedAt).toBeInstanceOf(Date);
    const id = granted?.id as string;

    // Bob's phone cannot see it or end it: another customer's allowance is unknown, as one that does not exist.
    expect(await bob.allowances()).toEqual([]);
    const foreign = await bob.revokeAllowance(id).catch((error: unknown) => error);
    expect(isCaisseDeviceError(foreign, 'allowance_unknown')).toBe(true);
    expect(foreign).toMatchObject({ status: 404, serverCode: 'allowance_unknown' });
    expect(await alice.allowances()).toHaveLength(1);

    // Revoked from elsewhere (the server, as the account page would): the watch hears of it.
    const before = lists.length;
    await pay.server.allowances.revoke('alice', id);
    await until(lists, (list) => list.length === 0, 'the revocation', before);
    expect(await alice.allowances()).toEqual([]);

    controller.abort();
    await watching;
    await alice.revoke();
    await bob.revoke();
  });

  it('revokes from the phone: the answer is the list left, and revoking again changes nothing', async () => {
    const carol = await enroll('carol', '2468');
    const first = await pay.requestAllowance(1500, 'carol');
    const second = await pay.requestAllowance(500, 'carol');
    for (const request of await carol.pending()) await carol.approve(request, '2468');
    expect(await pay.outcome(first)).toMatchObject({ state: 'paid' });
    expect(await pay.outcome(second)).toMatchObject({ state: 'paid' });
    const both = await carol.allowances();
    expect(both.map((allowance) => allowance.maximum).sort()).toEqual([1500, 500]);

    const [ended, kept] = both as [Allowance, Allowance];
    expect(await carol.revokeAllowance(ended.id)).toEqual([kept]);
    expect(await carol.revokeAllowance(ended.id)).toEqual([kept]);
    expect(await carol.allowances()).toEqual([kept]);
    await carol.revoke();
  });
});
