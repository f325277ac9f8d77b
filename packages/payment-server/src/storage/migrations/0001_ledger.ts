import type { Migration } from './migration.js';

/**
 * The double-entry ledger. Every invariant money depends on is enforced here, in the
 * database, so that no code path (a bug, a second service, a hand-written SQL fix) can
 * break it; the TypeScript layer only translates the errors (ledger/errors.ts).
 *
 * Sign convention: an entry's amount is positive for a credit (the account holder is owed
 * more), negative for a debit; an account's balance is the sum of its entries.
 *
 * Contention: a payment writes its own transfer row and its own entry rows, and updates
 * only the balance row of the customer's wallet (which no other customer's payment
 * touches). Merchant tills, escrow and clearing accounts have no balance row and no
 * foreign key pointing at them (a foreign key would lock the account row FOR KEY SHARE in
 * every payment, turning it into a multixact hot spot); entries are checked against the
 * account by a trigger reading it without a lock, which is safe because accounts are
 * never updated nor deleted.
 */
export const migration: Migration = {
  version: 1,
  name: 'ledger',
  sql: /* sql */ `
-- Raised by every append-only table on UPDATE, DELETE and TRUNCATE.
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'ledger_append_only';
END
$$;

CREATE TABLE ledger_accounts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  type text NOT NULL CONSTRAINT ledger_accounts_type CHECK (
    type IN ('customer_wallet', 'loyalty', 'merchant_till', 'escrow', 'bank_clearing', 'wallet_funding', 'loyalty_funding')
  ),
  owner_id text NOT NULL CONSTRAINT ledger_accounts_owner CHECK (length(owner_id) BETWEEN 1 AND 255),
  currency text NOT NULL CONSTRAINT ledger_accounts_currency CHECK (currency ~ '^[A-Z]{3}$'),
  -- Tracked accounts keep a balance row with a floor (0) and an optional cap; the others
  -- (tills, escrow, clearing, funding) are shared by many payments and derive their balance.
  tracked boolean GENERATED ALWAYS AS (type IN ('customer_wallet', 'loyalty')) STORED,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ledger_accounts_identity UNIQUE (type, owner_id, currency)
);

CREATE TRIGGER ledger_accounts_append_only BEFORE UPDATE OR DELETE ON ledger_accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- One row per tracked account, and only that account's payments update it.
CREATE TABLE ledger_balances (
  account_id uuid PRIMARY KEY CONSTRAINT ledger_balances_account REFERENCES ledger_accounts (id),
  balance bigint NOT NULL DEFAULT 0,
  -- Reserved by pending transfers: debits not yet posted, credits not yet posted.
  pending_debits bigint NOT NULL DEFAULT 0 CONSTRAINT ledger_balances_pending_debits CHECK (pending_debits >= 0),
  pending_credits bigint NOT NULL DEFAULT 0 CONSTRAINT ledger_balances_pending_credits CHECK (pending_credits >= 0),
  cap bigint CONSTRAINT ledger_balances_cap_valid CHECK (cap >= 0),
  -- Never below zero, counting what pending transfers have reserved.
  CONSTRAINT ledger_balances_floor CHECK (balance - pending_debits >= 0),
  -- Never above the cap, counting pending credits (NULL cap: no cap).
  CONSTRAINT ledger_balances_cap CHECK (balance + pending_credits <= cap)
);

CREATE FUNCTION ledger_accounts_open_balance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ledger_balances (account_id) VALUES (NEW.id);
  RETURN NULL;
END
$$;

CREATE TRIGGER ledger_accounts_open_balance AFTER INSERT ON ledger_accounts
  FOR EACH ROW WHEN (NEW.tracked) EXECUTE FUNCTION ledger_accounts_open_balance();

-- Balance and reservations change only as a consequence of entries and pending transfers
-- (triggers, depth >= 2); the cap may be changed directly.
CREATE FUNCTION ledger_balances_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR NEW.account_id <> OLD.account_id THEN
    RAISE EXCEPTION 'ledger_balances rows are never deleted nor moved'
      USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'ledger_append_only';
  END IF;
  IF pg_trigger_depth() < 2 AND (NEW.balance, NEW.pending_debits, NEW.pending_credits)
      IS DISTINCT FROM (OLD.balance, OLD.pending_debits, OLD.pending_credits) THEN
    RAISE EXCEPTION 'a ledger balance changes only through journal entries'
      USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'ledger_balances_derived';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER ledger_balances_guard BEFORE UPDATE OR DELETE ON ledger_balances
  FOR EACH ROW EXECUTE FUNCTION ledger_balances_guard();
CREATE TRIGGER ledger_balances_no_truncate BEFORE TRUNCATE ON ledger_balances
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- The register serial: only grows (NO CYCLE); gaps are allowed (rolled back transfers).
-- CACHE 1 on purpose: with a per-session cache a session could commit a serial lower than
-- one the audit sealer has already seen, and the sealer relies on it never happening.
CREATE SEQUENCE ledger_register_serial AS bigint START 1 NO CYCLE CACHE 1;

CREATE TABLE ledger_pending (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  idempotency_key text NOT NULL CONSTRAINT ledger_pending_idempotency_key UNIQUE
    CONSTRAINT ledger_pending_key_length CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  request_hash text NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ledger_transfers (
  serial bigint PRIMARY KEY,
  -- A transfer is either requested directly (idempotency key) or the posting of a pending
  -- transfer (at most one per pending transfer).
  idempotency_key text CONSTRAINT ledger_transfers_idempotency_key UNIQUE
    CONSTRAINT ledger_transfers_key_length CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  pending_id uuid CONSTRAINT ledger_transfers_pending UNIQUE CONSTRAINT ledger_transfers_pending_exists REFERENCES ledger_pending (id),
  request_hash text NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ledger_transfers_origin CHECK ((idempotency_key IS NULL) <> (pending_id IS NULL))
);

-- The serial is assigned here, never by the caller, after taking the register barrier in
-- shared mode: the audit sealer takes it exclusively to learn the highest serial below
-- which every transfer has committed or rolled back (audit/seal.ts). Shared holders never
-- wait for each other.
CREATE FUNCTION ledger_transfers_assign_serial() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(1128352083, 1);
  NEW.serial := nextval('ledger_register_serial');
  NEW.created_at := now();
  RETURN NEW;
END
$$;

CREATE TRIGGER ledger_transfers_assign_serial BEFORE INSERT ON ledger_transfers
  FOR EACH ROW EXECUTE FUNCTION ledger_transfers_assign_serial();
CREATE TRIGGER ledger_transfers_append_only BEFORE UPDATE OR DELETE ON ledger_transfers
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_transfers_no_truncate BEFORE TRUNCATE ON ledger_transfers
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

CREATE TABLE ledger_entries (
  serial bigint NOT NULL CONSTRAINT ledger_entries_transfer REFERENCES ledger_transfers (serial),
  account_id uuid NOT NULL,
  currency text NOT NULL,
  amount bigint NOT NULL CONSTRAINT ledger_entries_amount CHECK (amount <> 0),
  CONSTRAINT ledger_entries_one_line_per_account PRIMARY KEY (serial, account_id)
);

-- Derived balances: sum of an account's entries, read from the index alone.
CREATE INDEX ledger_entries_by_account ON ledger_entries (account_id, serial) INCLUDE (amount);

-- Checks the account exists (without locking it), copies its currency, and moves the
-- balance of tracked accounts, where the floor and cap CHECKs apply.
CREATE FUNCTION ledger_entries_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  account record;
BEGIN
  SELECT currency, tracked INTO account FROM ledger_accounts WHERE id = NEW.account_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no ledger account %', NEW.account_id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'ledger_entries_account';
  END IF;
  NEW.currency := account.currency;
  IF account.tracked THEN
    UPDATE ledger_balances SET balance = balance + NEW.amount WHERE account_id = NEW.account_id;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER ledger_entries_apply BEFORE INSERT ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_apply();
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- Balanced per currency, checked at commit (or at SET CONSTRAINTS … IMMEDIATE).
CREATE FUNCTION ledger_transfers_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  unbalanced text;
BEGIN
  SELECT currency INTO unbalanced FROM ledger_entries WHERE serial = NEW.serial
    GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger transfer % does not balance in %', NEW.serial, unbalanced
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transfers_balanced';
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER ledger_transfers_balanced AFTER INSERT ON ledger_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transfers_check_balanced();

-- A transfer has lines; a posting transfer carries exactly its pending transfer's lines
-- and exists only alongside a 'posted' resolution.
CREATE FUNCTION ledger_transfers_check_lines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM ledger_entries WHERE serial = NEW.serial) THEN
    RAISE EXCEPTION 'ledger transfer % has no lines', NEW.serial
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transfers_has_lines';
  END IF;
  IF NEW.pending_id IS NOT NULL AND (
    NOT EXISTS (SELECT 1 FROM ledger_pending_resolutions WHERE pending_id = NEW.pending_id AND outcome = 'posted')
    OR EXISTS (
      (SELECT account_id, amount FROM ledger_entries WHERE serial = NEW.serial)
      EXCEPT (SELECT account_id, amount FROM ledger_pending_lines WHERE pending_id = NEW.pending_id))
    OR EXISTS (
      (SELECT account_id, amount FROM ledger_pending_lines WHERE pending_id = NEW.pending_id)
      EXCEPT (SELECT account_id, amount FROM ledger_entries WHERE serial = NEW.serial))
  ) THEN
    RAISE EXCEPTION 'ledger transfer % does not post pending transfer % as it was created', NEW.serial, NEW.pending_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_pending_posting';
  END IF;
  RETURN NULL;
END
$$;

CREATE TABLE ledger_pending_lines (
  pending_id uuid NOT NULL CONSTRAINT ledger_pending_lines_pending REFERENCES ledger_pending (id),
  account_id uuid NOT NULL,
  currency text NOT NULL,
  amount bigint NOT NULL CONSTRAINT ledger_pending_lines_amount CHECK (amount <> 0),
  CONSTRAINT ledger_pending_lines_one_line_per_account PRIMARY KEY (pending_id, account_id)
);

CREATE INDEX ledger_pending_lines_by_account ON ledger_pending_lines (account_id);

-- At most one resolution per pending transfer, enforced by the primary key.
CREATE TABLE ledger_pending_resolutions (
  pending_id uuid CONSTRAINT ledger_pending_resolved PRIMARY KEY
    CONSTRAINT ledger_pending_resolutions_pending REFERENCES ledger_pending (id),
  outcome text NOT NULL CONSTRAINT ledger_pending_resolutions_outcome CHECK (outcome IN ('posted', 'voided')),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE CONSTRAINT TRIGGER ledger_transfers_has_lines AFTER INSERT ON ledger_transfers
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transfers_check_lines();

-- A pending transfer reserves: debits count against the floor, credits against the cap.
CREATE FUNCTION ledger_pending_lines_reserve() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  account record;
BEGIN
  SELECT currency, tracked INTO account FROM ledger_accounts WHERE id = NEW.account_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no ledger account %', NEW.account_id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'ledger_pending_lines_account';
  END IF;
  NEW.currency := account.currency;
  IF account.tracked THEN
    UPDATE ledger_balances
      SET pending_debits = pending_debits + greatest(-NEW.amount, 0),
          pending_credits = pending_credits + greatest(NEW.amount, 0)
      WHERE account_id = NEW.account_id;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER ledger_pending_lines_reserve BEFORE INSERT ON ledger_pending_lines
  FOR EACH ROW EXECUTE FUNCTION ledger_pending_lines_reserve();

CREATE FUNCTION ledger_pending_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  unbalanced text;
BEGIN
  SELECT currency INTO unbalanced FROM ledger_pending_lines WHERE pending_id = NEW.pending_id
    GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'pending transfer % does not balance in %', NEW.pending_id, unbalanced
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_pending_balanced';
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER ledger_pending_balanced AFTER INSERT ON ledger_pending_lines
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_pending_check_balanced();

CREATE FUNCTION ledger_pending_check_lines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM ledger_pending_lines WHERE pending_id = NEW.id) THEN
    RAISE EXCEPTION 'pending transfer % has no lines', NEW.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_pending_has_lines';
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER ledger_pending_has_lines AFTER INSERT ON ledger_pending
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_pending_check_lines();

-- Resolving releases the reservations. AFTER the row is in, so that a second resolution
-- fails on the primary key before it touches any balance.
CREATE FUNCTION ledger_pending_resolutions_release() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE ledger_balances b
    SET pending_debits = b.pending_debits - greatest(-l.amount, 0),
        pending_credits = b.pending_credits - greatest(l.amount, 0)
    FROM ledger_pending_lines l
    WHERE l.pending_id = NEW.pending_id AND b.account_id = l.account_id;
  RETURN NULL;
END
$$;

CREATE TRIGGER ledger_pending_resolutions_release AFTER INSERT ON ledger_pending_resolutions
  FOR EACH ROW EXECUTE FUNCTION ledger_pending_resolutions_release();

CREATE FUNCTION ledger_pending_resolutions_check_posted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.outcome = 'posted' AND NOT EXISTS (SELECT 1 FROM ledger_transfers WHERE pending_id = NEW.pending_id) THEN
    RAISE EXCEPTION 'pending transfer % marked posted without a posting transfer', NEW.pending_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_pending_posting';
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER ledger_pending_posting AFTER INSERT ON ledger_pending_resolutions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_pending_resolutions_check_posted();

CREATE TRIGGER ledger_pending_append_only BEFORE UPDATE OR DELETE ON ledger_pending
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_pending_no_truncate BEFORE TRUNCATE ON ledger_pending
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_pending_lines_append_only BEFORE UPDATE OR DELETE ON ledger_pending_lines
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_pending_lines_no_truncate BEFORE TRUNCATE ON ledger_pending_lines
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_pending_resolutions_append_only BEFORE UPDATE OR DELETE ON ledger_pending_resolutions
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_pending_resolutions_no_truncate BEFORE TRUNCATE ON ledger_pending_resolutions
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- Roll-ups of derived balances, written by a periodic job (ledger/rollups.ts), never by a
-- payment: balance = roll-up + entries after as_of_serial.
CREATE TABLE ledger_rollups (
  account_id uuid PRIMARY KEY CONSTRAINT ledger_rollups_account REFERENCES ledger_accounts (id),
  as_of_serial bigint NOT NULL,
  balance bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
`,
};
