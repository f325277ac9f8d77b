import type { Migration } from './migration.js';

/**
 * Several acquirers (acquirer/routing.ts). Each operation records the acquirer it went
 * to, and a capture, refund or void must go to its authorisation's: the composite foreign
 * key makes that a property of the database. An authorisation that provably never charged
 * (refused before acting, or unknown to its bank) is handed over to the next acquirer of
 * its route: `fallbacks` lists them in order, `handed_over_to` points at the operation that
 * took over. A void releases an authorisation that will never be captured.
 *
 * Operations recorded before there were several acquirers belong to the one named
 * `default`; a payment records the acquirer that took it, and when the bank released the
 * authorisation of a bank payment voided in escrow (`reversed_at`; the partial index keeps
 * the reversal sweep to the few not yet released, as 0017 does for captures).
 */
export const migration: Migration = {
  version: 19,
  name: 'acquirers',
  sql: /* sql */ `
ALTER TABLE acquirer_operations DROP CONSTRAINT acquirer_operations_kind;
ALTER TABLE acquirer_operations ADD CONSTRAINT acquirer_operations_kind
  CHECK (kind IN ('authorise', 'capture', 'refund', 'void', 'payout'));
ALTER TABLE acquirer_operations DROP CONSTRAINT acquirer_operations_parent;
ALTER TABLE acquirer_operations ADD CONSTRAINT acquirer_operations_parent
  CHECK ((authorisation_id IS NOT NULL) = (kind IN ('capture', 'refund', 'void')));

ALTER TABLE acquirer_operations ADD COLUMN acquirer text NOT NULL DEFAULT 'default'
  CONSTRAINT acquirer_operations_acquirer CHECK (acquirer ~ '^[a-z0-9][a-z0-9_-]{0,31}$');
ALTER TABLE acquirer_operations ALTER COLUMN acquirer DROP DEFAULT;
ALTER TABLE acquirer_operations ADD CONSTRAINT acquirer_operations_id_acquirer UNIQUE (id, acquirer);
ALTER TABLE acquirer_operations ADD CONSTRAINT acquirer_operations_same_acquirer
  FOREIGN KEY (authorisation_id, acquirer) REFERENCES acquirer_operations (id, acquirer);

ALTER TABLE acquirer_operations ADD COLUMN fallbacks text[] NOT NULL DEFAULT '{}'
  CONSTRAINT acquirer_operations_fallbacks CHECK (fallbacks = '{}' OR kind = 'authorise');
ALTER TABLE acquirer_operations ADD COLUMN handed_over_to uuid
  CONSTRAINT acquirer_operations_handed_over_to REFERENCES acquirer_operations (id);
ALTER TABLE acquirer_operations ADD CONSTRAINT acquirer_operations_handover
  CHECK (handed_over_to IS NULL OR (status = 'declined' AND decline_reason IN ('request_rejected', 'not_received')));

CREATE OR REPLACE FUNCTION acquirer_operations_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'acquirer_operations rows are never deleted'
      USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'acquirer_operations_append_only';
  END IF;
  IF (NEW.id, NEW.idempotency_key, NEW.kind, NEW.authorisation_id, NEW.request, NEW.request_hash, NEW.metadata, NEW.amount, NEW.currency,
      NEW.created_at, NEW.acquirer, NEW.fallbacks)
      IS DISTINCT FROM
     (OLD.id, OLD.idempotency_key, OLD.kind, OLD.authorisation_id, OLD.request, OLD.request_hash, OLD.metadata, OLD.amount, OLD.currency,
      OLD.created_at, OLD.acquirer, OLD.fallbacks) THEN
    RAISE EXCEPTION 'the request of bank operation % never changes', OLD.id
      USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'acquirer_operations_immutable';
  END IF;
  IF OLD.status <> 'pending' AND NEW IS DISTINCT FROM OLD THEN
    RAISE EXCEPTION 'bank operation % is % and never changes again', OLD.id, OLD.status
      USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'acquirer_operations_final';
  END IF;
  RETURN NEW;
END
$$;

ALTER TABLE payments ADD COLUMN acquirer text
  CONSTRAINT payments_acquirer CHECK ((acquirer IS NOT NULL) = (funding IS NOT DISTINCT FROM 'bank'));
UPDATE payments SET acquirer = 'default' WHERE funding = 'bank';
ALTER TABLE payments ADD COLUMN reversed_at timestamptz
  CONSTRAINT payments_reversed_bank CHECK (reversed_at IS NULL OR (funding = 'bank' AND status = 'voided'));
CREATE INDEX payments_bank_unreversed ON payments (created_at) WHERE funding = 'bank' AND status = 'voided' AND reversed_at IS NULL;
`,
};
