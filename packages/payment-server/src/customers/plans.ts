import { isCurrencyCode, type PlanChange, type PlanMeans, planChange } from '@caisse/protocol';
import { ProblemError } from '../http/problem.js';
import type { Logger } from '../log.js';
import { parseInput } from '../merchants/input.js';
import { type Executor, type Queryable, withTransaction } from '../storage/database.js';
import { defaultLimits } from './model.js';
import { changedChoices, defaultChoices, effectivePlan, type PaymentPlan, type PlanBounds, type PlanChoices } from './plan.js';

/** Minor units per currency, `*` for any other: how CAISSE_WALLET_THRESHOLDS and CAISSE_TAP_THRESHOLDS are written. */
export type Thresholds = Readonly<Record<string, number>>;

export interface PlanServiceDeps {
  db: Executor;
  /** CAISSE_WALLET_THRESHOLDS: the wallet pays below it, for every plan. */
  walletThresholds: Thresholds;
  /** CAISSE_TAP_THRESHOLDS: the highest tap threshold a customer may choose. */
  tapThresholds: Thresholds;
  now?: () => Date;
  log?: Logger;
}

/** A customer's plan in one currency, with what the operator allows and whether the customer chose it. */
export interface CustomerPlan {
  readonly plan: PaymentPlan;
  readonly bounds: PlanBounds;
  /** What the customer chose, as stored (the operator's defaults when `chosen` is false). */
  readonly choices: PlanChoices;
  readonly chosen: boolean;
}

interface PlanRow {
  daily_limit: bigint | null;
  monthly_limit: bigint | null;
  means: PlanMeans[] | null;
  wallet_below: bigint | null;
  bank_when_short: boolean | null;
  tap_below: bigint | null;
  daily_ceiling: bigint | null;
  monthly_ceiling: bigint | null;
}

const PLAN_SQL = `
SELECT l.daily_ceiling AS daily_limit, l.monthly_ceiling AS monthly_limit,
       p.means, p.wallet_below, p.bank_when_short, p.tap_below, p.daily_ceiling, p.monthly_ceiling
FROM customers c
LEFT JOIN customer_limits l ON l.customer_id = c.id AND l.currency = $2
LEFT JOIN customer_plans p ON p.customer_id = c.id AND p.currency = $2
WHERE c.id = $1`;

function threshold(thresholds: Thresholds, currency: string): bigint {
  return BigInt(thresholds[currency] ?? thresholds['*'] ?? 0);
}

function checkCurrency(currency: unknown): string {
  if (!isCurrencyCode(currency)) throw new ProblemError('currency_unknown');
  return currency;
}

/**
 * The customers' payment plans (customer/plan.ts): read by the authorisation in the
 * payment's transaction, shown and changed by the customer within the operator's bounds.
 * @example const plans = createPlanService({ db, walletThresholds: config.CAISSE_WALLET_THRESHOLDS, tapThresholds: config.CAISSE_TAP_THRESHOLDS })
 */
export function createPlanService(deps: PlanServiceDeps) {
  const now = deps.now ?? (() => new Date());

  function fromRow(row: PlanRow, currency: string): CustomerPlan {
    // A currency without limits of its own (paid through the bank, no wallet) gets the default ceilings, as the ceilings do.
    const fallback = defaultLimits(currency);
    const bounds: PlanBounds = {
      currency,
      walletThreshold: threshold(deps.walletThresholds, currency),
      tapLimit: threshold(deps.tapThresholds, currency),
      dailyCeiling: row.daily_limit ?? fallback.dailyCeiling,
      monthlyCeiling: row.monthly_limit ?? fallback.monthlyCeiling,
    };
    const chosen = row.means !== null;
    const choices: PlanChoices = chosen
      ? {
          means: row.means as PlanMeans[],
          walletBelow: row.wallet_below as bigint,
          bankWhenShort: row.bank_when_short as boolean,
          tapBelow: row.tap_below as bigint,
          ...(row.daily_ceiling === null ? {} : { dailyCeiling: row.daily_ceiling }),
          ...(row.monthly_ceiling === null ? {} : { monthlyCeiling: row.monthly_ceiling }),
        }
      : defaultChoices(bounds);
    return { plan: effectivePlan(choices, bounds), bounds, choices, chosen };
  }

  /**
   * The customer's plan in a currency, read in `executor` (the payment's transaction,
   * after the customer's lock, when it decides a payment).
   * @throws ProblemError `customer_unknown`, `currency_unknown`
   */
  async function read(executor: Queryable, customerId: string, currency: string): Promise<CustomerPlan> {
    const code = checkCurrency(currency);
    const { rows } = await executor.query<PlanRow>(PLAN_SQL, [customerId, code]);
    const row = rows[0];
    if (row === undefined) throw new ProblemError('customer_unknown');
    return fromRow(row, code);
  }

  return {
    read,

    /** @throws ProblemError `customer_unknown`, `currency_unknown` */
    get: (customerId: string, currency: string) => read(deps.db, customerId, currency),

    /**
     * Changes the customer's plan in a currency: the fields given replace the current ones.
     * The caller has checked who asks (the account page's session, the phone's PIN proof).
     * @throws ProblemError `request_invalid`, `plan_out_of_bounds` (a field past the operator's bound), `customer_unknown`, `currency_unknown`
     * @example await plans.set('alice', 'EUR', { means: ['bank', 'wallet'], tapBelow: 1500 })
     */
    async set(customerId: string, currency: string, change: PlanChange): Promise<CustomerPlan> {
      const code = checkCurrency(currency);
      const parsed = parseInput(planChange, change);
      const saved = await withTransaction(deps.db, async (tx) => {
        // Locks the customer: a plan changes between payments, never under one being decided.
        const locked = await tx.query('SELECT 1 FROM customers WHERE id = $1 FOR UPDATE', [customerId]);
        if (locked.rows.length === 0) throw new ProblemError('customer_unknown');
        const current = await read(tx, customerId, code);
        const next = changedChoices(current.choices, parsed, current.bounds);
        await tx.query(
          `INSERT INTO customer_plans (customer_id, currency, means, wallet_below, bank_when_short, tap_below, daily_ceiling, monthly_ceiling, updated_at)
           VALUES ($1, $2, $3::text[], $4, $5, $6, $7, $8, $9)
           ON CONFLICT (customer_id, currency) DO UPDATE SET
             means = EXCLUDED.means, wallet_below = EXCLUDED.wallet_below, bank_when_short = EXCLUDED.bank_when_short,
             tap_below = EXCLUDED.tap_below, daily_ceiling = EXCLUDED.daily_ceiling, monthly_ceiling = EXCLUDED.monthly_ceiling,
             updated_at = EXCLUDED.updated_at`,
          [
            customerId,
            code,
            next.means,
            next.walletBelow,
            next.bankWhenShort,
            next.tapBelow,
            next.dailyCeiling ?? null,
            next.monthlyCeiling ?? null,
            now(),
          ],
        );
        return read(tx, customerId, code);
      });
      deps.log?.info('customer.plan_set', { customerId, currency: code, means: saved.plan.means.join(',') });
      return saved;
    },
  };
}

export type PlanService = ReturnType<typeof createPlanService>;
