import type { Migration } from './migration.js';

/**
 * How the checkout was opened: a top-level redirect, or a popup whose result goes back
 * to the merchant page by `postMessage` instead of a redirect.
 */
export const migration: Migration = {
  version: 9,
  name: 'checkout_display',
  sql: /* sql */ `
ALTER TABLE checkout_sessions ADD COLUMN display text NOT NULL DEFAULT 'redirect'
  CONSTRAINT checkout_sessions_display CHECK (display IN ('redirect', 'popup'));
`,
};
