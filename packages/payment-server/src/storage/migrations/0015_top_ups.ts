import type { Migration } from './migration.js';

/**
 * Wallet top-ups from the customer's bank. Each is a pending ledger transfer (bank
 * clearing → wallet) made before the bank is charged, so the wallet's cap is reserved
 * first — the ledger's cap CHECK counts pending credits — and the bank is never charged
 * for money the wallet could not take. `(customer_id, request_id)` is unique: a form sent
 * twice tops up once.
 */
export const migration: Migration = {
  version: 15,
  name: 'top_ups',
  sql: /* sql */ `
CREATE TABLE top_ups (
  id text PRIMARY KEY CONSTRAINT top_ups_id CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'),
  customer_id text NOT NULL CONSTRAINT top_ups_customer REFERENCES customers (id),
  request_id text NOT NULL CONSTRAINT top_ups_request_id CHECK (request_id ~ '^[A-Za-z0-9._:-]{1,64}$'),
  amount bigint NOT NULL CONSTRAINT top_ups_amount CHECK (amount > 0),
  currency text NOT NULL CONSTRAINT top_ups_currency CHECK (currency ~ '^[A-Z]{3}$'),
  status text NOT NULL CONSTRAINT top_ups_status CHECK (status IN ('pending', 'succeeded', 'declined')),
  pending_id uuid NOT NULL CONSTRAINT top_ups_pending REFERENCES ledger_pending (id),
  transfer_serial bigint,
  bank_reference text,
  decline_reason text,
  created_at timestamptz NOT NULL,
  resolved_at timestamptz,
  CONSTRAINT top_ups_request UNIQUE (customer_id, request_id),
  CONSTRAINT top_ups_outcome CHECK (
    (status = 'pending' AND resolved_at IS NULL AND transfer_serial IS NULL)
    OR (status = 'succeeded' AND resolved_at IS NOT NULL AND transfer_serial IS NOT NULL)
    OR (status = 'declined' AND resolved_at IS NOT NULL AND transfer_serial IS NULL)
  )
);
CREATE INDEX top_ups_customer_time ON top_ups (customer_id, created_at);
CREATE INDEX top_ups_pending ON top_ups (created_at) WHERE status = 'pending';
`,
};
