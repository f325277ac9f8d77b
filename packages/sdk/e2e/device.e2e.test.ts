import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileStore } from '../src/file-store.js';
import { type Account, type ConfirmationRequest, createDevice, isCaisseDeviceError, memoryStore, type RequestEvent } from '../src/index.js';
import { type CUSTOMERS, startPaymentServer, type TestPaymentServer } from './payment-server.js';

/** The SDK in Node against a real payment server: every call of the device API, for real. */
let pay: TestPaymentServer;
beforeAll(async () => {
  pay = await startPaymentServer();
});
afterAll(async () => {
  await pay?.close();
});

/** Follows an account's stream in the background, collecting events, until `stop()`. */
function follow(account: Account) {
  const controller = new AbortController();
  const events: RequestEvent[] = [];
  let failure: unknown;
  const waiters = new Set<() => void>();
  const done = (async () => {
    try {
      for await (const event of account.requests({ signal: controller.signal })) {
        events.push(event);
        for (const wake of waiters) wake();
      }
    } catch (error) {
      failure = error;
      for (const wake of waiters) wake();
    }
  })();
  async function until<T>(find: () => T | undefined, what: string): Promise<T> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(events.map((e) => e.type))}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          waiters.delete(wake);
          resolve();
        };
        waiters.add(wake);
        setTimeout(wake, 200);
      });
    }
  }
  return {
    events,
    failure: () => failure,
    request: (amount: number) =>
      until(() => {
        const event = events.find((each) => each.type === 'request' && each.request.amount === amount);
        return event?.type === 'request' ? event.request : undefined;
      }, `a request of ${amount}`),
    closed: (id: string) =>
      until(() => {
        const event = events.find((each) => each.type === 'closed' && each.id === id);
        return event?.type === 'closed' ? event.state : undefined;
      }, `the closing of ${id}`),
    ended: () => until(() => failure, 'the stream to fail'),
    opened: () => until(() => events.find((each) => each.type === 'open'), 'the stream to open'),
    async stop() {
      controller.abort();
      await done;
    },
  };
}

async function enroll(options: { account?: keyof typeof CUSTOMERS; pin?: string; algorithm?: 'EdDSA' | 'ES256' } = {}) {
  const device = createDevice({
    server: pay.url,
    store: memoryStore(),
    backoff: { initialDelay: 50, maxDelay: 200 },
    ...(options.algorithm ? { algorithm: options.algorithm } : {}),
  });
  const account = await device.enroll({ code: await pay.enrollmentCode(options.account), pin: options.pin ?? '4821', name: 'Test phone' });
  return { device, account };
}

