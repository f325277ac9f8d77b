import type { Migration } from './migration.js';

/**
 * The parties: merchants (their public keys and the origins they may send customers back
 * to), customers (access key hash, lockout counter, ceilings) and operator alerts.
 * Wallet caps are not here: they live on the wallet's ledger balance row, where the
 * ledger enforces them (migration 0001).
 *
 * Ids follow the protocol id rule (1–64 of `A-Z a-z 0-9 . _ : -`, starting with a letter
 * or digit); the services check it too, the CHECKs keep hand-written SQL honest.
 */
export const migration: Migration = {
  version: 3,
  name: 'parties',
  sql: /* sql */ `
CREATE TABLE merchants (
  id text PRIMARY KEY CONSTRAINT merchants_id CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'),
  display_name text NOT NULL CONSTRAINT merchants_display_name CHECK (length(display_name) BETWEEN 1 AND 200),
  -- Exact origins (scheme://host[:port]) the merchant's return and cancel URLs must belong to.
  return_origins text[] NOT NULL CONSTRAINT merchants_return_origins CHECK (cardinality(return_origins) BETWEEN 1 AND 32),
  notify_url text CONSTRAINT merchants_notify_url CHECK (length(notify_url) BETWEEN 1 AND 2048),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

-- Every key a merchant ever registered. A retired key stays (for the record) but no
-- longer verifies anything, and its kid is never given to another key of that merchant.
CREATE TABLE merchant_keys (
  merchant_id text NOT NULL CONSTRAINT merchant_keys_merchant REFERENCES merchants (id),
  kid text NOT NULL CONSTRAINT merchant_keys_kid CHECK (kid ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'),
  -- The public JWK as the protocol parsed it (never a private member).
  jwk jsonb NOT NULL CONSTRAINT merchant_keys_public CHECK (NOT jwk ? 'd'),
  added_at timestamptz NOT NULL,
  retired_at timestamptz,
  CONSTRAINT merchant_keys_identity PRIMARY KEY (merchant_id, kid)
);

CREATE TABLE customers (
  id text PRIMARY KEY CONSTRAINT customers_id CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'),
  phone text NOT NULL CONSTRAINT customers_phone_unique UNIQUE CONSTRAINT customers_phone CHECK (phone ~ '^\\+[1-9][0-9]{6,14}$'),
  -- scrypt (RFC 7914) of the NFC-normalised access key; the parameters it was derived
  -- with are kept beside it, so they can be raised later without locking anyone out.
  key_hash bytea NOT NULL CONSTRAINT customers_key_hash CHECK (length(key_hash) BETWEEN 16 AND 64),
  key_salt bytea NOT NULL CONSTRAINT customers_key_salt CHECK (length(key_salt) >= 16),
  key_params jsonb NOT NULL,
  created_at timestamptz NOT NULL
);

-- Ceilings per currency on what a customer may pay per calendar day and month.
CREATE TABLE customer_limits (
  customer_id text NOT NULL CONSTRAINT customer_limits_customer REFERENCES customers (id),
  currency text NOT NULL CONSTRAINT customer_limits_currency CHECK (currency ~ '^[A-Z]{3}$'),
  daily_ceiling bigint NOT NULL CONSTRAINT customer_limits_daily CHECK (daily_ceiling >= 0),
  monthly_ceiling bigint NOT NULL CONSTRAINT customer_limits_monthly CHECK (monthly_ceiling >= daily_ceiling),
  CONSTRAINT customer_limits_identity PRIMARY KEY (customer_id, currency)
);

-- Wrong access keys per account id, known or not: an unknown id counts and locks exactly
-- like a real one, so the answers never tell whether an account exists (hence no foreign
-- key). Updated by one upsert whose WHERE refuses a locked row, so concurrent attempts
-- never count past the limit.
CREATE TABLE customer_attempts (
  account_id text PRIMARY KEY CONSTRAINT customer_attempts_account CHECK (account_id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'),
  failed integer NOT NULL CONSTRAINT customer_attempts_failed CHECK (failed BETWEEN 1 AND 5),
  last_failed_at timestamptz NOT NULL,
  locked_at timestamptz,
  CONSTRAINT customer_attempts_lock CHECK ((locked_at IS NOT NULL) = (failed = 5))
);

CREATE TABLE alerts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL CONSTRAINT alerts_kind CHECK (kind ~ '^[a-z][a-z0-9_.]{0,63}$'),
  -- What the alert is about, e.g. the customer id of a locked account.
  subject text NOT NULL CONSTRAINT alerts_subject CHECK (length(subject) BETWEEN 1 AND 255),
  details jsonb NOT NULL DEFAULT '{}' CONSTRAINT alerts_details CHECK (jsonb_typeof(details) = 'object'),
  created_at timestamptz NOT NULL,
  acknowledged_at timestamptz,
  acknowledged_by text CONSTRAINT alerts_acknowledged_by CHECK (length(acknowledged_by) BETWEEN 1 AND 255)
);

CREATE INDEX alerts_open ON alerts (created_at, id) WHERE acknowledged_at IS NULL;
CREATE INDEX alerts_by_time ON alerts (created_at, id);
`,
};
