import type { Migration } from './migration.js';

/**
 * Loyalty points as a means of payment. The customer's choice to spend them is stored
 * with the checkout session (`use_points`), written only in the move out of
 * `identifying`, as `shared` is, so it follows the session to whichever instance
 * authorises it (the phone's answer may reach another one). A payment records how much
 * of its amount the points paid (`points`; the voucher's claim), and each refund how
 * much of it went back to the loyalty account rather than to the wallet or the bank: the
 * money part of a payment is refunded first, then its points (refunds/service.ts). The
 * insert trigger that keeps refunds within their payment now keeps their points within
 * the payment's points too, under the same lock on the payment row, and a refund's points
 * never change once recorded.
 */
export const migration: Migration = {
  version: 21,
  name: 'loyalty_spending',
  sql: /* sql */ `
ALTER TABLE checkout_sessions ADD COLUMN use_points boolean NOT NULL DEFAULT false;

ALTER TABLE payments ADD COLUMN points bigint NOT NULL DEFAULT 0
  CONSTRAINT payments_points CHECK (points >= 0 AND points <= amount);

ALTER TABLE refunds ADD COLUMN points bigint NOT NULL DEFAULT 0
  CONSTRAINT refunds_points CHECK (points >= 0 AND points <= amount);

CREATE OR REPLACE FUNCTION refunds_within_payment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  paid bigint;
  paid_points bigint;
  refunded bigint;
  refunded_points bigint;
BEGIN
  SELECT amount, points INTO paid, paid_points FROM payments
    WHERE serial = NEW.payment_serial AND merchant_id = NEW.merchant_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'refund % names no payment of merchant %', NEW.id, NEW.merchant_id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'refunds_payment';
  END IF;
  SELECT coalesce(sum(amount), 0), coalesce(sum(points), 0) INTO refunded, refunded_points FROM refunds
    WHERE payment_serial = NEW.payment_serial AND status <> 'declined' AND id <> NEW.id;
  IF refunded + NEW.amount > paid THEN
    RAISE EXCEPTION 'refunds of payment % would exceed its amount', NEW.payment_serial
      USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_within_payment';
  END IF;
  IF refunded_points + NEW.points > paid_points THEN
    RAISE EXCEPTION 'refunds of payment % would give back more points than it was paid with', NEW.payment_serial
      USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_points_within_payment';
  END IF;
  RETURN NEW;
END
$$;

-- What a refund says never changes, its points included.
CREATE OR REPLACE FUNCTION refunds_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE'
      OR (NEW.id, NEW.merchant_id, NEW.payment_serial, NEW.request_key, NEW.amount, NEW.points, NEW.currency, NEW.funding, NEW.created_at)
      IS DISTINCT FROM (OLD.id, OLD.merchant_id, OLD.payment_serial, OLD.request_key, OLD.amount, OLD.points, OLD.currency, OLD.funding, OLD.created_at)
      OR (OLD.status <> 'pending' AND NEW IS DISTINCT FROM OLD) THEN
    RAISE EXCEPTION 'refund % is final', OLD.id
      USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'refunds_final';
  END IF;
  RETURN NEW;
END
$$;
`,
};
