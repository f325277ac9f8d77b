import type { Migration } from './migration.js';

/**
 * Customers' phones (devices/, docs/device-api.md).
 *
 * `devices`: one row per enrolled key. The id is `dev-` + the RFC 7638 thumbprint of the
 * public JWK (self-certifying), so a key belongs to one customer only. The PIN verifier
 * (`base64url(PBKDF2(PIN))` sent once at enrollment) is kept sealed with the server's
 * key-sealing key, bound to the device id; it is never stored or logged in clear. A
 * revoked device keeps its row (its id is never reused) and authenticates nothing.
 *
 * `enrollment_codes`: one-time codes a customer types into a new phone. Only the code's
 * SHA-256 is stored; a code is spent by the compare-and-set that records `used_at` (and
 * the device it enrolled), so two phones racing with one code cannot both enroll.
 */
export const migration: Migration = {
  version: 11,
  name: 'devices',
  sql: /* sql */ `
CREATE TABLE devices (
  id text PRIMARY KEY CONSTRAINT devices_id CHECK (id ~ '^dev-[A-Za-z0-9_-]{43}$'),
  customer_id text NOT NULL CONSTRAINT devices_customer REFERENCES customers (id),
  jwk jsonb NOT NULL CONSTRAINT devices_public CHECK (jsonb_typeof(jwk) = 'object' AND NOT jwk ? 'd' AND jwk->>'kid' = id),
  alg text NOT NULL CONSTRAINT devices_alg CHECK (alg IN ('EdDSA', 'ES256')),
  name text CONSTRAINT devices_name CHECK (length(name) BETWEEN 1 AND 64),
  pin_verifier_sealed text NOT NULL CONSTRAINT devices_pin_verifier CHECK (pin_verifier_sealed LIKE 'v1.%'),
  created_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX devices_customer_active ON devices (customer_id) WHERE revoked_at IS NULL;

CREATE TABLE enrollment_codes (
  -- SHA-256 of the code, base64url: a database leak does not give out live codes.
  code_sha256 text PRIMARY KEY CONSTRAINT enrollment_codes_hash CHECK (code_sha256 ~ '^[A-Za-z0-9_-]{43}$'),
  customer_id text NOT NULL CONSTRAINT enrollment_codes_customer REFERENCES customers (id),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  device_id text CONSTRAINT enrollment_codes_device REFERENCES devices (id),
  CONSTRAINT enrollment_codes_lifetime CHECK (expires_at > created_at AND expires_at <= created_at + interval '10 minutes'),
  CONSTRAINT enrollment_codes_use CHECK ((used_at IS NULL) = (device_id IS NULL))
);
CREATE INDEX enrollment_codes_expiry ON enrollment_codes (expires_at);
`,
};
