import type { Migration } from './migration.js';

/**
 * The mode the database serves (`CAISSE_MODE`, test mode of issue 16), recorded by the
 * first payment server to start on it (mode/lock.ts) and never changed: a test database's
 * wallets hold play money and its merchants test keys, and a live one's real money, so
 * neither may ever be served in the other mode. One row at most (`singleton`).
 */
export const migration: Migration = {
  version: 25,
  name: 'server_mode',
  sql: /* sql */ `
CREATE TABLE server_mode (
  singleton boolean PRIMARY KEY DEFAULT true CONSTRAINT server_mode_singleton CHECK (singleton),
  mode text NOT NULL CONSTRAINT server_mode_mode CHECK (mode IN ('live', 'test')),
  set_at timestamptz NOT NULL
);
`,
};
