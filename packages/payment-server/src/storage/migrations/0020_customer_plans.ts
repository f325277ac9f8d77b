import type { Migration } from './migration.js';

/**
 * The customer's payment plan, per currency (customers/plan.ts): the order of the means
 * that pay, the amount below which the wallet pays, whether the bank pays when the wallet
 * is short, the amount below which a tap approves without the PIN, and ceilings the
 * customer keeps below the operator's (NULL: the operator's). What is stored is what the
 * customer chose; the operator's bounds are applied when the plan is read, so lowering a
 * bound later binds every plan at once.
 */
export const migration: Migration = {
  version: 20,
  name: 'customer_plans',
  sql: /* sql */ `
CREATE TABLE customer_plans (
  customer_id text NOT NULL CONSTRAINT customer_plans_customer REFERENCES customers (id),
  currency text NOT NULL CONSTRAINT customer_plans_currency CHECK (currency ~ '^[A-Z]{3}$'),
  means text[] NOT NULL CONSTRAINT customer_plans_means CHECK (
    cardinality(means) BETWEEN 1 AND 2 AND means <@ ARRAY['wallet', 'bank'] AND (cardinality(means) = 1 OR means[1] <> means[2])
  ),
  wallet_below bigint NOT NULL CONSTRAINT customer_plans_wallet_below CHECK (wallet_below >= 0),
  bank_when_short boolean NOT NULL,
  tap_below bigint NOT NULL CONSTRAINT customer_plans_tap_below CHECK (tap_below >= 0),
  daily_ceiling bigint CONSTRAINT customer_plans_daily CHECK (daily_ceiling >= 0),
  monthly_ceiling bigint CONSTRAINT customer_plans_monthly CHECK (monthly_ceiling >= 0),
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (customer_id, currency)
);
`,
};
