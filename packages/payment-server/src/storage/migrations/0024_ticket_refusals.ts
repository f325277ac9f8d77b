import type { Migration } from './migration.js';

/**
 * Refused tickets, for the merchant to act on (ticket-refusals/).
 *
 * `ticket_refusals`: one row per merchant, precise code and message (by the SHA-256 of
 * the message, `fingerprint`), counted, with when it was first and last seen and the
 * `jti` the last such ticket gave (unverified). A refusal is attributed to the merchant
 * its unverified `iss` names, so anyone can forge tickets naming a merchant: a merchant
 * keeps at most a fixed number of rows (the service's cap), and past it each code counts
 * on one `fingerprint = 'overflow'` row. Rows not seen for 30 days are deleted.
 *
 * `tickets.refused_at`: a ticket answered with a signed refusal although the same bytes
 * could be accepted later (a key registered, an origin registered, its `iat` reached) is
 * recorded as used, like a paid one, in the same primary key that makes a ticket single
 * use: it can then never open a session nor be charged, so no refusal is ever issued for
 * a ticket that is paid afterwards. Such rows have no session, payment or allowance, are
 * capped per merchant, and are deleted once the ticket has expired.
 *
 * The notification event `ticket.refused` is added to the outbox's list.
 */
export const migration: Migration = {
  version: 24,
  name: 'ticket_refusals',
  sql: /* sql */ `
CREATE TABLE ticket_refusals (
  id text PRIMARY KEY CONSTRAINT ticket_refusals_id CHECK (id ~ '^tr_[A-Za-z0-9_-]{22}$'),
  merchant_id text NOT NULL CONSTRAINT ticket_refusals_merchant REFERENCES merchants (id),
  code text NOT NULL CONSTRAINT ticket_refusals_code CHECK (code ~ '^[a-z][a-z0-9_]{0,63}$'),
  -- SHA-256 (base64url) of the message; 'overflow' for the row counting this code's refusals past the cap.
  fingerprint text NOT NULL CONSTRAINT ticket_refusals_fingerprint CHECK (fingerprint ~ '^([A-Za-z0-9_-]{43}|overflow)$'),
  message text NOT NULL CONSTRAINT ticket_refusals_message CHECK (length(message) BETWEEN 1 AND 1000),
  count bigint NOT NULL CONSTRAINT ticket_refusals_count CHECK (count >= 1),
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  -- The jti the last ticket refused this way gave, unverified; null when it had none readable.
  last_ticket text CONSTRAINT ticket_refusals_last_ticket CHECK (last_ticket ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'),
  CONSTRAINT ticket_refusals_kind UNIQUE (merchant_id, code, fingerprint),
  CONSTRAINT ticket_refusals_seen CHECK (last_seen_at >= first_seen_at)
);
CREATE INDEX ticket_refusals_recent ON ticket_refusals (merchant_id, last_seen_at);
CREATE INDEX ticket_refusals_expiry ON ticket_refusals (last_seen_at);

ALTER TABLE tickets ADD COLUMN refused_at timestamptz;
CREATE INDEX tickets_refused ON tickets (merchant_id, expires_at) WHERE refused_at IS NOT NULL;

ALTER TABLE notifications DROP CONSTRAINT notifications_event;
ALTER TABLE notifications ADD CONSTRAINT notifications_event CHECK (event IN (
  'payment.authorised', 'payment.held', 'payment.released', 'payment.voided',
  'payment.refused', 'refund.succeeded', 'settlement.paid', 'allowance.settled', 'ticket.refused'));
`,
};
