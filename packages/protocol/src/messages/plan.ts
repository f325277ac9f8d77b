import * as z from 'zod';
import { LIMITS } from '../limits.js';
import { amount, currency } from './fields.js';

/** An amount a customer types into a plan: the words say what is wrong with it. */
const typedAmount = z.int('must be a whole number of minor units').min(0, 'must not be negative').max(LIMITS.amount);

/** The means a customer's payment plan orders. Loyalty points are chosen per payment, not in the plan. */
export const PLAN_MEANS = ['wallet', 'bank'] as const;
export type PlanMeans = (typeof PLAN_MEANS)[number];

/**
 * A change of a customer's payment plan in one currency (seed 003, "plan de paiement"),
 * as the phone sends it (`PUT /device/plan`) and the payment server applies it: the
 * fields given replace the current ones; a `null` ceiling goes back to the operator's.
 * Amounts are minor units. The bounds the operator sets are checked by the server.
 */
export const planChange = z.strictObject({
  means: z
    .array(z.enum(PLAN_MEANS))
    .min(1, 'must name at least one means')
    .max(PLAN_MEANS.length)
    .refine((means) => new Set(means).size === means.length, 'must not name a means twice')
    .optional(),
  /** The wallet pays amounts below this. */
  walletBelow: typedAmount.optional(),
  /** A short wallet falls to the bank without asking. */
  bankWhenShort: z.boolean().optional(),
  /** Amounts below this are approved on the phone with a tap, without the PIN; 0: always the PIN. */
  tapBelow: typedAmount.optional(),
  dailyCeiling: typedAmount.nullable().optional(),
  monthlyCeiling: typedAmount.nullable().optional(),
});

/** A payment plan as the server applies it: every amount within the operator's bounds. */
export const paymentPlan = z.object({
  means: z.array(z.enum(PLAN_MEANS)),
  walletBelow: amount,
  bankWhenShort: z.boolean(),
  tapBelow: amount,
  dailyCeiling: amount,
  monthlyCeiling: amount,
});

/** What the operator allows one customer in one currency: a plan never goes past any of these. */
export const planBounds = z.object({
  /** The highest `walletBelow`. */
  walletThreshold: amount,
  /** The highest `tapBelow` (0: taps are off). */
  tapLimit: amount,
  dailyCeiling: amount,
  monthlyCeiling: amount,
});

/**
 * The answer of `GET` and `PUT /device/plan`: the plan, the bounds, and whether the
 * customer chose it (or has the operator's default). Answers are read leniently: a
 * member a newer server adds is dropped, not refused.
 */
export const accountPlan = z.object({
  currency,
  plan: paymentPlan,
  bounds: planBounds,
  chosen: z.boolean(),
});

/** What the customer paid in one calendar period (in the operator's time zone), net of refunds. */
const spentInPeriod = z.object({
  /** ISO 8601: when the period started. */
  since: z.iso.datetime(),
  ceiling: amount,
  spent: amount,
  /** What may still be paid in the period. */
  remaining: amount,
  /** Of `spent`, what each means paid. */
  byMeans: z.object({ wallet: amount, bank: amount }),
});

/** The answer of `GET /device/overview`: the customer's money in every currency they hold a wallet or a plan in. */
export const moneyOverview = z.object({
  /** ISO 8601: when the server read it; `day` and `month` are the periods containing it. */
  at: z.iso.datetime(),
  currencies: z.array(
    accountPlan.extend({
      /** `null` without a wallet in this currency. `available`: the balance less what payments still hold. */
      wallet: z.object({ balance: amount, available: amount, cap: amount.nullable() }).nullable(),
      /** Loyalty points, valued in minor units of the currency. */
      points: amount,
      day: spentInPeriod,
      month: spentInPeriod,
    }),
  ),
});

export type PlanChange = z.infer<typeof planChange>;
export type AccountPlanMessage = z.infer<typeof accountPlan>;
export type MoneyOverviewMessage = z.infer<typeof moneyOverview>;
