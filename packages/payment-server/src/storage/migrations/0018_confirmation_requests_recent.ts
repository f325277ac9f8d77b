import type { Migration } from './migration.js';

/**
 * A customer's recent confirmation requests, by time: the hosted pages count those not
 * approved before sending another to the phone (checkout/phone.ts), so that whoever knows
 * an account id cannot flood its phone with requests hoping one is approved by mistake.
 */
export const migration: Migration = {
  version: 18,
  name: 'confirmation_requests_recent',
  sql: /* sql */ `
CREATE INDEX confirmation_requests_customer_time ON confirmation_requests (customer_id, created_at);
`,
};
