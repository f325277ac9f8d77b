import type { Migration } from './migration.js';

/**
 * The merchant API's memory, shared by every instance.
 *
 * `api_assertions`: the `jti` of every assertion accepted, until it would be refused as
 * expired anyway. The primary key makes single use hold under any concurrency and across
 * instances: of two requests carrying one assertion, one insert wins.
 *
 * `api_idempotency_keys`: one row per merchant and `Idempotency-Key`, inserted
 * `in_progress` before the endpoint runs (the insert that wins the primary key is the one
 * execution), then `completed` with the response to replay. `owner` is the random token
 * of the execution holding the key: only that execution may complete or release it, so a
 * slow one whose lease (`locked_until`) was taken over cannot overwrite its successor.
 * Rows are kept until `expires_at` (24 h), then purged.
 */
export const migration: Migration = {
  version: 7,
  name: 'api',
  sql: /* sql */ `
CREATE TABLE api_assertions (
  merchant_id text NOT NULL,
  jti text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (merchant_id, jti)
);
CREATE INDEX api_assertions_expiry ON api_assertions (expires_at);

CREATE TABLE api_idempotency_keys (
  merchant_id text NOT NULL,
  key text NOT NULL CONSTRAINT api_idempotency_keys_key CHECK (key ~ '^[\\x21-\\x7e]{1,255}$'),
  -- SHA-256 (base64url) of method, path and query, and body: the same key with another request is a conflict.
  request_sha256 text NOT NULL,
  state text NOT NULL CONSTRAINT api_idempotency_keys_state CHECK (state IN ('in_progress', 'completed')),
  owner text NOT NULL,
  locked_until timestamptz NOT NULL,
  response_status integer,
  response_headers jsonb,
  response_body bytea,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (merchant_id, key),
  CONSTRAINT api_idempotency_keys_response CHECK (
    (state = 'completed') = (response_status IS NOT NULL AND response_headers IS NOT NULL AND response_body IS NOT NULL)
  )
);
CREATE INDEX api_idempotency_keys_expiry ON api_idempotency_keys (expires_at);
`,
};
