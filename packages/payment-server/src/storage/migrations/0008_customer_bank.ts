import type { Migration } from './migration.js';

/**
 * A customer's funding reference at the bank, for payments at or above the wallet
 * threshold: opaque to us (never a card number), passed to the acquirer as it is.
 */
export const migration: Migration = {
  version: 8,
  name: 'customer_bank',
  sql: /* sql */ `
ALTER TABLE customers ADD COLUMN bank_ref text
  CONSTRAINT customers_bank_ref CHECK (bank_ref ~ '^[\\x21-\\x7e]{1,64}$');
`,
};
