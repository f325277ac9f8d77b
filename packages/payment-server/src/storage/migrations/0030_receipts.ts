import type { Migration } from './migration.js';

/**
 * Receipts to customers (issue 19, `src/receipts/`) and the customer's language.
 *
 * A receipt is due the moment a payment or a refund is booked, in the same transaction,
 * so a process that dies after the commit loses none: triggers on `payments` (a payment
 * that moved money) and on `refunds` (one that succeeded) insert the row, whichever code
 * path books it (hosted pages, decoupled API, bank answers, allowance charges, refunds).
 * The insert cannot fail a payment: it names rows of the same transaction and skips a
 * receipt already there. The sender (`receipts/sender.ts`) is the only writer after that.
 */
export const migration: Migration = {
  version: 30,
  name: 'receipts',
  sql: /* sql */ `
-- The language of the customer's receipts: set by the operator, kept when the customer picks one on the account page.
ALTER TABLE customers ADD COLUMN locale text NOT NULL DEFAULT 'en' CONSTRAINT customers_locale CHECK (locale IN ('en', 'fr'));

CREATE TABLE receipts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL CONSTRAINT receipts_kind CHECK (kind IN ('payment', 'refund')),
  payment_serial bigint NOT NULL CONSTRAINT receipts_payment REFERENCES payments (serial),
  refund_id text CONSTRAINT receipts_refund REFERENCES refunds (id),
  customer_id text NOT NULL,
  -- due: to send; sent: the gateway took it; failed: every attempt failed; skipped: receipts are off, or no channel sends them.
  status text NOT NULL DEFAULT 'due' CONSTRAINT receipts_status CHECK (status IN ('due', 'sent', 'failed', 'skipped')),
  attempts integer NOT NULL DEFAULT 0 CONSTRAINT receipts_attempts CHECK (attempts >= 0),
  -- When a sender may take it: its creation, then past a claim's lease, then after a failure's backoff.
  next_attempt_at timestamptz NOT NULL,
  sent_at timestamptz,
  last_error text CONSTRAINT receipts_last_error CHECK (length(last_error) <= 200),
  created_at timestamptz NOT NULL,
  CONSTRAINT receipts_subject CHECK ((kind = 'refund') = (refund_id IS NOT NULL)),
  CONSTRAINT receipts_sent CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE UNIQUE INDEX receipts_payment_once ON receipts (payment_serial) WHERE kind = 'payment';
CREATE UNIQUE INDEX receipts_refund_once ON receipts (refund_id) WHERE kind = 'refund';
CREATE INDEX receipts_due ON receipts (next_attempt_at) WHERE status = 'due';

-- Dated by the booking's own clock (created_at, resolved_at), not the database's: the receipt says when the money moved.
CREATE FUNCTION receipts_for_payment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.amount > 0 THEN
    INSERT INTO receipts (kind, payment_serial, customer_id, next_attempt_at, created_at)
      VALUES ('payment', NEW.serial, NEW.customer_id, NEW.created_at, NEW.created_at)
      ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER receipts_for_payment AFTER INSERT ON payments
  FOR EACH ROW EXECUTE FUNCTION receipts_for_payment();

CREATE FUNCTION receipts_for_refund() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'succeeded' AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'succeeded') THEN
    INSERT INTO receipts (kind, payment_serial, refund_id, customer_id, next_attempt_at, created_at)
      SELECT 'refund', p.serial, NEW.id, p.customer_id, NEW.resolved_at, NEW.resolved_at FROM payments p WHERE p.serial = NEW.payment_serial
      ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER receipts_for_refund AFTER INSERT OR UPDATE OF status ON refunds
  FOR EACH ROW EXECUTE FUNCTION receipts_for_refund();
`,
};
