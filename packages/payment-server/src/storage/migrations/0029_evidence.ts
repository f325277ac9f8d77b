import type { Migration } from './migration.js';

/**
 * The evidence of consent (`src/evidence/`, the README's "Evidence").
 *
 * `confirmation_answers`: the phone's signed answer to a confirmation request
 * (`caisse-confirmation+jwt`, approvals and declines), exactly as it was verified, written
 * in the transaction that closes the request (devices/answer.ts). Append-only, as the
 * ledger is: no update, no delete, no truncate. It names no session nor request by a
 * foreign key: housekeeping deletes the requests of unpaid checkouts, and the answer
 * outlives them. A payment's ledger transfer carries its approval's `token_sha256` in its
 * metadata, which the audit register seals: `audit verify` reports an answer edited or
 * gone (audit/verify.ts).
 *
 * `tickets.token`: the exact bytes of each ticket that opened a checkout, written by the
 * statement that records the ticket (checkout/sessions.ts `open`), the only form in which
 * its merchant's signature can be checked again (the voucher commits to their SHA-256).
 * Null for tickets received before this migration and for allowance charges.
 */
export const migration: Migration = {
  version: 29,
  name: 'evidence',
  sql: /* sql */ `
CREATE TABLE confirmation_answers (
  request_id text PRIMARY KEY CONSTRAINT confirmation_answers_request CHECK (request_id ~ '^cfr_[A-Za-z0-9_-]{22,60}$'),
  session_id text NOT NULL,
  customer_id text NOT NULL CONSTRAINT confirmation_answers_customer REFERENCES customers (id),
  device_id text NOT NULL CONSTRAINT confirmation_answers_device REFERENCES devices (id),
  decision text NOT NULL CONSTRAINT confirmation_answers_decision CHECK (decision IN ('approve', 'decline')),
  token text NOT NULL CONSTRAINT confirmation_answers_token CHECK (length(token) BETWEEN 1 AND 16384),
  -- SHA-256 of the token's ASCII bytes, base64url: what a payment's ledger transfer names.
  token_sha256 text NOT NULL CONSTRAINT confirmation_answers_token_sha256 UNIQUE
    CONSTRAINT confirmation_answers_token_sha256_form CHECK (token_sha256 ~ '^[A-Za-z0-9_-]{43}$'),
  answered_at timestamptz NOT NULL
);
CREATE INDEX confirmation_answers_by_session ON confirmation_answers (session_id);

CREATE TRIGGER confirmation_answers_append_only BEFORE UPDATE OR DELETE ON confirmation_answers
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER confirmation_answers_no_truncate BEFORE TRUNCATE ON confirmation_answers
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

ALTER TABLE tickets ADD COLUMN token text CONSTRAINT tickets_token CHECK (length(token) BETWEEN 1 AND 16384);
`,
};
