import type { Migration } from './migration.js';

/**
 * Daily settlement: each merchant till is paid out to the merchant's bank account once
 * per day and currency. `(merchant_id, date, currency)` is unique, and so is the payout's
 * idempotency key at the acquirer, so `settle` run twice, or on several instances at
 * once, pays once. A settlement with nothing to pay is recorded as `none`.
 */
export const migration: Migration = {
  version: 14,
  name: 'settlement',
  sql: /* sql */ `
-- The merchant's account at the bank, as the acquirer knows it (opaque to us).
ALTER TABLE merchants ADD COLUMN bank_ref text
  CONSTRAINT merchants_bank_ref CHECK (bank_ref ~ '^[\\x21-\\x7e]{1,64}$');

CREATE TABLE settlements (
  id text PRIMARY KEY CONSTRAINT settlements_id CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'),
  merchant_id text NOT NULL CONSTRAINT settlements_merchant REFERENCES merchants (id),
  date date NOT NULL,
  currency text NOT NULL CONSTRAINT settlements_currency CHECK (currency ~ '^[A-Z]{3}$'),
  -- The cut-off this settlement counts movements up to (exclusive).
  cutoff_at timestamptz NOT NULL,
  amount bigint NOT NULL CONSTRAINT settlements_amount CHECK (amount >= 0),
  status text NOT NULL CONSTRAINT settlements_status CHECK (status IN ('none', 'pending', 'paid', 'declined')),
  account_ref text,
  payout_key text CONSTRAINT settlements_payout_key UNIQUE,
  transfer_serial bigint,
  bank_reference text,
  decline_reason text,
  created_at timestamptz NOT NULL,
  resolved_at timestamptz,
  CONSTRAINT settlements_day UNIQUE (merchant_id, date, currency),
  CONSTRAINT settlements_outcome CHECK (
    (status = 'none' AND amount = 0 AND payout_key IS NULL)
    OR (status = 'pending' AND amount > 0 AND payout_key IS NOT NULL AND account_ref IS NOT NULL AND resolved_at IS NULL)
    OR (status = 'paid' AND transfer_serial IS NOT NULL AND resolved_at IS NOT NULL)
    OR (status = 'declined' AND transfer_serial IS NULL AND resolved_at IS NOT NULL)
  )
);
CREATE INDEX settlements_pending ON settlements (created_at) WHERE status = 'pending';

CREATE FUNCTION settlements_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR (NEW.id, NEW.merchant_id, NEW.date, NEW.currency, NEW.cutoff_at, NEW.amount, NEW.payout_key, NEW.created_at)
      IS DISTINCT FROM (OLD.id, OLD.merchant_id, OLD.date, OLD.currency, OLD.cutoff_at, OLD.amount, OLD.payout_key, OLD.created_at)
      OR (OLD.status <> 'pending' AND NEW IS DISTINCT FROM OLD) THEN
    RAISE EXCEPTION 'settlement % is final', OLD.id
      USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'settlements_final';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER settlements_guard BEFORE UPDATE OR DELETE ON settlements
  FOR EACH ROW EXECUTE FUNCTION settlements_guard();
`,
};
