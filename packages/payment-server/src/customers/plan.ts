import type { PlanChange, PlanMeans } from '@caisse/protocol';
import { ProblemError } from '../http/problem.js';

/**
 * A customer's payment plan in one currency (seed 003, "son plan de paiement"), as the
 * authorisation applies it: every amount already within the operator's bounds.
 */
export interface PaymentPlan {
  readonly currency: string;
  /** The means that may pay, in the order they are tried. */
  readonly means: readonly PlanMeans[];
  /** The wallet pays amounts below this (minor units); at or above it, the next means. At most the operator's wallet threshold. */
  readonly walletBelow: bigint;
  /** When the wallet should pay but is short, the bank pays instead (if the plan has it); otherwise the customer is asked. */
  readonly bankWhenShort: boolean;
  /** Amounts below this are approved on the phone with a tap, without the PIN; 0: always the PIN. At most the operator's tap limit. */
  readonly tapBelow: bigint;
  /** Most the customer pays per calendar day: their own ceiling, or the operator's when lower or not set. */
  readonly dailyCeiling: bigint;
  readonly monthlyCeiling: bigint;
}

/** What the operator allows one customer in one currency: a plan never goes past any of these. */
export interface PlanBounds {
  readonly currency: string;
  /** CAISSE_WALLET_THRESHOLDS: the wallet pays only below it. */
  readonly walletThreshold: bigint;
  /** CAISSE_TAP_THRESHOLDS: the highest tap threshold a customer may choose (0: taps are off). */
  readonly tapLimit: bigint;
  /** The customer's limits set by the operator (`caisse-server customers limits`). */
  readonly dailyCeiling: bigint;
  readonly monthlyCeiling: bigint;
}

/** A plan as stored: the customer's choices, `undefined` ceilings meaning the operator's. */
export interface PlanChoices {
  readonly means: readonly PlanMeans[];
  readonly walletBelow: bigint;
  readonly bankWhenShort: boolean;
  readonly tapBelow: bigint;
  readonly dailyCeiling?: bigint;
  readonly monthlyCeiling?: bigint;
}

/**
 * The plan of a customer who never chose one: what the operator's threshold decided before
 * there were plans (the wallet below it, the bank at or above it), a short wallet refused
 * rather than charged to the bank unasked, and the PIN for every amount.
 */
export function defaultChoices(bounds: PlanBounds): PlanChoices {
  return { means: ['wallet', 'bank'], walletBelow: bounds.walletThreshold, bankWhenShort: false, tapBelow: 0n };
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);

/**
 * The plan the authorisation applies: the choices within the bounds as they are now. A
 * choice made under a bound the operator has since lowered is read as the new bound.
 */
export function effectivePlan(choices: PlanChoices, bounds: PlanBounds): PaymentPlan {
  return {
    currency: bounds.currency,
    means: choices.means,
    walletBelow: min(choices.walletBelow, bounds.walletThreshold),
    bankWhenShort: choices.bankWhenShort,
    tapBelow: min(choices.tapBelow, bounds.tapLimit),
    dailyCeiling: choices.dailyCeiling === undefined ? bounds.dailyCeiling : min(choices.dailyCeiling, bounds.dailyCeiling),
    monthlyCeiling: choices.monthlyCeiling === undefined ? bounds.monthlyCeiling : min(choices.monthlyCeiling, bounds.monthlyCeiling),
  };
}

/**
 * Which means pay `amount`, in the plan's order: the wallet only below its upper amount.
 * @example payingMeans(plan, 2_500n) // ['wallet', 'bank']
 */
export function payingMeans(plan: PaymentPlan, amount: bigint): PlanMeans[] {
  return plan.means.filter((means) => means !== 'wallet' || amount < plan.walletBelow);
}

/** Whether a tap, without the PIN, approves this amount under the plan. */
export function approvedByTap(plan: PaymentPlan, amount: bigint): boolean {
  return amount > 0n && amount < plan.tapBelow;
}

/**
 * Applies a parsed change to the current choices and checks the result against the
 * operator's bounds: a customer may lower any of them, never raise one.
 * @throws ProblemError `plan_out_of_bounds` with one issue per field past its bound, `request_invalid` (daily over monthly)
 */
export function changedChoices(current: PlanChoices, change: PlanChange, bounds: PlanBounds): PlanChoices {
  const minor = (value: number | undefined) => (value === undefined ? undefined : BigInt(value));
  const next: PlanChoices = {
    means: change.means ?? current.means,
    walletBelow: minor(change.walletBelow) ?? current.walletBelow,
    bankWhenShort: change.bankWhenShort ?? current.bankWhenShort,
    tapBelow: minor(change.tapBelow) ?? current.tapBelow,
    ...ceiling('dailyCeiling', change.dailyCeiling, current.dailyCeiling),
    ...ceiling('monthlyCeiling', change.monthlyCeiling, current.monthlyCeiling),
  };
  const issues: { path: string; message: string }[] = [];
  const over = (path: string, value: bigint | undefined, bound: bigint, what: string) => {
    if (value !== undefined && value > bound) issues.push({ path, message: `must not exceed ${what} (${bound} minor units)` });
  };
  over('walletBelow', next.walletBelow, bounds.walletThreshold, "the operator's wallet threshold");
  over('tapBelow', next.tapBelow, bounds.tapLimit, "the operator's tap limit");
  over('dailyCeiling', next.dailyCeiling, bounds.dailyCeiling, "the operator's daily ceiling");
  over('monthlyCeiling', next.monthlyCeiling, bounds.monthlyCeiling, "the operator's monthly ceiling");
  if (issues.length > 0) {
    throw new ProblemError('plan_out_of_bounds', `${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}.`, { issues });
  }
  const daily = next.dailyCeiling ?? bounds.dailyCeiling;
  const monthly = next.monthlyCeiling ?? bounds.monthlyCeiling;
  if (daily > monthly) {
    throw new ProblemError('request_invalid', 'dailyCeiling: must not exceed the monthly ceiling.', {
      issues: [{ path: 'dailyCeiling', message: 'must not exceed the monthly ceiling' }],
    });
  }
  return next;
}

function ceiling<K extends 'dailyCeiling' | 'monthlyCeiling'>(
  key: K,
  change: number | null | undefined,
  current: bigint | undefined,
): Partial<Record<K, bigint>> {
  const value = change === null ? undefined : change === undefined ? current : BigInt(change);
  return value === undefined ? {} : ({ [key]: value } as Partial<Record<K, bigint>>);
}
