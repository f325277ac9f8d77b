import type { Migration } from './migration.js';

/**
 * The operator console (`src/console/`): operator accounts, their sessions, and the
 * register of what they did.
 *
 * - `operators`: one row per person, written by the console's operator service only. The
 *   password is a scrypt hash like customers' access keys (parameters kept beside it); the
 *   TOTP secret is sealed with `deriveKey(secret, 'operator-totp')`, bound to the operator
 *   id; `totp_last_step` is the last 30-second step a code was taken for, so a code is
 *   used once. Wrong passwords or codes count in `failed_attempts`; the fifth sets
 *   `locked_at` until an admin unlocks.
 * - `operator_sessions`: a session is a random token in an HttpOnly cookie; only its
 *   SHA-256 is stored, so a copy of the table signs nobody in. Any instance serves it.
 * - `operator_actions`: append-only and hash-chained: each row's `hash` is the SHA-256 of
 *   the previous row's hash and its own canonical content (console/activity.ts), the
 *   chain rule is enforced on insert as for the audit batches, and `audit verify`
 *   recomputes it (`operator_action_edited`).
 *
 * The console finds a payment by any of its ids: the ticket's `jti` and the merchant's
 * order serial across all merchants get an index each (the merchant API's lookups lead
 * with the merchant, which the console does not know).
 */
export const migration: Migration = {
  version: 34,
  name: 'operators',
  sql: /* sql */ `
CREATE TABLE operators (
  id text PRIMARY KEY CONSTRAINT operators_id CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'),
  display_name text NOT NULL CONSTRAINT operators_display_name CHECK (length(display_name) BETWEEN 1 AND 200),
  role text NOT NULL CONSTRAINT operators_role CHECK (role IN ('viewer', 'support', 'finance', 'admin')),
  password_hash bytea NOT NULL CONSTRAINT operators_password_hash CHECK (length(password_hash) BETWEEN 16 AND 64),
  password_salt bytea NOT NULL CONSTRAINT operators_password_salt CHECK (length(password_salt) >= 16),
  password_params jsonb NOT NULL,
  totp_secret text NOT NULL CONSTRAINT operators_totp_secret CHECK (totp_secret LIKE 'v1.%'),
  totp_last_step bigint,
  failed_attempts integer NOT NULL DEFAULT 0 CONSTRAINT operators_failed_attempts CHECK (failed_attempts >= 0),
  locked_at timestamptz,
  disabled_at timestamptz,
  created_at timestamptz NOT NULL
);

CREATE TABLE operator_sessions (
  token_sha256 text PRIMARY KEY CONSTRAINT operator_sessions_token CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
  operator_id text NOT NULL CONSTRAINT operator_sessions_operator REFERENCES operators (id),
  -- 'second_factor': the password was right, the code is still due; 'signed_in': both were.
  stage text NOT NULL CONSTRAINT operator_sessions_stage CHECK (stage IN ('second_factor', 'signed_in')),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  ended_at timestamptz
);
CREATE INDEX operator_sessions_by_operator ON operator_sessions (operator_id);

CREATE TABLE operator_actions (
  seq bigint PRIMARY KEY CONSTRAINT operator_actions_seq CHECK (seq > 0),
  operator_id text NOT NULL,
  action text NOT NULL CONSTRAINT operator_actions_action CHECK (action ~ '^[a-z][a-z0-9_.]{0,63}$'),
  subject text NOT NULL CONSTRAINT operator_actions_subject CHECK (length(subject) <= 200),
  details jsonb NOT NULL,
  client text NOT NULL CONSTRAINT operator_actions_client CHECK (length(client) <= 100),
  at timestamptz NOT NULL,
  prev_hash text NOT NULL CONSTRAINT operator_actions_prev_hash CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash text NOT NULL CONSTRAINT operator_actions_hash UNIQUE CONSTRAINT operator_actions_hash_format CHECK (hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX operator_actions_by_operator ON operator_actions (operator_id, seq);

CREATE FUNCTION operator_actions_check_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head_seq bigint;
  head_hash text;
BEGIN
  SELECT seq, hash INTO head_seq, head_hash FROM operator_actions ORDER BY seq DESC LIMIT 1;
  IF NOT FOUND THEN
    head_seq := 0;
    head_hash := repeat('0', 64);
  END IF;
  IF NEW.seq <> head_seq + 1 OR NEW.prev_hash <> head_hash THEN
    RAISE EXCEPTION 'operator action % does not extend the chain (head is action %)', NEW.seq, head_seq
      USING ERRCODE = 'check_violation', CONSTRAINT = 'operator_actions_chain';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER operator_actions_check_chain BEFORE INSERT ON operator_actions
  FOR EACH ROW EXECUTE FUNCTION operator_actions_check_chain();
CREATE TRIGGER operator_actions_append_only BEFORE UPDATE OR DELETE ON operator_actions
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER operator_actions_no_truncate BEFORE TRUNCATE ON operator_actions
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

CREATE INDEX payments_by_ticket_jti ON payments (ticket_jti);
CREATE INDEX payments_by_order_serial ON payments (order_serial);
`,
};
