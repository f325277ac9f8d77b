import type { Migration } from './migration.js';

/**
 * The customer data a checkout shares with the merchant (the voucher's `shared`), as the
 * customer gave it on the hosted page, validated by the protocol's `sharedData` schema.
 * Written only in the move that leaves `identifying`, so a form sent with bad data or
 * wrong credentials stores nothing; read when the payment is recorded.
 */
export const migration: Migration = {
  version: 16,
  name: 'checkout_shared',
  sql: /* sql */ `
ALTER TABLE checkout_sessions ADD COLUMN shared jsonb
  CONSTRAINT checkout_sessions_shared CHECK (shared IS NULL OR jsonb_typeof(shared) = 'object');
`,
};
