import type { Migration } from './migration.js';

/**
 * After the payment: escrow resolutions, carrier keys and refunds.
 *
 * A deferred-delivery payment is booked as a pending ledger transfer to the merchant till
 * (`held`); it is resolved once — released to the till on delivery, voided back to the
 * customer on cancellation or time-out. The ledger's `ledger_pending_resolved` primary key
 * already makes "at most once" hold for the money; `escrow_resolutions` keeps who resolved
 * it and when, one row per payment (its primary key), and the payment row carries the
 * new status (`released` or `voided`).
 *
 * Refunds never exceed the payment: the insert trigger locks the payment row and adds up
 * the refunds that are not declined, so two concurrent refunds cannot both pass, whatever
 * the code above it does.
 */
export const migration: Migration = {
  version: 13,
  name: 'escrow_refunds',
  sql: /* sql */ `
ALTER TABLE payments DROP CONSTRAINT payments_status;
ALTER TABLE payments ADD CONSTRAINT payments_status
  CHECK (status IN ('authorised', 'authenticated', 'held', 'released', 'voided'));
-- What the escrow sweeper scans: only held payments are indexed.
CREATE INDEX payments_held ON payments (created_at) WHERE status = 'held';

-- Keys of carriers a merchant lets confirm deliveries (and nothing else) on its behalf.
CREATE TABLE merchant_carrier_keys (
  merchant_id text NOT NULL CONSTRAINT merchant_carrier_keys_merchant REFERENCES merchants (id),
  kid text NOT NULL CONSTRAINT merchant_carrier_keys_kid CHECK (kid ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'),
  jwk jsonb NOT NULL CONSTRAINT merchant_carrier_keys_public CHECK (NOT jwk ? 'd'),
  added_at timestamptz NOT NULL,
  CONSTRAINT merchant_carrier_keys_identity PRIMARY KEY (merchant_id, kid)
);

CREATE TABLE escrow_resolutions (
  payment_serial bigint CONSTRAINT escrow_resolutions_once PRIMARY KEY
    CONSTRAINT escrow_resolutions_payment REFERENCES payments (serial),
  merchant_id text NOT NULL,
  outcome text NOT NULL CONSTRAINT escrow_resolutions_outcome CHECK (outcome IN ('released', 'voided')),
  resolved_by text NOT NULL CONSTRAINT escrow_resolutions_by CHECK (resolved_by IN ('merchant', 'carrier', 'timeout')),
  carrier_kid text,
  note text CONSTRAINT escrow_resolutions_note CHECK (length(note) BETWEEN 1 AND 200),
  -- The register serial of the transfer that released the money; a void moves nothing.
  transfer_serial bigint,
  resolved_at timestamptz NOT NULL,
  CONSTRAINT escrow_resolutions_transfer CHECK ((outcome = 'released') = (transfer_serial IS NOT NULL)),
  CONSTRAINT escrow_resolutions_carrier CHECK ((resolved_by = 'carrier') = (carrier_kid IS NOT NULL))
);
CREATE INDEX escrow_resolutions_merchant_time ON escrow_resolutions (merchant_id, resolved_at);

CREATE TABLE refunds (
  id text PRIMARY KEY CONSTRAINT refunds_id CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'),
  merchant_id text NOT NULL CONSTRAINT refunds_merchant REFERENCES merchants (id),
  payment_serial bigint NOT NULL CONSTRAINT refunds_payment REFERENCES payments (serial),
  -- The merchant's Idempotency-Key: a request run again after a crash finds its refund.
  request_key text NOT NULL CONSTRAINT refunds_request_key CHECK (length(request_key) BETWEEN 1 AND 255),
  amount bigint NOT NULL CONSTRAINT refunds_amount CHECK (amount > 0),
  currency text NOT NULL,
  reason text CONSTRAINT refunds_reason CHECK (length(reason) BETWEEN 1 AND 200),
  funding text NOT NULL CONSTRAINT refunds_funding CHECK (funding IN ('wallet', 'bank')),
  status text NOT NULL CONSTRAINT refunds_status CHECK (status IN ('pending', 'succeeded', 'declined')),
  transfer_serial bigint,
  bank_reference text,
  decline_reason text,
  created_at timestamptz NOT NULL,
  resolved_at timestamptz,
  CONSTRAINT refunds_request UNIQUE (merchant_id, request_key),
  CONSTRAINT refunds_outcome CHECK (
    (status = 'pending' AND resolved_at IS NULL AND transfer_serial IS NULL)
    OR (status = 'succeeded' AND resolved_at IS NOT NULL AND transfer_serial IS NOT NULL)
    OR (status = 'declined' AND resolved_at IS NOT NULL AND transfer_serial IS NULL AND decline_reason IS NOT NULL)
  )
);
CREATE INDEX refunds_payment ON refunds (payment_serial, created_at);
CREATE INDEX refunds_pending ON refunds (created_at) WHERE status = 'pending';

CREATE FUNCTION refunds_within_payment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  paid bigint;
  refunded bigint;
BEGIN
  SELECT amount INTO paid FROM payments WHERE serial = NEW.payment_serial AND merchant_id = NEW.merchant_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'refund % names no payment of merchant %', NEW.id, NEW.merchant_id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'refunds_payment';
  END IF;
  SELECT coalesce(sum(amount), 0) INTO refunded FROM refunds
    WHERE payment_serial = NEW.payment_serial AND status <> 'declined' AND id <> NEW.id;
  IF refunded + NEW.amount > paid THEN
    RAISE EXCEPTION 'refunds of payment % would exceed its amount', NEW.payment_serial
      USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_within_payment';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER refunds_within_payment BEFORE INSERT ON refunds
  FOR EACH ROW EXECUTE FUNCTION refunds_within_payment();

-- What a refund says never changes; a resolved refund never changes again.
CREATE FUNCTION refunds_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR (NEW.id, NEW.merchant_id, NEW.payment_serial, NEW.request_key, NEW.amount, NEW.currency, NEW.funding, NEW.created_at)
      IS DISTINCT FROM (OLD.id, OLD.merchant_id, OLD.payment_serial, OLD.request_key, OLD.amount, OLD.currency, OLD.funding, OLD.created_at)
      OR (OLD.status <> 'pending' AND NEW IS DISTINCT FROM OLD) THEN
    RAISE EXCEPTION 'refund % is final', OLD.id
      USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'refunds_final';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER refunds_guard BEFORE UPDATE OR DELETE ON refunds
  FOR EACH ROW EXECUTE FUNCTION refunds_guard();
`,
};
