import type { Migration } from './migration.js';

/**
 * Session allowances (seed 003's "provision de consommation"; allowances/). The customer
 * confirms an allowance ticket once; its maximum is reserved in the ledger at once (a
 * pending transfer from the wallet), and the merchant then charges under it with no
 * confirmation. A charge is one conditional update of the allowance row (`used` can only
 * grow within `maximum`, which the CHECK repeats, so no concurrency on any number of
 * instances takes more) and one payment row (`funding = 'allowance'`) with its voucher.
 * The charges of a period are settled together — one remittance transfer of what they
 * used, the reservation voided — once the allowance expires, reaches its maximum, is
 * revoked or closed, or (recurring) its period ends (the next period's reservation
 * then follows; a wallet that cannot hold it back any more ends it `unfunded`); `allowance_remittances` has one row
 * per settled period, so a period is settled exactly once whatever crashes around it.
 */
export const migration: Migration = {
  version: 23,
  name: 'allowances',
  sql: /* sql */ `
CREATE TABLE allowances (
  id text PRIMARY KEY CONSTRAINT allowances_id CHECK (id ~ '^al_[A-Za-z0-9_-]{22}$'),
  merchant_id text NOT NULL CONSTRAINT allowances_merchant REFERENCES merchants (id),
  customer_id text NOT NULL CONSTRAINT allowances_customer REFERENCES customers (id),
  ticket_jti text NOT NULL,
  ticket_sha256 text NOT NULL,
  currency text NOT NULL,
  maximum bigint NOT NULL CONSTRAINT allowances_maximum CHECK (maximum > 0),
  charge_cap bigint CONSTRAINT allowances_charge_cap CHECK (charge_cap BETWEEN 1 AND maximum),
  period text CONSTRAINT allowances_period CHECK (period IN ('day', 'week', 'month')),
  notify_url text,
  confirmed_at timestamptz NOT NULL,
  granted_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  -- The current period: charges count in it; a recurring allowance starts a new one at period_end.
  period_no integer NOT NULL DEFAULT 0,
  period_start timestamptz NOT NULL,
  period_end timestamptz NOT NULL,
  used bigint NOT NULL DEFAULT 0,
  charge_count integer NOT NULL DEFAULT 0,
  state text NOT NULL DEFAULT 'active' CONSTRAINT allowances_state CHECK (state IN ('active', 'ended')),
  end_reason text CONSTRAINT allowances_end_reason CHECK (end_reason IN ('expired', 'exhausted', 'revoked', 'closed', 'unfunded')),
  ended_at timestamptz,
  -- The grant's voucher, signed once with this register serial as its jti: the checkout's return carries these bytes.
  serial bigint NOT NULL CONSTRAINT allowances_serial UNIQUE,
  voucher text NOT NULL,
  CONSTRAINT allowances_within_maximum CHECK (used >= 0 AND used <= maximum),
  CONSTRAINT allowances_period_bounds CHECK (period_start < period_end AND period_end <= expires_at),
  CONSTRAINT allowances_ended CHECK ((state = 'ended') = (end_reason IS NOT NULL) AND (state = 'ended') = (ended_at IS NOT NULL)),
  CONSTRAINT allowances_ticket UNIQUE (merchant_id, ticket_jti),
  CONSTRAINT allowances_ticket_fk FOREIGN KEY (merchant_id, ticket_jti) REFERENCES tickets (merchant_id, jti)
) WITH (fillfactor = 50);
-- Every charge updates its allowance's row (used, charge_count: no index covers them): room
-- on each page keeps those updates HOT, the new version on the same page, no index touched.
CREATE INDEX allowances_customer_live ON allowances (customer_id, granted_at) WHERE state = 'active';
-- What the settlement sweep scans: live allowances by the end of their period.
CREATE INDEX allowances_due ON allowances (period_end) WHERE state = 'active';

CREATE TABLE allowance_remittances (
  allowance_id text NOT NULL CONSTRAINT allowance_remittances_allowance REFERENCES allowances (id),
  period_no integer NOT NULL,
  reason text NOT NULL CONSTRAINT allowance_remittances_reason
    CHECK (reason IN ('expired', 'exhausted', 'revoked', 'closed', 'period_ended')),
  period_start timestamptz NOT NULL,
  period_end timestamptz NOT NULL,
  used bigint NOT NULL CONSTRAINT allowance_remittances_used CHECK (used >= 0),
  charge_count integer NOT NULL,
  -- The register serial of the remittance transfer; null when nothing was charged.
  transfer_serial bigint,
  settled_at timestamptz NOT NULL,
  PRIMARY KEY (allowance_id, period_no),
  CONSTRAINT allowance_remittances_transfer CHECK ((transfer_serial IS NULL) = (used = 0))
);

ALTER TABLE payments ADD COLUMN allowance_id text CONSTRAINT payments_allowance_fk REFERENCES allowances (id);
ALTER TABLE payments ADD COLUMN allowance_period integer;
ALTER TABLE payments ADD CONSTRAINT payments_allowance
  CHECK ((allowance_id IS NOT NULL) = (funding IS NOT DISTINCT FROM 'allowance') AND (allowance_id IS NULL) = (allowance_period IS NULL));
CREATE INDEX payments_allowance_charges ON payments (allowance_id, allowance_period, created_at, serial) WHERE allowance_id IS NOT NULL;

ALTER TABLE notifications DROP CONSTRAINT notifications_event;
ALTER TABLE notifications ADD CONSTRAINT notifications_event CHECK (event IN (
  'payment.authorised', 'payment.held', 'payment.released', 'payment.voided',
  'payment.refused', 'refund.succeeded', 'settlement.paid', 'allowance.settled'));

ALTER TABLE refunds DROP CONSTRAINT refunds_funding;
ALTER TABLE refunds ADD CONSTRAINT refunds_funding CHECK (funding IN ('wallet', 'bank', 'allowance'));
`,
};
