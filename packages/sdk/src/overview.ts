import type { MoneyOverviewMessage, PlanMeans } from '@caisse/protocol';
import type { AccountPlan } from './plan.js';

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

/** The overview as the SDK gives it: the protocol's message, its instants as `Date`s. */
export function withDates(message: MoneyOverviewMessage): MoneyOverview {
  return {
    at: new Date(message.at),
    currencies: message.currencies.map((money) => ({
      ...money,
      day: { ...money.day, since: new Date(money.day.since) },
      month: { ...money.month, since: new Date(money.month.since) },
    })),
  };
}
