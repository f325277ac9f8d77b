import type { Migration } from './migration.js';

/**
 * The merchant lifecycle (`src/merchants/status.ts`): a merchant is `pending` until the
 * operator approves it, `active` while it may take payments, `suspended` while the
 * operator has stopped it. Merchants registered before this migration were vetted by the
 * operator who added them: they are `active`. The column has no default: the merchant
 * service, the one writer of `merchants`, always says which status a new merchant gets.
 *
 * `merchant_status_changes` is the append-only history of every move, who made it
 * (`cli`, `cli:<user>`, `operator:<id>`), when and why. Its CHECK spells the lifecycle,
 * so no row can record a move the service would refuse; a suspension always says why.
 */
export const migration: Migration = {
  version: 32,
  name: 'merchant_lifecycle',
  sql: /* sql */ `
ALTER TABLE merchants ADD COLUMN status text NOT NULL DEFAULT 'active'
  CONSTRAINT merchants_status CHECK (status IN ('pending', 'active', 'suspended'));
ALTER TABLE merchants ALTER COLUMN status DROP DEFAULT;

CREATE TABLE merchant_status_changes (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  merchant_id text NOT NULL CONSTRAINT merchant_status_changes_merchant REFERENCES merchants (id),
  from_status text NOT NULL,
  to_status text NOT NULL,
  changed_by text NOT NULL CONSTRAINT merchant_status_changes_by CHECK (length(changed_by) BETWEEN 1 AND 200),
  reason text CONSTRAINT merchant_status_changes_reason CHECK (length(reason) BETWEEN 1 AND 500),
  changed_at timestamptz NOT NULL,
  CONSTRAINT merchant_status_changes_move CHECK (
    (from_status, to_status) IN (('pending', 'active'), ('pending', 'suspended'), ('active', 'suspended'), ('suspended', 'active'))
  ),
  CONSTRAINT merchant_status_changes_suspension_reason CHECK (to_status <> 'suspended' OR reason IS NOT NULL)
);
CREATE INDEX merchant_status_changes_by_merchant ON merchant_status_changes (merchant_id, seq);

CREATE TRIGGER merchant_status_changes_append_only BEFORE UPDATE OR DELETE ON merchant_status_changes
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER merchant_status_changes_no_truncate BEFORE TRUNCATE ON merchant_status_changes
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
`,
};
