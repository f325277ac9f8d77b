import type { Migration } from './migration.js';

/**
 * Bank operations (acquirer/operations.ts): each one recorded and committed before the
 * bank is called, under the idempotency key the bank receives, so that a time-out, a
 * crash or a retry can never turn into a second charge. An operation leaves `pending`
 * once, for `approved` or `declined`, and never changes again; the guard below makes
 * that a property of the database, not of the code that writes it.
 */
export const migration: Migration = {
  version: 4,
  name: 'acquirer',
  sql: /* sql */ `
CREATE TABLE acquirer_operations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  idempotency_key text NOT NULL CONSTRAINT acquirer_operations_idempotency_key UNIQUE
    CONSTRAINT acquirer_operations_key_format CHECK (idempotency_key ~ '^[!-~]{1,255}$'),
  kind text NOT NULL CONSTRAINT acquirer_operations_kind CHECK (kind IN ('authorise', 'capture', 'refund', 'payout')),
  -- The authorisation a capture or refund applies to; none for the other kinds.
  authorisation_id uuid CONSTRAINT acquirer_operations_authorisation REFERENCES acquirer_operations (id),
  -- Exactly what the bank is sent, resent unchanged on every retry (the bank compares it).
  request jsonb NOT NULL,
  -- SHA-256 (hex) of the canonical request and metadata: same key with other content is refused.
  request_hash text NOT NULL CONSTRAINT acquirer_operations_request_hash CHECK (request_hash ~ '^[0-9a-f]{64}$'),
  metadata jsonb NOT NULL DEFAULT '{}',
  amount bigint NOT NULL CONSTRAINT acquirer_operations_amount CHECK (amount > 0),
  currency text NOT NULL CONSTRAINT acquirer_operations_currency CHECK (currency ~ '^[A-Z]{3}$'),
  status text NOT NULL DEFAULT 'pending' CONSTRAINT acquirer_operations_status CHECK (status IN ('pending', 'approved', 'declined')),
  bank_reference text,
  decline_reason text,
  -- Calls made to the bank about this operation (the operation itself or a lookup).
  attempts integer NOT NULL DEFAULT 0 CONSTRAINT acquirer_operations_attempts CHECK (attempts >= 0),
  -- Why the last attempt left it pending (timeout, unreachable…); never a secret.
  last_error text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  last_attempt_at timestamptz,
  -- When reconciliation may look at it again (backs off while the bank stays silent).
  next_attempt_at timestamptz NOT NULL,
  resolved_at timestamptz,
  CONSTRAINT acquirer_operations_parent CHECK ((authorisation_id IS NOT NULL) = (kind IN ('capture', 'refund'))),
  CONSTRAINT acquirer_operations_outcome CHECK (
    (status = 'pending' AND bank_reference IS NULL AND decline_reason IS NULL AND resolved_at IS NULL)
    OR (status = 'approved' AND bank_reference IS NOT NULL AND decline_reason IS NULL AND resolved_at IS NOT NULL)
    OR (status = 'declined' AND decline_reason IS NOT NULL AND resolved_at IS NOT NULL)
  )
);

-- What reconciliation scans: only pending rows are indexed, so the index stays small.
CREATE INDEX acquirer_operations_due ON acquirer_operations (next_attempt_at) WHERE status = 'pending';
CREATE INDEX acquirer_operations_by_authorisation ON acquirer_operations (authorisation_id) WHERE authorisation_id IS NOT NULL;

-- What was asked never changes; the outcome is written once; nothing is deleted.
CREATE FUNCTION acquirer_operations_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'acquirer_operations rows are never deleted'
      USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'acquirer_operations_append_only';
  END IF;
  IF (NEW.id, NEW.idempotency_key, NEW.kind, NEW.authorisation_id, NEW.request, NEW.request_hash, NEW.metadata, NEW.amount, NEW.currency, NEW.created_at)
      IS DISTINCT FROM
     (OLD.id, OLD.idempotency_key, OLD.kind, OLD.authorisation_id, OLD.request, OLD.request_hash, OLD.metadata, OLD.amount, OLD.currency, OLD.created_at) THEN
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

CREATE TRIGGER acquirer_operations_guard BEFORE UPDATE OR DELETE ON acquirer_operations
  FOR EACH ROW EXECUTE FUNCTION acquirer_operations_guard();

CREATE FUNCTION acquirer_operations_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'acquirer_operations is never truncated'
    USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'acquirer_operations_append_only';
END
$$;

CREATE TRIGGER acquirer_operations_no_truncate BEFORE TRUNCATE ON acquirer_operations
  FOR EACH STATEMENT EXECUTE FUNCTION acquirer_operations_refuse_truncate();
`,
};
