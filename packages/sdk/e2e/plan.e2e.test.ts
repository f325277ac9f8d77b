import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConfirmationRequest, createDevice, isCaisseDeviceError, memoryStore } from '../src/index.js';
import { startPaymentServer, type TestPaymentServer } from './payment-server.js';

/** The payment plan and the money overview through the SDK, against a real payment server. */
let pay: TestPaymentServer;
beforeAll(async () => {
  pay = await startPaymentServer();
});
afterAll(async () => {
  await pay?.close();
});

/** What the operator's defaults give a customer who never chose (EUR: wallet below 50.00, taps up to 20.00, 300.00 / 1 000.00). */
const BOUNDS = { walletThreshold: 5000, tapLimit: 2000, dailyCeiling: 30000, monthlyCeiling: 100000 };
const DEFAULT_PLAN = {
  means: ['wallet', 'bank'],
  walletBelow: 5000,
  bankWhenShort: false,
  tapBelow: 0,
  dailyCeiling: 30000,
  monthlyCeiling: 100000,
};

describe('the payment plan through the SDK', () => {
  it('reads the default plan, refuses a wrong PIN and values past the bounds, then changes it with the right PIN', async () => {
    const account = await createDevice({ server: pay.url, store: memoryStore() }).enroll({
      code: await pay.enrollmentCode('bob'),
      pin: '4821',
    });
    expect(await account.plan('EUR')).toEqual({ currency: 'EUR', plan: DEFAULT_PLAN, bounds: BOUNDS, chosen: false });

    const wrong = await account.setPlan('EUR', { tapBelow: 1500 }, '1234').catch((error: unknown) => error);
    expect(wrong).toMatchObject({ name: 'CaisseDeviceError', code: 'pin_invalid', attemptsLeft: 4, status: 401 });

    const past = await account.setPlan('EUR', { walletBelow: 6000, tapBelow: 2500 }, '4821').catch((error: unknown) => error);
    expect(isCaisseDeviceError(past, 'plan_out_of_bounds')).toBe(true);
    expect(past).toMatchObject({
      status: 422,
      issues: [
        { path: 'walletBelow', message: expect.stringContaining('5000') },
        { path: 'tapBelow', message: expect.stringContaining('2000') },
      ],
    });
    // Each ceiling within its bound, but the daily one over the monthly one.
    const crossed = await account.setPlan('EUR', { dailyCeiling: 20000, monthlyCeiling: 10000 }, '4821').catch((error: unknown) => error);
    expect(crossed).toMatchObject({ code: 'plan_invalid', status: 400, issues: [{ path: 'dailyCeiling' }] });
    expect((await pay.server.plans.get('bob', 'EUR')).chosen).toBe(false);

    const change = { means: ['bank', 'wallet'] as const, walletBelow: 3000, bankWhenShort: true, tapBelow: 1500, dailyCeiling: 20000 };
    const saved = await account.setPlan('EUR', change, '4821');
    expect(saved).toEqual({ currency: 'EUR', plan: { ...DEFAULT_PLAN, ...change }, bounds: BOUNDS, chosen: true });
    expect(await account.plan('EUR')).toEqual(saved);
    const stored = await pay.server.plans.get('bob', 'EUR');
    expect(stored.plan).toMatchObject({ means: ['bank', 'wallet'], walletBelow: 3000n, tapBelow: 1500n, dailyCeiling: 20000n });

    // Back to the operator's ceiling.
    expect((await account.setPlan('EUR', { dailyCeiling: null }, '4821')).plan.dailyCeiling).toBe(30000);
    await account.revoke();
  });

  it('keeps each customer of a shared phone to their own plan', async () => {
    const device = createDevice({ server: pay.url, store: memoryStore() });
    const alice = await device.enroll({ code: await pay.enrollmentCode('alice'), pin: '1357' });
    const carol = await device.enroll({ code: await pay.enrollmentCode('carol'), pin: '2468' });
    // Alice's PIN is not Carol's: the proof is checked against the verifier of the device key that signed.
    await expect(carol.setPlan('EUR', { tapBelow: 900 }, '1357')).rejects.toMatchObject({ code: 'pin_invalid' });
    await carol.setPlan('EUR', { tapBelow: 900 }, '2468');
    expect((await carol.plan('EUR')).plan.tapBelow).toBe(900);
    expect((await alice.plan('EUR')).plan.tapBelow).toBe(0);
    await alice.revoke();
    await carol.revoke();
  });
});

describe('the money overview through the SDK', () => {
  it('shows the wallet, and a paid payment in what was spent today and this month, by the wallet', async () => {
    const account = await createDevice({ server: pay.url, store: memoryStore() }).enroll({
      code: await pay.enrollmentCode('alice'),
      pin: '4821',
    });
    const ticket = await pay.requestPayment(1290, 'alice');
    const [request] = (await account.pending()) as [ConfirmationRequest];
    await account.approve(request, '4821');
    expect(await pay.outcome(ticket)).toMatchObject({ state: 'paid' });

    const overview = await account.overview();
    expect(overview.currencies.map((money) => money.currency)).toEqual(['EUR']);
    const [eur] = overview.currencies;
    expect(eur).toMatchObject({
      currency: 'EUR',
      wallet: { balance: 10_000 - 1290, cap: 15_000 },
      points: expect.any(Number),
      day: { ceiling: 30000, spent: 1290, remaining: 30000 - 1290, byMeans: { wallet: 1290, bank: 0 } },
      month: { ceiling: 100000, spent: 1290, byMeans: { wallet: 1290, bank: 0 } },
      plan: { means: ['wallet', 'bank'] },
      bounds: BOUNDS,
    });
    expect(eur?.day.since.getTime()).toBeLessThanOrEqual(overview.at.getTime());
    expect(eur?.month.since.getTime()).toBeLessThanOrEqual(eur?.day.since.getTime() ?? 0);
    await account.revoke();
  });
});
