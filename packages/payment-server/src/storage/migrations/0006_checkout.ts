import type { Migration } from './migration.js';

/**
 * Tickets received, checkout sessions and payments. A ticket is accepted once: its
 * (merchant, id) is the primary key of `tickets`, so two instances receiving the same
 * ticket at once cannot both start a checkout. A session moves between states only by
 * compare-and-set (`UPDATE … WHERE state = expected`), so a double click or two
 * instances cannot run one step twice.
 */
export const migration: Migration = {
  version: 6,
  name: 'checkout',
  sql: /* sql */ `
CREATE TABLE tickets (
  merchant_id text NOT NULL,
  jti text NOT NULL,
  sha256 text NOT NULL,
  claims jsonb NOT NULL,
  received_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (merchant_id, jti)
);

CREATE TABLE checkout_sessions (
  id text PRIMARY KEY,
  merchant_id text NOT NULL,
  ticket_jti text NOT NULL,
  -- SHA-256 of the secret in the browser's cookie: the session answers only that browser.
  browser_hash text NOT NULL,
  state text NOT NULL CONSTRAINT checkout_sessions_state CHECK (
    state IN ('identifying', 'confirming', 'authorising', 'pending_bank', 'paid', 'refused', 'cancelled')
  ),
  customer_id text,
  -- Why a refused session was refused. The signed refusal (or voucher) is made when the
  -- browser leaves, so it is fresh however long the customer lingered on the result page.
  refusal_reason text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  CONSTRAINT checkout_sessions_ticket UNIQUE (merchant_id, ticket_jti),
  CONSTRAINT checkout_sessions_ticket_fk FOREIGN KEY (merchant_id, ticket_jti) REFERENCES tickets (merchant_id, jti)
);

CREATE TABLE payments (
  serial bigint PRIMARY KEY,
  merchant_id text NOT NULL,
  ticket_jti text NOT NULL,
  ticket_sha256 text NOT NULL,
  order_serial text NOT NULL,
  customer_id text NOT NULL,
  amount bigint NOT NULL CONSTRAINT payments_amount CHECK (amount >= 0),
  vat bigint NOT NULL CONSTRAINT payments_vat CHECK (vat >= 0),
  currency text NOT NULL,
  funding text CONSTRAINT payments_funding CHECK (funding IN ('wallet', 'bank', 'allowance')),
  status text NOT NULL CONSTRAINT payments_status CHECK (status IN ('authorised', 'authenticated', 'held')),
  voucher text NOT NULL,
  created_at timestamptz NOT NULL,
  CONSTRAINT payments_ticket UNIQUE (merchant_id, ticket_jti)
);
CREATE INDEX payments_merchant_time ON payments (merchant_id, created_at);
CREATE INDEX payments_customer_time ON payments (customer_id, currency, created_at);
`,
};