describe('the SDK against a real payment server', () => {
  it('enrols with a one-time code, which then cannot be used again', async () => {
    const code = await pay.enrollmentCode();
    const store = fileStore(join(mkdtempSync(join(tmpdir(), 'caisse-sdk-e2e-')), 'device.json'));
    const device = createDevice({ server: pay.url, store });
    const account = await device.enroll({ code, pin: '4821' });
    expect(account).toMatchObject({ account: 'alice', server: pay.url, algorithm: 'EdDSA' });
    expect(account.deviceId).toMatch(/^dev-[A-Za-z0-9_-]{43}$/);
    await expect(device.enroll({ code, pin: '4821' })).rejects.toSatisfy((error) => isCaisseDeviceError(error, 'enrollment_code_invalid'));
    expect((await device.accounts()).map((each) => each.deviceId)).toEqual([account.deviceId]);
    // Keys read back from the file sign: the account answers the device API.
    const [reloaded] = await createDevice({ server: pay.url, store }).accounts();
    await expect(reloaded?.pending()).resolves.toEqual([]);
    await account.revoke();
  });

  it('streams a request, approves it with the PIN, and the payment is paid', async () => {
    const { account } = await enroll();
    const stream = follow(account);
    const ticket = await pay.requestPayment(1290);
    const request = await stream.request(1290);
    expect(request).toMatchObject({
      payee: { id: 'bookshop', name: 'The Bookshop' },
      currency: 'EUR',
      items: [{ label: 'Le Petit Prince' }],
    });
    expect((await account.pending()).map((each) => each.id)).toEqual([request.id]);
    await expect(account.approve(request, '4821')).resolves.toBe('approved');
    expect(await pay.outcome(ticket)).toMatchObject({ state: 'paid' });
    expect(await stream.closed(request.id)).toBe('approved');
    expect(await account.pending()).toEqual([]);
    await expect(account.approve(request, '4821')).rejects.toSatisfy((error) => isCaisseDeviceError(error, 'confirmation_answered'));
    await stream.stop();
    await account.revoke();
  });

  it('works on a phone whose clock is minutes off: the server refuses once, its Date corrects the clock', async () => {
    for (const skew of [10 * 60_000, -7 * 60_000]) {
      const device = createDevice({
        server: pay.url,
        store: memoryStore(),
        backoff: { initialDelay: 50, maxDelay: 200 },
        now: () => new Date(Date.now() + skew),
      });
      const account = await device.enroll({ code: await pay.enrollmentCode(), pin: '4821' });
      const stream = follow(account);
      const ticket = await pay.requestPayment(1291);
      const request = await stream.request(1291);
      await expect(account.approve(request, '4821')).resolves.toBe('approved');
      expect(await pay.outcome(ticket)).toMatchObject({ state: 'paid' });
      await account.changePin('4821', '9753');
      expect(stream.failure()).toBeUndefined();
      await stream.stop();
      await account.revoke();
    }
  });

  it('declines: the payment is refused with customer_declined', async () => {
    const { account } = await enroll({ algorithm: 'ES256' });
    expect(account.algorithm).toBe('ES256');
    const ticket = await pay.requestPayment(450);
    const [request] = await account.pending();
    await expect(account.decline(request as ConfirmationRequest)).resolves.toBe('declined');
    const outcome = await pay.outcome(ticket);
    expect(outcome.state).toBe('refused');
    const refusal = JSON.parse(Buffer.from(String(outcome.refusal).split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown;
    expect(refusal).toMatchObject({ reason: 'customer_declined' });
    await account.revoke();
  });

  it('counts a wrong PIN (attemptsLeft), a right one resets the count; the fifth wrong one locks the account', async () => {
    const { account } = await enroll({ account: 'carol', pin: '123456' });
    await pay.requestPayment(300, 'carol');
    const [request] = (await account.pending()) as [ConfirmationRequest];
    const wrong = await account.approve(request, '654321').catch((error: unknown) => error);
    expect(wrong).toMatchObject({ name: 'CaisseDeviceError', code: 'pin_invalid', attemptsLeft: 4 });
    await expect(account.approve(request, '123456')).resolves.toBe('approved');

    await pay.requestPayment(301, 'carol');
    const [next] = (await account.pending()) as [ConfirmationRequest];
    const lefts: unknown[] = [];
    for (let i = 0; i < 4; i++)
      lefts.push(await account.approve(next, '000000').catch((error: unknown) => (error as { attemptsLeft?: number }).attemptsLeft));
    expect(lefts).toEqual([4, 3, 2, 1]);
    await expect(account.approve(next, '000000')).rejects.toSatisfy((error) => isCaisseDeviceError(error, 'account_locked'));
    // Locked: even the right PIN is refused.
    await expect(account.approve(next, '123456')).rejects.toSatisfy((error) => isCaisseDeviceError(error, 'account_locked'));
    await account.revoke();
  });

  it('changes the PIN: the new one approves, the old one is wrong', async () => {
    const { account } = await enroll({ pin: '1111' });
    await expect(account.changePin('2222', '3333')).rejects.toSatisfy((error) => isCaisseDeviceError(error, 'pin_invalid'));
    await account.changePin('1111', '3333');
    await pay.requestPayment(200);
    const [request] = (await account.pending()) as [ConfirmationRequest];
    await expect(account.approve(request, '1111')).rejects.toSatisfy((error) => isCaisseDeviceError(error, 'pin_invalid'));
    await expect(account.approve(request, '3333')).resolves.toBe('approved');
    await account.revoke();
  });

  it('holds several customers on one device, each with its own key and PIN, each seeing only its own requests', async () => {
    const store = memoryStore();
    const device = createDevice({ server: pay.url, store });
    const alice = await device.enroll({ code: await pay.enrollmentCode('alice'), pin: '1357' });
    const bob = await device.enroll({ code: await pay.enrollmentCode('bob'), pin: '2468' });
    expect((await device.accounts()).map((each) => each.account)).toEqual(['alice', 'bob']);
    expect(alice.deviceId).not.toBe(bob.deviceId);
    await pay.requestPayment(777, 'bob');
    expect(await alice.pending()).toEqual([]);
    const [request] = (await bob.pending()) as [ConfirmationRequest];
    // Alice's key cannot answer Bob's request: to her device it does not exist.
    await expect(alice.approve(request, '1357')).rejects.toSatisfy((error) => isCaisseDeviceError(error, 'confirmation_unknown'));
    await expect(bob.approve(request, '2468')).resolves.toBe('approved');
    await alice.revoke();
    await bob.revoke();
  });

  it('revoked: the live stream ends with device_revoked and every call is refused', async () => {
    const { device, account } = await enroll();
    const stream = follow(account);
    await stream.opened();
    const [again] = await device.accounts();
    await pay.server.devices.revoke(account.deviceId);
    expect(isCaisseDeviceError(await stream.ended(), 'device_revoked')).toBe(true);
    await expect(again?.pending()).rejects.toSatisfy((error) => isCaisseDeviceError(error, 'device_revoked'));
    await stream.stop();
    // Revoking from the device after the operator did: forgotten here, no error.
    await account.revoke();
    expect(await device.accounts()).toEqual([]);
  }, 30_000);
});
