import type { Migration } from './migration.js';

/**
 * The tamper-evident register: committed transfers sealed in hash-linked batches
 * (audit/seal.ts). The chain rule is enforced here too, so two sealers can never fork it.
 */
export const migration: Migration = {
  version: 2,
  name: 'audit',
  sql: /* sql */ `
CREATE TABLE audit_batches (
  seq bigint PRIMARY KEY CONSTRAINT audit_batches_seq CHECK (seq > 0),
  -- Every transfer with a serial up to last_serial had committed or rolled back when the
  -- batch was sealed: a later row at or below it was not written by the ledger.
  last_serial bigint NOT NULL,
  transfer_count integer NOT NULL CONSTRAINT audit_batches_count CHECK (transfer_count > 0),
  prev_hash text NOT NULL CONSTRAINT audit_batches_prev_hash CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash text NOT NULL CONSTRAINT audit_batches_hash UNIQUE CONSTRAINT audit_batches_hash_format CHECK (hash ~ '^[0-9a-f]{64}$'),
  sealed_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION audit_batches_check_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head_seq bigint;
  head_hash text;
  head_last bigint;
BEGIN
  SELECT seq, hash, last_serial INTO head_seq, head_hash, head_last FROM audit_batches ORDER BY seq DESC LIMIT 1;
  IF NOT FOUND THEN
    head_seq := 0;
    head_hash := repeat('0', 64);
    head_last := 0;
  END IF;
  IF NEW.seq <> head_seq + 1 OR NEW.prev_hash <> head_hash OR NEW.last_serial <= head_last THEN
    RAISE EXCEPTION 'audit batch % does not extend the chain (head is batch %)', NEW.seq, head_seq
      USING ERRCODE = 'check_violation', CONSTRAINT = 'audit_batches_chain';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER audit_batches_check_chain BEFORE INSERT ON audit_batches
  FOR EACH ROW EXECUTE FUNCTION audit_batches_check_chain();

-- The canonical encoding of each sealed transfer, as hashed: lets the verifier say which
-- field of which line changed, and is itself covered by the batch hash.
CREATE TABLE audit_sealed_transfers (
  serial bigint PRIMARY KEY,
  batch_seq bigint NOT NULL CONSTRAINT audit_sealed_transfers_batch REFERENCES audit_batches (seq),
  encoding text NOT NULL
);

CREATE INDEX audit_sealed_transfers_by_batch ON audit_sealed_transfers (batch_seq, serial);

CREATE TRIGGER audit_batches_append_only BEFORE UPDATE OR DELETE ON audit_batches
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER audit_batches_no_truncate BEFORE TRUNCATE ON audit_batches
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER audit_sealed_transfers_append_only BEFORE UPDATE OR DELETE ON audit_sealed_transfers
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER audit_sealed_transfers_no_truncate BEFORE TRUNCATE ON audit_sealed_transfers
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
`,
};
