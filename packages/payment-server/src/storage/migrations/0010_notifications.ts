import type { Migration } from './migration.js';

/**
 * The notification outbox (notifications/): one row per event a merchant must learn of,
 * inserted in the very transaction that moves the money, so a committed payment always
 * has its notification and a rolled-back one never has. Dispatchers (any instance) claim
 * due rows with `FOR UPDATE SKIP LOCKED`, sign each attempt anew with the row's id as
 * `jti`, and POST it until the merchant answers 2xx or the retry window ends (`parked`).
 *
 * `payload` is the notification's claims without `iss`, `iat` and `exp`, which are set
 * when each attempt is signed. A delivered row never changes again (trigger below); what
 * was said (id, merchant, event, payload, creation time) never changes at all.
 */
export const migration: Migration = {
  version: 10,
  name: 'notifications',
  sql: /* sql */ `
CREATE TABLE notifications (
  -- The notification's jti: unique, kept across every retry and resend.
  id text PRIMARY KEY CONSTRAINT notifications_id CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'),
  merchant_id text NOT NULL CONSTRAINT notifications_merchant REFERENCES merchants (id),
  event text NOT NULL CONSTRAINT notifications_event CHECK (event IN (
    'payment.authorised', 'payment.held', 'payment.released', 'payment.voided',
    'payment.refused', 'refund.succeeded', 'settlement.paid')),
  payload jsonb NOT NULL CONSTRAINT notifications_payload CHECK (
    jsonb_typeof(payload) = 'object' AND payload->>'jti' = id AND payload->>'event' = event AND payload->>'aud' = merchant_id
    AND NOT payload ?| ARRAY['iss', 'iat', 'exp']),
  -- The ticket's notifyUrl, else the merchant's registered one, as it was when the event happened.
  target_url text NOT NULL CONSTRAINT notifications_target_url CHECK (length(target_url) BETWEEN 1 AND 2048),
  status text NOT NULL DEFAULT 'pending' CONSTRAINT notifications_status CHECK (status IN ('pending', 'delivered', 'parked')),
  attempts integer NOT NULL DEFAULT 0 CONSTRAINT notifications_attempts CHECK (attempts >= 0),
  -- When a dispatcher may take it: the backoff after a failure, or the lease of an attempt in flight.
  next_attempt_at timestamptz NOT NULL,
  -- The end of the retry window (creation or resend + 3 days): a failure at or after it parks the row.
  retry_until timestamptz NOT NULL,
  last_attempt_at timestamptz,
  -- Why the last attempt failed: a status code or a short reason, never the token.
  last_error text CONSTRAINT notifications_last_error CHECK (length(last_error) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL,
  delivered_at timestamptz,
  parked_at timestamptz,
  CONSTRAINT notifications_outcome CHECK (
    (status = 'pending' AND delivered_at IS NULL AND parked_at IS NULL)
    OR (status = 'delivered' AND delivered_at IS NOT NULL AND parked_at IS NULL)
    OR (status = 'parked' AND parked_at IS NOT NULL AND delivered_at IS NULL)
  )
);

-- What dispatchers scan: only pending rows are indexed, so the index stays small.
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_parked ON notifications (parked_at) WHERE status = 'parked';
CREATE INDEX notifications_by_merchant ON notifications (merchant_id, created_at);

CREATE FUNCTION notifications_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.id, NEW.merchant_id, NEW.event, NEW.payload, NEW.created_at)
      IS DISTINCT FROM (OLD.id, OLD.merchant_id, OLD.event, OLD.payload, OLD.created_at) THEN
    RAISE EXCEPTION 'what notification % says never changes', OLD.id
      USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'notifications_immutable';
  END IF;
  IF OLD.status = 'delivered' AND NEW IS DISTINCT FROM OLD THEN
    RAISE EXCEPTION 'notification % was delivered and never changes again', OLD.id
      USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'notifications_final';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER notifications_guard BEFORE UPDATE ON notifications
  FOR EACH ROW EXECUTE FUNCTION notifications_guard();
`,
};
