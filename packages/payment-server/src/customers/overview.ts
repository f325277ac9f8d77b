import { PLAN_MEANS, type PlanMeans } from '@caisse/protocol';
import { ProblemError } from '../http/problem.js';
import { createLedger } from '../ledger/index.js';
import type { Database, Queryable, Transaction } from '../storage/database.js';
import { checkTimeZone, periodStarts } from './ceilings.js';
import type { CustomerPlan, PlanService } from './plans.js';

/**
 * What the overview needs from the payments: what a customer paid since an instant, net of
 * refunds as the ceilings count it, split by the means that paid (`funding`; `null`: no money moved).
 * Implemented by the payments domain (`paymentsSpending`).
 */
export interface MeansSpendingReader {
  spentSinceByFunding(
    customerId: string,
    currency: string,
    since: Date,
    executor?: Queryable,
  ): Promise<{ funding: string | null; spent: bigint }[]>;
}

export interface OverviewDeps {
  db: Database;
  plans: Pick<PlanService, 'read'>;
  spending: MeansSpendingReader;
  now?: () => Date;
  /** The customer service's time zone: the calendar days and months the ceilings count. Default `UTC`. */
  timeZone?: string;
}

/** What the customer paid in one calendar period, against the ceiling the payments are checked with. */
export interface SpentInPeriod {
  readonly since: Date;
  /** The effective ceiling: the customer's own, or the operator's when lower or not set. */
  readonly ceiling: bigint;
  /** Every payment of the period, net of refunds: what the ceiling check counts. */
  readonly spent: bigint;
  /** What may still be paid in the period (0 when the customer lowered the ceiling below what was spent). */
  readonly remaining: bigint;
  /** Of `spent`, what each means of the plan paid. */
  readonly byMeans: Readonly<Record<PlanMeans, bigint>>;
}

/** The customer's money in one currency. */
export interface CurrencyOverview {
  readonly currency: string;
  /** Undefined when the customer has no wallet in this currency (a plan paid by the bank alone). */
  readonly wallet?: {
    readonly balance: bigint;
    /** The balance less what pending payments hold: what a payment can take now. */
    readonly available: bigint;
    /** Most the wallet may hold; null: no cap. */
    readonly cap: bigint | null;
  };
  /** Loyalty points, valued in minor units of the currency. */
  readonly points: bigint;
  readonly day: SpentInPeriod;
  readonly month: SpentInPeriod;
  readonly plan: CustomerPlan;
}

export interface CustomerOverview {
  readonly customerId: string;
  /** The instant the periods are taken at. */
  readonly at: Date;
  /** One entry per currency the customer holds a wallet or a plan in, by currency code. */
  readonly currencies: readonly CurrencyOverview[];
}

/** The customer's currencies; no row at all when there is no such customer. */
const CURRENCIES_SQL = `
SELECT cur.currency FROM customers c
LEFT JOIN LATERAL (
  SELECT currency FROM ledger_accounts WHERE type = 'customer_wallet' AND owner_id = c.id
  UNION SELECT currency FROM customer_plans WHERE customer_id = c.id
) cur ON true
WHERE c.id = $1
ORDER BY cur.currency`;

/**
 * What the customer sees of their money (the account page, the phone, the refusal page):
 * per currency the wallet, the loyalty points, what was spent today and this month against
 * the ceilings, overall and per means, and the plan with the operator's bounds. Reads
 * only, in one snapshot, so the numbers agree with each other.
 * @example
 * const overview = createCustomerOverview({ db, plans, spending: paymentsSpending(db), now });
 * const { currencies } = await overview.read('alice');
 */
export function createCustomerOverview(deps: OverviewDeps) {
  const now = deps.now ?? (() => new Date());
  const timeZone = checkTimeZone(deps.timeZone ?? 'UTC');

  const isPlanMeans = (funding: string | null): funding is PlanMeans => PLAN_MEANS.some((means) => means === funding);

  async function period(tx: Queryable, customerId: string, currency: string, since: Date, ceiling: bigint): Promise<SpentInPeriod> {
    const parts = await deps.spending.spentSinceByFunding(customerId, currency, since, tx);
    const byMeans = Object.fromEntries(PLAN_MEANS.map((means) => [means, 0n])) as Record<PlanMeans, bigint>;
    let spent = 0n;
    for (const part of parts) {
      spent += part.spent;
      if (isPlanMeans(part.funding)) byMeans[part.funding] += part.spent;
    }
    return { since, ceiling, spent, remaining: ceiling > spent ? ceiling - spent : 0n, byMeans };
  }

  async function inCurrency(tx: Transaction, customerId: string, currency: string, at: Date): Promise<CurrencyOverview> {
    // The plan first: it checks the customer and the currency code before the ledger is asked.
    const plan = await deps.plans.read(tx, customerId, currency);
    const ledger = createLedger(tx);
    const starts = periodStarts(at, timeZone);
    const [walletAccount, loyaltyAccount] = await Promise.all([
      ledger.findAccount('customer_wallet', customerId, currency),
      ledger.findAccount('loyalty', customerId, currency),
    ]);
    const [wallet, loyalty, day, month] = await Promise.all([
      walletAccount && ledger.balance(walletAccount.id),
      loyaltyAccount && ledger.balance(loyaltyAccount.id),
      period(tx, customerId, currency, starts.day, plan.plan.dailyCeiling),
      period(tx, customerId, currency, starts.month, plan.plan.monthlyCeiling),
    ]);
    return {
      currency,
      ...(wallet ? { wallet: { balance: wallet.balance, available: wallet.available, cap: wallet.cap } } : {}),
      points: loyalty?.balance ?? 0n,
      day,
      month,
      plan,
    };
  }

  const snapshot = <T>(read: (tx: Transaction) => Promise<T>) =>
    deps.db.transaction(read, { isolation: 'repeatable read', readOnly: true });

  return {
    /**
     * Every currency of the customer.
     * @throws ProblemError `customer_unknown`
     */
    read(customerId: string): Promise<CustomerOverview> {
      const at = now();
      return snapshot(async (tx) => {
        const { rows } = await tx.query<{ currency: string | null }>(CURRENCIES_SQL, [customerId]);
        if (rows.length === 0) throw new ProblemError('customer_unknown');
        const currencies = rows.flatMap((row) => (row.currency === null ? [] : [row.currency]));
        return { customerId, at, currencies: await Promise.all(currencies.map((currency) => inCurrency(tx, customerId, currency, at))) };
      });
    },

    /**
     * One currency, whether or not the customer holds a wallet in it.
     * @throws ProblemError `customer_unknown`, `currency_unknown`
     */
    readCurrency(customerId: string, currency: string): Promise<CurrencyOverview> {
      const at = now();
      return snapshot((tx) => inCurrency(tx, customerId, currency, at));
    },
  };
}

export type CustomerOverviewReader = ReturnType<typeof createCustomerOverview>;
