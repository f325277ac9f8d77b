import type { Migration } from './migration.js';

/**
 * Disputes (`src/disputes/`): a customer contests one of their payments, the merchant
 * answers with evidence, the operator decides. One row per dispute, written by the
 * disputes service only; a payment is disputed once (`disputes_once`, mapped to
 * `dispute_exists`). The constraints spell the lifecycle, so no write can skip a step:
 * `awaiting_merchant` has no answer; `awaiting_decision` has one and a decision deadline;
 * `resolved` has an outcome, who decided and when.
 *
 * The refund of a decision for the customer is made through the refunds under the key
 * `dispute:<id>` (their own idempotency), by whoever claims it on this row
 * (`refund_claimed_at`, a lease): two deciders at once make one refund.
 * A hold moves the disputed amount from the merchant's till to its escrow account
 * (`dispute_hold:` / `dispute_release:` ledger keys), so the settlement, which pays out
 * what the till holds, does not pay it out meanwhile.
 */
export const migration: Migration = {
  version: 31,
  name: 'disputes',
  sql: /* sql */ `
CREATE TABLE disputes (
  id text PRIMARY KEY CONSTRAINT disputes_id CHECK (id ~ '^dp_[A-Za-z0-9_-]{22}$'),
  merchant_id text NOT NULL CONSTRAINT disputes_merchant REFERENCES merchants (id),
  payment_serial bigint NOT NULL CONSTRAINT disputes_payment REFERENCES payments (serial),
  customer_id text NOT NULL,
  reason text NOT NULL CONSTRAINT disputes_reason
    CHECK (reason IN ('not_received', 'duplicate', 'not_as_described', 'unauthorised', 'other')),
  message text NOT NULL CONSTRAINT disputes_message CHECK (length(message) BETWEEN 1 AND 2000),
  amount bigint NOT NULL CONSTRAINT disputes_amount CHECK (amount > 0),
  currency text NOT NULL,
  state text NOT NULL CONSTRAINT disputes_state CHECK (state IN ('awaiting_merchant', 'awaiting_decision', 'resolved')),
  evidence jsonb CONSTRAINT disputes_evidence CHECK (jsonb_typeof(evidence) = 'object' AND length(evidence::text) <= 16384),
  answered_at timestamptz,
  outcome text CONSTRAINT disputes_outcome CHECK (outcome IN ('for_customer', 'for_merchant')),
  decided_by text CONSTRAINT disputes_decided_by CHECK (decided_by IN ('operator', 'deadline')),
  note text CONSTRAINT disputes_note CHECK (length(note) BETWEEN 1 AND 500),
  -- The register serials of the hold (till → escrow) and of its release (escrow → till).
  hold_transfer bigint,
  release_transfer bigint,
  refund_id text CONSTRAINT disputes_refund REFERENCES refunds (id),
  refund_claimed_at timestamptz,
  -- The code the refunds answered when the refund could not be made (an operator alert says so too).
  refund_error text,
  opened_at timestamptz NOT NULL,
  answer_due_at timestamptz NOT NULL,
  decision_due_at timestamptz,
  overdue_alerted_at timestamptz,
  resolved_at timestamptz,
  CONSTRAINT disputes_once UNIQUE (payment_serial),
  CONSTRAINT disputes_lifecycle CHECK (
    (state = 'awaiting_merchant' AND answered_at IS NULL AND outcome IS NULL AND resolved_at IS NULL)
    OR (state = 'awaiting_decision' AND answered_at IS NOT NULL AND evidence IS NOT NULL AND decision_due_at IS NOT NULL
        AND outcome IS NULL AND resolved_at IS NULL)
    OR (state = 'resolved' AND outcome IS NOT NULL AND decided_by IS NOT NULL AND resolved_at IS NOT NULL)
  ),
  CONSTRAINT disputes_release CHECK (release_transfer IS NULL OR hold_transfer IS NOT NULL),
  CONSTRAINT disputes_refund_outcome CHECK (refund_id IS NULL OR outcome = 'for_customer')
);
CREATE INDEX disputes_merchant ON disputes (merchant_id, opened_at);
CREATE INDEX disputes_customer ON disputes (customer_id, opened_at);
-- What the deadline job scans: only open disputes, and decisions whose refund is not made yet.
CREATE INDEX disputes_answer_due ON disputes (answer_due_at) WHERE state = 'awaiting_merchant';
CREATE INDEX disputes_decision_due ON disputes (decision_due_at) WHERE state = 'awaiting_decision' AND overdue_alerted_at IS NULL;
CREATE INDEX disputes_refund_due ON disputes (resolved_at) WHERE outcome = 'for_customer' AND refund_id IS NULL;

ALTER TABLE notifications DROP CONSTRAINT notifications_event;
ALTER TABLE notifications ADD CONSTRAINT notifications_event CHECK (event IN (
  'payment.authorised', 'payment.held', 'payment.released', 'payment.voided',
  'payment.refused', 'refund.succeeded', 'settlement.paid', 'allowance.settled', 'ticket.refused',
  'dispute.opened', 'dispute.answered', 'dispute.resolved'));
`,
};
