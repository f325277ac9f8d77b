import { randomUUID } from 'node:crypto';
import type { ConfirmationRequest } from '@caisse/protocol';
import { createSandboxAcquirer, type RunningSandboxBank, startSandboxBank } from '@caisse/sandbox-bank';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { createTestDevice, type TestDevice } from '../__fixtures__/device.js';
import { startTestServer } from '../__fixtures__/payment-server.js';
import { problem, serverDrivers } from '../devices/__fixtures__/world.js';

const drivers = await serverDrivers('plan-device');
/** Every clock of these tests: the payment server's, the shop's, the bank's and the phones'. */
const NOW = new Date('2026-03-14T10:00:00Z');
const now = () => NOW;
const ACCESS_KEY = 'plan device key';

const DEFAULT_PLAN = {
  currency: 'EUR',
  plan: { means: ['wallet', 'bank'], walletBelow: 5_000, bankWhenShort: false, tapBelow: 0, dailyCeiling: 30_000, monthlyCeiling: 100_000 },
  bounds: { walletThreshold: 5_000, tapLimit: 2_000, dailyCeiling: 30_000, monthlyCeiling: 100_000 },
  chosen: false,
};

describe.each(drivers)('the payment plan and the money on the device API, on $name', (driver) => {
  let bank: RunningSandboxBank;
  let shop: Awaited<ReturnType<typeof startTestServer>>;
  let drop = async () => {};
  let customers = 0;

  beforeAll(async () => {
    const database = await driver.url();
    drop = database.drop;
    bank = await startSandboxBank({ now });
    shop = await startTestServer({
      ...(database.url ? { databaseUrl: database.url } : {}),
      now,
      acquirer: createSandboxAcquirer({ url: bank.url }),
      env: { CAISSE_WALLET_THRESHOLDS: '*:5000', CAISSE_TAP_THRESHOLDS: '*:2000', CAISSE_LOYALTY_RATE: '100' },
    });
  });
  afterAll(async () => {
    await shop?.close();
    await bank?.close();
    await drop();
  });

  /** A customer with 100.00 in a wallet capped at 200.00, a bank account, and a phone with PIN 4821. */
  async function customer(): Promise<{ id: string; phone: TestDevice }> {
    customers++;
    const id = `planner-${customers}-${randomUUID().slice(0, 6)}`;
    await shop.server.customers.add({
      accountId: id,
      phone: `+3362${String(customers).padStart(7, '0')}`,
      accessKey: ACCESS_KEY,
      limits: { EUR: { walletCap: 20_000n } },
    });
    await shop.server.customers.walletCredit(id, 'EUR', 10_000n, { idempotencyKey: `fund-${id}` });
    await shop.server.customers.setBankRef(id, 'test_approve');
    const phone = createTestDevice(shop.url, { now });
    const enrolled = await phone.enroll((await shop.server.devices.createCode(id)).code, { pin: '4821' });
    expect(enrolled.status).toBe(201);
    return { id, phone };
  }

  /** `PUT /device/plan` with the PIN proof bound to the request's own assertion. */
  function putPlan(phone: TestDevice, change: Record<string, unknown>, pin = '4821', currency = 'EUR') {
    const jti = randomUUID();
    return phone.call('/device/plan', {
      method: 'PUT',
      body: { currency, change, pinProof: phone.pinProof(pin, 'plan-change', jti) },
      claims: { jti },
    });
  }

  /**
   * Pays the shop on the hosted page: the access key, then the approval on the customer's
   * phone with the PIN. The funding of the payment made, if any.
   */
  async function pay({ id, phone }: { id: string; phone: TestDevice }, amount: number): Promise<string | undefined> {
    const serial = `order-${randomUUID().slice(0, 8)}`;
    const browser = new ScriptedBrowser(shop.url);
    const summary = await browser.go('/pay', { form: { ticket: shop.ticket(amount, { serial }).token } });
    await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(summary.html), account: id, accessKey: ACCESS_KEY },
    });
    const { requests } = (await (await phone.call('/device/requests')).json()) as { requests: ConfirmationRequest[] };
    expect(requests).toHaveLength(1);
    expect((await phone.send(requests[0] as ConfirmationRequest, 'approve', '4821')).status).toBe(200);
    const { rows } = await shop.server.db.query<{ funding: string }>('SELECT funding FROM payments WHERE order_serial = $1', [serial]);
    return rows[0]?.funding;
  }

  const storedPlans = async (customerId: string) =>
    (await shop.server.db.query('SELECT 1 FROM customer_plans WHERE customer_id = $1', [customerId])).rows.length;

  it("answers the operator's defaults before any choice, never cached", async () => {
    const { phone } = await customer();
    const response = await phone.call('/device/plan?currency=EUR');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual(DEFAULT_PLAN);
    expect(await problem(await phone.call('/device/plan'))).toEqual({ status: 400, code: 'request_invalid' });
    expect(await problem(await phone.call('/device/plan?currency=XYZ'))).toEqual({ status: 400, code: 'currency_unknown' });
  });

  it('refuses each field past its operator bound with plan_out_of_bounds, storing nothing', async () => {
    const { id, phone } = await customer();
    for (const change of [{ walletBelow: 5_001 }, { tapBelow: 2_001 }, { dailyCeiling: 30_001 }, { monthlyCeiling: 100_001 }]) {
      const response = await putPlan(phone, change);
      expect(response.status).toBe(422);
      expect(await response.json()).toMatchObject({
        code: 'plan_out_of_bounds',
        issues: [{ path: `change.${Object.keys(change)[0]}`, message: expect.stringContaining("the operator's") }],
      });
    }
    expect(await storedPlans(id)).toBe(0);
    expect(await (await phone.call('/device/plan?currency=EUR')).json()).toEqual(DEFAULT_PLAN);
    // The PIN was right each time: nothing counts against the account.
    expect((await shop.server.customers.get(id)).failedAttempts).toBe(0);
  });

  it('refuses malformed changes before the PIN is checked: nothing counted, nothing stored', async () => {
    const { id, phone } = await customer();
    for (const change of [{ walletBelow: '1000' }, { tapBelow: 1.5 }, { means: ['bank', 'bank'] }, { means: [] }, { colour: 'red' }]) {
      expect(await problem(await putPlan(phone, change, '0000'))).toEqual({ status: 400, code: 'request_invalid' });
    }
    expect(await problem(await putPlan(phone, { tapBelow: 100 }, '0000', 'XYZ'))).toEqual({ status: 400, code: 'currency_unknown' });
    const noProof = await phone.call('/device/plan', { method: 'PUT', body: { currency: 'EUR', change: { tapBelow: 100 } } });
    expect(await problem(noProof)).toEqual({ status: 400, code: 'request_invalid' });
    expect((await shop.server.customers.get(id)).failedAttempts).toBe(0);
    expect(await storedPlans(id)).toBe(0);
  });

  it('counts a wrong PIN, changes nothing, and locks the account at the fifth', async () => {
    const { id, phone } = await customer();
    for (const attemptsLeft of [4, 3, 2, 1]) {
      expect(await problem(await putPlan(phone, { means: ['bank'] }, '0000'))).toEqual({ status: 401, code: 'pin_invalid', attemptsLeft });
    }
    expect(await problem(await putPlan(phone, { means: ['bank'] }, '0000'))).toEqual({ status: 423, code: 'account_locked' });
    // Locked: the right PIN is refused too.
    expect(await problem(await putPlan(phone, { means: ['bank'] }))).toEqual({ status: 423, code: 'account_locked' });
    expect((await shop.server.customers.get(id)).lockedAt).not.toBeNull();
    expect((await shop.server.alerts.list()).filter((alert) => alert.kind === 'account_locked' && alert.subject === id)).toHaveLength(1);
    expect(await storedPlans(id)).toBe(0);
  });

  it('stores a change made with the right PIN, and the next payment follows it', async () => {
    const planner = await customer();
    const { phone } = planner;
    expect(await pay(planner, 1_000)).toBe('wallet');
    const response = await putPlan(phone, { means: ['bank', 'wallet'], tapBelow: 1_500, dailyCeiling: 20_000 });
    expect(response.status).toBe(200);
    const changed = {
      ...DEFAULT_PLAN,
      plan: { ...DEFAULT_PLAN.plan, means: ['bank', 'wallet'], tapBelow: 1_500, dailyCeiling: 20_000 },
      chosen: true,
    };
    expect(await response.json()).toEqual(changed);
    expect(await (await phone.call('/device/plan?currency=EUR')).json()).toEqual(changed);
    expect(await pay(planner, 1_000)).toBe('bank');
    // Back to the operator's ceiling with null.
    expect((await (await putPlan(phone, { dailyCeiling: null })).json()).plan.dailyCeiling).toBe(30_000);
  });

  it('shows the balance, the points and what was spent today and this month per means, against the ceilings', async () => {
    const payer = await customer();
    const { id, phone } = payer;
    expect(await pay(payer, 1_250)).toBe('wallet');
    // At or above the wallet threshold (50.00): the bank.
    expect(await pay(payer, 6_000)).toBe('bank');
    await shop.server.plans.set(id, 'EUR', { dailyCeiling: 20_000 });
    const response = await phone.call('/device/overview');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const byMeans = { wallet: 1_250, bank: 6_000 };
    expect(await response.json()).toEqual({
      customer: { account: id },
      at: NOW.toISOString(),
      currencies: [
        {
          ...DEFAULT_PLAN,
          plan: { ...DEFAULT_PLAN.plan, dailyCeiling: 20_000 },
          chosen: true,
          wallet: { balance: 8_750, available: 8_750, cap: 20_000 },
          // 1 % of each payment: 12 + 60.
          points: 72,
          day: { since: '2026-03-14T00:00:00.000Z', ceiling: 20_000, spent: 7_250, remaining: 12_750, byMeans },
          month: { since: '2026-03-01T00:00:00.000Z', ceiling: 100_000, spent: 7_250, remaining: 92_750, byMeans },
        },
      ],
    });
  });

  it("shows each customer only their own plan and money, whatever the other's phone does", async () => {
    const anna = await customer();
    const ben = await customer();
    expect(await pay(anna, 2_000)).toBe('wallet');
    expect((await putPlan(anna.phone, { means: ['wallet'] })).status).toBe(200);
    expect(await (await ben.phone.call('/device/plan?currency=EUR')).json()).toEqual(DEFAULT_PLAN);
    const overview = (await (await ben.phone.call('/device/overview')).json()) as {
      customer: { account: string };
      currencies: { wallet: { balance: number }; day: { spent: number } }[];
    };
    expect(overview.customer.account).toBe(ben.id);
    expect(overview.currencies).toMatchObject([{ chosen: false, wallet: { balance: 10_000 }, day: { spent: 0 } }]);
    // Ben's wrong PIN counts on Ben's account only.
    expect((await putPlan(ben.phone, { means: ['bank'] }, '0000')).status).toBe(401);
    expect((await shop.server.customers.get(anna.id)).failedAttempts).toBe(0);
    expect((await shop.server.customers.get(ben.id)).failedAttempts).toBe(1);
  });

  it('answers a CORS preflight for PUT /device/plan', async () => {
    const preflight = await fetch(`${shop.url}/device/plan`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://phone.example',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT');
  });
});
