import { toDecimalString, toMinorUnits } from '@caisse/protocol/money';
import type { AccountPlan, Issue, PaymentPlan, PlanBounds, PlanChange, PlanMeans } from '@caisse/sdk';
import { amountText } from './format.js';

/** The orders of means a customer can pick, by `means.join(',')`. */
export const MEANS_ORDERS: Readonly<Record<string, string>> = {
  'wallet,bank': 'Wallet first, then bank',
  'bank,wallet': 'Bank first, then wallet',
  wallet: 'Wallet only',
  bank: 'Bank only',
};

export const AMOUNT_FIELDS = ['walletBelow', 'tapBelow', 'dailyCeiling', 'monthlyCeiling'] as const;
export type AmountField = (typeof AMOUNT_FIELDS)[number];

/** The plan as the form holds it: amounts as typed, in major units. */
export interface PlanDraft {
  /** A key of {@link MEANS_ORDERS}. */
  means: string;
  bankWhenShort: boolean;
  walletBelow: string;
  tapBelow: string;
  /** Empty: the operator's ceiling. */
  dailyCeiling: string;
  monthlyCeiling: string;
}

export type PlanErrors = Partial<Record<AmountField, string>>;

/** The operator's bound on each amount of the plan. */
const BOUND_OF: Record<AmountField, keyof PlanBounds> = {
  walletBelow: 'walletThreshold',
  tapBelow: 'tapLimit',
  dailyCeiling: 'dailyCeiling',
  monthlyCeiling: 'monthlyCeiling',
};

const CEILINGS: readonly AmountField[] = ['dailyCeiling', 'monthlyCeiling'];

/** The form's starting values. A ceiling shows only when the customer's own is lower than the operator's. */
export function draftOf({ currency, plan, bounds }: AccountPlan): PlanDraft {
  const text = (amount: number) => toDecimalString({ amount, currency });
  return {
    means: plan.means.join(','),
    bankWhenShort: plan.bankWhenShort,
    walletBelow: text(plan.walletBelow),
    tapBelow: text(plan.tapBelow),
    dailyCeiling: plan.dailyCeiling < bounds.dailyCeiling ? text(plan.dailyCeiling) : '',
    monthlyCeiling: plan.monthlyCeiling < bounds.monthlyCeiling ? text(plan.monthlyCeiling) : '',
  };
}

/** Minor units from what the customer typed ("12.50", "12,50", "12"), or `undefined` when it is no amount of the currency. */
export function parseAmount(text: string, currency: string): number | undefined {
  try {
    return toMinorUnits(text.trim().replace(',', '.'), currency);
  } catch {
    return undefined;
  }
}

/** "At most €50.00, your operator's limit." next to a field, and as its error. */
export function boundText(field: AmountField, { currency, bounds }: AccountPlan): string {
  return `At most ${amountText(bounds[BOUND_OF[field]], currency)}, your operator's limit.`;
}

/**
 * What to send (only the fields the customer changed) and what to fix first: every amount
 * is checked against the operator's bound before the PIN is asked for, so a PIN is never
 * typed for a change the server must refuse.
 */
export function planChangeOf(draft: PlanDraft, initial: PlanDraft, current: AccountPlan): { change: PlanChange; errors: PlanErrors } {
  const { currency, plan, bounds } = current;
  const change: { -readonly [K in keyof PlanChange]: PlanChange[K] } = {};
  const errors: PlanErrors = {};
  if (draft.means !== initial.means) change.means = draft.means.split(',') as PlanMeans[];
  if (draft.bankWhenShort !== initial.bankWhenShort) change.bankWhenShort = draft.bankWhenShort;
  for (const field of AMOUNT_FIELDS) {
    const text = draft[field].trim();
    if (text === initial[field].trim()) continue;
    if (text === '' && CEILINGS.includes(field)) {
      change[field as 'dailyCeiling' | 'monthlyCeiling'] = null;
      continue;
    }
    const amount = parseAmount(text, currency);
    if (amount === undefined) errors[field] = `Type an amount such as ${toDecimalString({ amount: 1250, currency })}.`;
    else if (amount > bounds[BOUND_OF[field]]) errors[field] = boundText(field, current);
    else change[field] = amount;
  }
  // The ceilings as they would be: the one typed, the operator's when emptied, the current one when untouched.
  const ceiling = (field: 'dailyCeiling' | 'monthlyCeiling') => {
    const value = change[field];
    return value === undefined ? plan[field] : (value ?? bounds[field]);
  };
  if (errors.dailyCeiling === undefined && errors.monthlyCeiling === undefined && ceiling('dailyCeiling') > ceiling('monthlyCeiling')) {
    errors.dailyCeiling = `At most your monthly ceiling, ${amountText(ceiling('monthlyCeiling'), currency)}.`;
  }
  return { change, errors };
}

/**
 * The fields the server refused, in the customer's words where the form knows them: checked
 * again against `fresh` (the operator may have lowered a bound since the form opened), the
 * server's own words for anything else.
 */
export function refusedFields(issues: readonly Issue[], draft: PlanDraft, initial: PlanDraft, fresh: AccountPlan): PlanErrors {
  const { errors } = planChangeOf(draft, initial, fresh);
  for (const issue of issues) {
    const field = AMOUNT_FIELDS.find((each) => each === issue.path);
    if (field !== undefined && errors[field] === undefined) errors[field] = `The payment server refused it: ${issue.message}.`;
  }
  return errors;
}

/** One line per field of the change, to read before typing the PIN. */
export function changeLines(change: PlanChange, { currency, bounds }: AccountPlan): string[] {
  const money = (amount: number) => amountText(amount, currency);
  const ceiling = (amount: number | null, bound: number) => (amount === null ? `your operator's, ${money(bound)}` : money(amount));
  return [
    change.means && `Order: ${MEANS_ORDERS[change.means.join(',')]}`,
    change.walletBelow !== undefined && `The wallet pays below ${money(change.walletBelow)}`,
    change.bankWhenShort !== undefined && (change.bankWhenShort ? 'The bank pays when the wallet is short' : 'A short wallet refuses'),
    change.tapBelow !== undefined &&
      (change.tapBelow === 0 ? 'The PIN for every amount' : `A tap approves below ${money(change.tapBelow)}`),
    change.dailyCeiling !== undefined && `Daily ceiling: ${ceiling(change.dailyCeiling, bounds.dailyCeiling)}`,
    change.monthlyCeiling !== undefined && `Monthly ceiling: ${ceiling(change.monthlyCeiling, bounds.monthlyCeiling)}`,
  ].filter((line): line is string => typeof line === 'string');
}

/** "Pays with the wallet below €50.00, then the bank. The PIN for every amount." */
export function planSummary(plan: PaymentPlan, currency: string): string {
  const means = plan.means.map((each) => (each === 'wallet' ? `the wallet below ${amountText(plan.walletBelow, currency)}` : 'the bank'));
  const short = plan.bankWhenShort && plan.means.includes('bank') ? ' The bank pays when the wallet is short.' : '';
  const tap = plan.tapBelow > 0 ? ` A tap approves below ${amountText(plan.tapBelow, currency)}.` : ' The PIN for every amount.';
  return `Pays with ${means.join(', then ')}.${short}${tap}`;
}
