import type { Migration } from './migration.js';

/**
 * The payment server's own signing keys, shared by every instance. A key is published
 * (in the JWKS) from `created_at` and signs from `signs_from` — later, so merchants
 * caching the JWKS see it before any voucher uses it. It stays published until its
 * successor has signed for longer than any token lives (derived, not stored).
 */
export const migration: Migration = {
  version: 5,
  name: 'server_keys',
  sql: /* sql */ `
CREATE TABLE server_keys (
  kid text PRIMARY KEY,
  alg text NOT NULL CONSTRAINT server_keys_alg CHECK (alg IN ('EdDSA', 'ES256')),
  public_jwk jsonb NOT NULL,
  -- The private JWK sealed with a key derived from CAISSE_SECRET (AES-256-GCM, kid as associated data).
  private_jwk_sealed text NOT NULL,
  created_at timestamptz NOT NULL,
  signs_from timestamptz NOT NULL CONSTRAINT server_keys_publish_first CHECK (signs_from >= created_at)
);
CREATE INDEX server_keys_signs_from ON server_keys (signs_from);
`,
};
