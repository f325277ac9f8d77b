import { isCaisseError, isCurrencyCode, type PlanMeans, parseMessage, planChange } from '@caisse/protocol';
import { CaisseDeviceError, isCaisseDeviceError } from './errors.js';

/** A customer's payment plan in one currency, as the payment server applies it. Amounts in minor units. */
export interface PaymentPlan {
  /** The means that may pay, in the order they are tried. */
  readonly means: readonly PlanMeans[];
  /** The wallet pays amounts below this; at or above it, the next means. */
  readonly walletBelow: number;
  /** When the wallet should pay but is short, the bank pays instead (if the plan has it); otherwise the checkout page offers it. */
  readonly bankWhenShort: boolean;
  /** Amounts below this are approved with a tap, without the PIN; 0: always the PIN. */
  readonly tapBelow: number;
  /** Most the customer pays per calendar day: their own ceiling, or the operator's when lower or not set. */
  readonly dailyCeiling: number;
  readonly monthlyCeiling: number;
}

/** What the operator allows this customer in one currency: a plan never goes past any of these. Minor units. */
export interface PlanBounds {
  /** The highest `walletBelow`. */
  readonly walletThreshold: number;
  /** The highest `tapBelow` (0: taps are off). */
  readonly tapLimit: number;
  readonly dailyCeiling: number;
  readonly monthlyCeiling: number;
}

/** `account.plan(currency)`: the plan, the operator's bounds, and whether the customer chose the plan (or has the operator's default). */
export interface AccountPlan {
  readonly currency: string;
  readonly plan: PaymentPlan;
  readonly bounds: PlanBounds;
  readonly chosen: boolean;
}

/**
 * What `account.setPlan` takes. Amounts in minor units.
 * @example { means: ['bank', 'wallet'], tapBelow: 1500, dailyCeiling: null }
 */
export interface PlanChange {
  readonly means?: readonly PlanMeans[];
  readonly walletBelow?: number;
  readonly bankWhenShort?: boolean;
  readonly tapBelow?: number;
  /** `null`: the operator's ceiling again. */
  readonly dailyCeiling?: number | null;
  readonly monthlyCeiling?: number | null;
}

/** @throws CaisseDeviceError `plan_invalid` with the `issues` of every field at fault */
export function checkedPlanChange(change: PlanChange): PlanChange {
  try {
    return parseMessage(planChange, change);
  } catch (error) {
    if (!isCaisseError(error)) throw error;
    throw new CaisseDeviceError('plan_invalid', error.message, { cause: error, issues: error.issues });
  }
}

/** @throws CaisseDeviceError `currency_unknown` before anything is sent */
export function checkedCurrency(currency: string): string {
  if (!isCurrencyCode(currency)) throw new CaisseDeviceError('currency_unknown', `${String(currency)} is not an ISO 4217 currency code.`);
  return currency;
}

const PLAN_FIELDS = new Set(Object.keys(planChange.shape));

/**
 * A refused plan change as the caller can act on it: its issues name fields of the change
 * (`dailyCeiling`, where the server says `change.dailyCeiling`). The server's
 * `request_invalid` about plan fields only becomes `plan_invalid` (a daily ceiling over the
 * monthly one, which the device cannot always see: the operator's ceiling may be the
 * lower); about anything else it stays `server_error`, a fault of the SDK.
 */
export function planError(error: unknown): unknown {
  if (!isCaisseDeviceError(error) || error.issues === undefined) return error;
  const issues = error.issues.map((issue) => ({ path: issue.path.replace(/^change\./, ''), message: issue.message }));
  const aboutPlan = issues.every((issue) => PLAN_FIELDS.has(issue.path.split('.')[0] ?? ''));
  const code =
    error.code === 'plan_out_of_bounds' ? error.code : error.serverCode === 'request_invalid' && aboutPlan ? 'plan_invalid' : undefined;
  if (code === undefined) return error;
  const { status, serverCode } = error;
  return new CaisseDeviceError(code, `${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}.`, {
    cause: error,
    issues,
    ...(status === undefined ? {} : { status }),
    ...(serverCode === undefined ? {} : { serverCode }),
  });
}
