import type { PlanMeans } from '@caisse/protocol';
import { toDecimalString, toMinorUnits } from '@caisse/protocol';
import type { CurrencyOverview, SpentInPeriod } from '../customers/overview.js';
import type { CustomerPlan } from '../customers/plans.js';
import { ProblemError } from '../http/problem.js';
import type { CurrencyMoneyView, SpentView } from '../pages/money.js';
import {
  PLAN_AMOUNT_FIELDS,
  PLAN_MEANS_CHOICES,
  type PlanField,
  type PlanFieldError,
  type PlanFormValues,
  type PlanFormView,
  type PlanMeansChoice,
} from '../pages/plan.js';

/**
 * The account page's money and payment plan: page views made from the customer's overview,
 * and the plan form read back into a change for `plans.set`.
 */

/** Where the plan form posts. */
export const PLAN_ACTION = '/account/plan';

const MEANS: Readonly<Record<PlanMeansChoice, readonly PlanMeans[]>> = {
  'wallet-first': ['wallet', 'bank'],
  'bank-first': ['bank', 'wallet'],
  'wallet-only': ['wallet'],
  'bank-only': ['bank'],
};

/** Minor units for the page: amounts are bounded by the protocol (10^12), exact as doubles. */
const units = (value: bigint): number => Number(value);

function spentView(period: SpentInPeriod): SpentView {
  return {
    spent: units(period.spent),
    wallet: units(period.byMeans.wallet),
    bank: units(period.byMeans.bank),
    ceiling: units(period.ceiling),
    remaining: units(period.remaining),
  };
}

export function moneyView(money: CurrencyOverview): CurrencyMoneyView {
  const { wallet } = money;
  return {
    currency: money.currency,
    ...(wallet === undefined
      ? {}
      : {
          wallet: {
            balance: units(wallet.balance),
            available: units(wallet.available),
            cap: wallet.cap === null ? null : units(wallet.cap),
          },
        }),
    points: units(money.points),
    day: spentView(money.day),
    month: spentView(money.month),
  };
}

/**
 * The form showing the plan as the authorisation applies it; a ceiling the customer never
 * chose is left empty (the operator's), so a later change of the operator's ceiling applies.
 */
export function planFormView(customerPlan: CustomerPlan): PlanFormView {
  const { plan, bounds, choices } = customerPlan;
  const decimal = (value: bigint) => toDecimalString({ amount: units(value), currency: plan.currency });
  const means = PLAN_MEANS_CHOICES.find((choice) => MEANS[choice].join() === plan.means.join());
  return {
    action: PLAN_ACTION,
    currency: plan.currency,
    values: {
      ...(means === undefined ? {} : { means }),
      walletBelow: decimal(plan.walletBelow),
      bankWhenShort: plan.bankWhenShort,
      tapBelow: decimal(plan.tapBelow),
      dailyCeiling: choices.dailyCeiling === undefined ? '' : decimal(plan.dailyCeiling),
      monthlyCeiling: choices.monthlyCeiling === undefined ? '' : decimal(plan.monthlyCeiling),
    },
    bounds: {
      walletThreshold: units(bounds.walletThreshold),
      tapLimit: units(bounds.tapLimit),
      dailyCeiling: units(bounds.dailyCeiling),
      monthlyCeiling: units(bounds.monthlyCeiling),
    },
  };
}

/** The change the form asks for, in minor units: the shape `plans.set` takes. */
export interface FormPlanChange {
  means: PlanMeans[];
  walletBelow: number;
  bankWhenShort: boolean;
  tapBelow: number;
  dailyCeiling: number | null;
  monthlyCeiling: number | null;
}

/**
 * Reads the posted plan form: the values as typed (to show again), and either the change
 * or what is wrong with each field. Amounts are major units as the top-up form takes them,
 * a decimal comma read as a point; an empty ceiling is the operator's.
 */
export function readPlanForm(
  form: Record<string, unknown>,
  currency: string,
): { values: PlanFormValues } & ({ change: FormPlanChange } | { errors: Partial<Record<PlanField, PlanFieldError>> }) {
  const typed = (name: string) => (typeof form[name] === 'string' ? (form[name] as string).trim() : '');
  const means = PLAN_MEANS_CHOICES.find((choice) => choice === form.means);
  const values: PlanFormValues = {
    ...(means === undefined ? {} : { means }),
    walletBelow: typed('walletBelow'),
    bankWhenShort: form.bankWhenShort === 'yes',
    tapBelow: typed('tapBelow'),
    dailyCeiling: typed('dailyCeiling'),
    monthlyCeiling: typed('monthlyCeiling'),
  };
  const errors: Partial<Record<PlanField, PlanFieldError>> = {};
  if (means === undefined) errors.means = 'means_invalid';
  const amounts: Partial<Record<(typeof PLAN_AMOUNT_FIELDS)[number], number | null>> = {};
  for (const field of PLAN_AMOUNT_FIELDS) {
    const text = values[field];
    if (text === '' && (field === 'dailyCeiling' || field === 'monthlyCeiling')) {
      amounts[field] = null;
      continue;
    }
    try {
      amounts[field] = toMinorUnits(text.replace(/^(\d+),(\d+)$/, '$1.$2'), currency);
    } catch {
      errors[field] = 'amount_invalid';
    }
  }
  if (means === undefined || Object.keys(errors).length > 0) return { values, errors };
  return {
    values,
    change: {
      means: [...MEANS[means]],
      walletBelow: amounts.walletBelow as number,
      bankWhenShort: values.bankWhenShort,
      tapBelow: amounts.tapBelow as number,
      dailyCeiling: amounts.dailyCeiling ?? null,
      monthlyCeiling: amounts.monthlyCeiling ?? null,
    },
  };
}

/**
 * The fields a refused change names (`plans.set`): past the operator's bound, or a daily
 * ceiling above the monthly one (the only `request_invalid` a well-formed form can get).
 * Undefined for any other error, which the page does not explain field by field.
 */
export function planFieldErrors(error: unknown): Partial<Record<PlanField, PlanFieldError>> | undefined {
  if (!(error instanceof ProblemError) || (error.code !== 'plan_out_of_bounds' && error.code !== 'request_invalid')) return undefined;
  const errors: Partial<Record<PlanField, PlanFieldError>> = {};
  for (const issue of error.issues) {
    const field = PLAN_AMOUNT_FIELDS.find((each) => each === issue.path);
    if (field === undefined) continue;
    if (error.code === 'plan_out_of_bounds') errors[field] = 'over_bound';
    else if (field === 'dailyCeiling') errors[field] = 'over_monthly';
  }
  return Object.keys(errors).length > 0 ? errors : undefined;
}
