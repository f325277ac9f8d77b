import type { Migration } from './migration.js';

/**
 * The merchant API finds a payment by the merchant's own order serial
 * (`GET /v1/payments/by-serial/:serial`), as well as by its payment id: one index makes
 * that a point read whatever the merchant's history.
 */
export const migration: Migration = {
  version: 26,
  name: 'payment_order_serials',
  sql: /* sql */ `
CREATE INDEX payments_merchant_order_serial ON payments (merchant_id, order_serial);
`,
};
