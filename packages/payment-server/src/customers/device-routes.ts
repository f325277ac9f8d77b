import { isCurrencyCode, planChange } from '@caisse/protocol';
import type { Hono } from 'hono';
import { z } from 'zod';
import { jsonBody } from '../api/json-body.js';
import { createDeviceAuth } from '../devices/authenticate.js';
import { pinProof } from '../devices/model.js';
import type { DeviceService } from '../devices/service.js';
import { ProblemError } from '../http/problem.js';
import type { Logger } from '../log.js';
import type { Queryable } from '../storage/database.js';
import type { CurrencyOverview, CustomerOverviewReader, SpentInPeriod } from './overview.js';
import type { CustomerPlan, PlanService } from './plans.js';

const planRequest = z.strictObject({ currency: z.string(), change: planChange, pinProof });

export interface PlanDeviceDeps {
  issuer: string;
  db: Queryable;
  devices: Pick<DeviceService, 'credentials' | 'checkPin'>;
  plans: Pick<PlanService, 'get' | 'set'>;
  overview: Pick<CustomerOverviewReader, 'read'>;
  now?: () => Date;
  log?: Logger;
}

/** Amounts are bounded by the protocol (10^12 minor units) and sums by the ceilings: exact as doubles. */
const units = (value: bigint): number => Number(value);

function planJson({ plan, bounds, chosen }: CustomerPlan) {
  return {
    currency: plan.currency,
    plan: {
      means: plan.means,
      walletBelow: units(plan.walletBelow),
      bankWhenShort: plan.bankWhenShort,
      tapBelow: units(plan.tapBelow),
      dailyCeiling: units(plan.dailyCeiling),
      monthlyCeiling: units(plan.monthlyCeiling),
    },
    bounds: {
      walletThreshold: units(bounds.walletThreshold),
      tapLimit: units(bounds.tapLimit),
      dailyCeiling: units(bounds.dailyCeiling),
      monthlyCeiling: units(bounds.monthlyCeiling),
    },
    chosen,
  };
}

function periodJson(period: SpentInPeriod) {
  return {
    since: period.since.toISOString(),
    ceiling: units(period.ceiling),
    spent: units(period.spent),
    remaining: units(period.remaining),
    byMeans: { wallet: units(period.byMeans.wallet), bank: units(period.byMeans.bank) },
  };
}

function currencyJson(money: CurrencyOverview) {
  const { wallet } = money;
  return {
    ...planJson(money.plan),
    wallet:
      wallet === undefined
        ? null
        : { balance: units(wallet.balance), available: units(wallet.available), cap: wallet.cap === null ? null : units(wallet.cap) },
    points: units(money.points),
    day: periodJson(money.day),
    month: periodJson(money.month),
  };
}

/** A refused change names the request's fields: `change.walletBelow`, not the plan's `walletBelow`. */
function inChange(error: unknown): unknown {
  if (!(error instanceof ProblemError) || error.issues.length === 0) return error;
  const issues = error.issues.map((issue) => ({ path: `change.${issue.path}`, message: issue.message }));
  return new ProblemError(error.code, `${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}.`, { issues, cause: error });
}

/**
 * The customer's payment plan and money on the device API (docs/device-api.md, "The
 * payment plan"): `GET /device/plan`, `PUT /device/plan` (with a PIN proof bound to the
 * request's assertion) and `GET /device/overview`. Authenticated as every device request
 * is; mounted after `deviceRoutes`, whose CORS and body limit cover `/device/*`.
 * @example createApp({ routes: [deviceRoutes(deps), planDeviceRoutes({ issuer, db, devices, plans, overview })] })
 */
export function planDeviceRoutes(deps: PlanDeviceDeps): (app: Hono) => void {
  const auth = createDeviceAuth(deps);
  return (app) => {
    app.get('/device/plan', async (c) => {
      const { device } = await auth.enrolled(c);
      const currency = c.req.query('currency');
      if (currency === undefined || currency === '') {
        throw new ProblemError('request_invalid', 'currency: give the currency of the plan, e.g. ?currency=EUR.', {
          issues: [{ path: 'currency', message: 'is required' }],
        });
      }
      const plan = await deps.plans.get(device.customerId, currency);
      c.header('cache-control', 'no-store');
      return c.json(planJson(plan));
    });

    app.put('/device/plan', async (c) => {
      const { claims, device } = await auth.enrolled(c);
      // Everything that can be refused without the PIN is refused first: a malformed request never counts as a try.
      const body = await jsonBody(c, planRequest);
      if (!isCurrencyCode(body.currency)) throw new ProblemError('currency_unknown');
      await deps.devices.checkPin(device, 'plan-change', claims.jti, body.pinProof);
      const plan = await deps.plans.set(device.customerId, body.currency, body.change).catch((error: unknown) => {
        throw inChange(error);
      });
      c.header('cache-control', 'no-store');
      return c.json(planJson(plan));
    });

    app.get('/device/overview', async (c) => {
      const { device } = await auth.enrolled(c);
      const overview = await deps.overview.read(device.customerId);
      c.header('cache-control', 'no-store');
      return c.json({
        customer: { account: overview.customerId },
        at: overview.at.toISOString(),
        currencies: overview.currencies.map(currencyJson),
      });
    });
  };
}
