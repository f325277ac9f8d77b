import type { Migration } from './migration.js';

/**
 * Confirmation requests sent to a customer's phone (devices/confirmations*, docs/device-api.md).
 *
 * `seq` orders requests across every instance: it is the SSE event id a phone resumes
 * from (`Last-Event-ID`). `request` is the protocol's `confirmationRequest` message as it
 * was sent; the answer must repeat its facts (dynamic linking). A request leaves `open`
 * exactly once, by compare-and-set (`UPDATE … WHERE state = 'open'`), so two answers
 * (or an answer racing a cancel) cannot both win. `answer_jti` is unique: one signed
 * approval can never answer a second request. At most one open request per session.
 */
export const migration: Migration = {
  version: 12,
  name: 'confirmation_requests',
  sql: /* sql */ `
CREATE TABLE confirmation_requests (
  seq bigserial PRIMARY KEY,
  id text NOT NULL CONSTRAINT confirmation_requests_id UNIQUE CONSTRAINT confirmation_requests_id_form CHECK (id ~ '^cfr_[A-Za-z0-9_-]{22,60}$'),
  session_id text NOT NULL CONSTRAINT confirmation_requests_session REFERENCES checkout_sessions (id),
  customer_id text NOT NULL CONSTRAINT confirmation_requests_customer REFERENCES customers (id),
  challenge text NOT NULL CONSTRAINT confirmation_requests_challenge CHECK (challenge ~ '^[A-Za-z0-9_-]{43}$'),
  request jsonb NOT NULL CONSTRAINT confirmation_requests_request CHECK (
    jsonb_typeof(request) = 'object' AND request->>'id' = id AND request->>'challenge' = challenge),
  state text NOT NULL DEFAULT 'open' CONSTRAINT confirmation_requests_state CHECK (
    state IN ('open', 'approved', 'declined', 'expired', 'cancelled')),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL CONSTRAINT confirmation_requests_expiry CHECK (expires_at > created_at),
  -- When the request left 'open', for whatever reason.
  closed_at timestamptz,
  -- Approved or declined: when, by which device, and the jti of its signed answer.
  answered_at timestamptz,
  answer_device_id text CONSTRAINT confirmation_requests_device REFERENCES devices (id),
  answer_jti text CONSTRAINT confirmation_requests_answer_jti UNIQUE,
  CONSTRAINT confirmation_requests_closed CHECK ((state = 'open') = (closed_at IS NULL)),
  CONSTRAINT confirmation_requests_answer CHECK (
    (state IN ('approved', 'declined')) = (answered_at IS NOT NULL AND answer_jti IS NOT NULL AND answer_device_id IS NOT NULL))
);
CREATE UNIQUE INDEX confirmation_requests_one_open ON confirmation_requests (session_id) WHERE state = 'open';
CREATE INDEX confirmation_requests_customer_open ON confirmation_requests (customer_id, seq) WHERE state = 'open';
`,
};
