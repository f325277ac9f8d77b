import type { Migration } from './migration.js';

/**
 * Quotes and digital goods (issue 21). A merchant may register a quote endpoint, which
 * the payment server asks for a signed ticket at the moment a customer wants an item.
 * A merchant may store digital goods here (sealed with AES-256-GCM under a key derived
 * from the operator secret, bound to the merchant and reference), which the browser that
 * paid gets once: `content_releases` holds that once, one row per paid ticket, taken by
 * its primary key.
 */
export const migration: Migration = {
  version: 27,
  name: 'quotes_contents',
  sql: /* sql */ `
ALTER TABLE merchants ADD COLUMN quote_url text;

CREATE TABLE contents (
  merchant_id text NOT NULL REFERENCES merchants (id),
  ref text NOT NULL,
  title text NOT NULL,
  content_type text NOT NULL,
  size integer NOT NULL CONSTRAINT contents_size CHECK (size >= 0),
  sealed text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (merchant_id, ref)
);

CREATE TABLE content_releases (
  merchant_id text NOT NULL,
  ticket_jti text NOT NULL,
  ref text NOT NULL,
  released_at timestamptz NOT NULL,
  PRIMARY KEY (merchant_id, ticket_jti)
);
`,
};
