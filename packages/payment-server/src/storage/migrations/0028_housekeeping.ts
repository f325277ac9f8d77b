import type { Migration } from './migration.js';

/**
 * Indexes for housekeeping (`src/housekeeping/`, issue 24). Deleting an unpaid checkout
 * makes PostgreSQL check that no confirmation request still names it, and only open
 * requests had an index on `session_id`: each session deleted scanned the whole table.
 * Old delivered notifications are found by when they were delivered, not merchant by merchant.
 */
export const migration: Migration = {
  version: 28,
  name: 'housekeeping',
  sql: /* sql */ `
CREATE INDEX confirmation_requests_session ON confirmation_requests (session_id);
CREATE INDEX notifications_delivered ON notifications (delivered_at) WHERE status = 'delivered';
`,
};
