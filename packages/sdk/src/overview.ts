import * as z from 'zod';
import { type AccountPlan, accountPlan, minorUnits, type PlanMeans } from './plan.js';

/** What the customer paid in one calendar period (day or month, in the operator's time zone), in minor units. */
export interface SpentInPeriod {
  /** When the period started. */
  readonly since: Date;
  /** The ceiling payments are checked against: the customer's own, or the operator's when lower or not set. */
  readonly ceiling: number;
  /** Every payment of the period, net of refunds: what the ceiling counts. */
  readonly spent: number;
  /** What may still be paid in the period (0 when the customer lowered the ceiling below what was spent). */
  readonly remaining: number;
  /** Of `spent`, what each means paid. */
  readonly byMeans: Readonly<Record<PlanMeans, number>>;
}

/** The customer's money in one currency, with the plan that spends it. Amounts in minor units. */
export interface CurrencyMoney extends AccountPlan {
  /** `null` when the customer holds no wallet in this currency (the bank alone pays). */
  readonly wallet: {
    readonly balance: number;
    /** The balance less what payments still hold. */
    readonly available: number;
    /** Most the wallet may hold; `null`: no cap. */
    readonly cap: number | null;
  } | null;
  /** Loyalty points, valued in minor units of the currency. */
  readonly points: number;
  readonly day: SpentInPeriod;
  readonly month: SpentInPeriod;
}

/** `account.overview()`: every currency the customer holds a wallet or a plan in, by currency code. */
export interface MoneyOverview {
  /** The instant the server read it at; `day` and `month` are the periods containing it. */
  readonly at: Date;
  readonly currencies: readonly CurrencyMoney[];
}

const instant = z.iso.datetime().transform((text) => new Date(text));

const period = z.object({
  since: instant,
  ceiling: minorUnits,
  spent: minorUnits,
  remaining: minorUnits,
  byMeans: z.object({ wallet: minorUnits, bank: minorUnits }),
});

/** The answer of `GET /device/overview`; members the SDK does not know are dropped. */
export const moneyOverview = z.object({
  at: instant,
  currencies: z.array(
    accountPlan.extend({
      wallet: z.object({ balance: minorUnits, available: minorUnits, cap: minorUnits.nullable() }).nullable(),
      points: minorUnits,
      day: period,
      month: period,
    }),
  ),
}) satisfies z.ZodType<MoneyOverview, unknown>;
