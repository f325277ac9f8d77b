import type { Migration } from './migration.js';

/**
 * When the bank captured a bank payment's authorisation (captures/service.ts). The
 * capture sweep takes bank payments whose money reached the till (`authorised`, or
 * `released` from escrow) and that have no capture yet; the partial index keeps that scan
 * to the few not yet captured. Payments a refund already captured are marked here.
 */
export const migration: Migration = {
  version: 17,
  name: 'bank_captures',
  sql: /* sql */ `
ALTER TABLE payments ADD COLUMN captured_at timestamptz
  CONSTRAINT payments_captured_bank CHECK (captured_at IS NULL OR funding = 'bank');
UPDATE payments p SET captured_at = o.updated_at
  FROM acquirer_operations o
 WHERE p.funding = 'bank' AND o.status = 'approved' AND o.idempotency_key = 'acq:capture:' || p.merchant_id || ':' || p.ticket_jti;
CREATE INDEX payments_bank_uncaptured ON payments (created_at)
  WHERE funding = 'bank' AND captured_at IS NULL AND status IN ('authorised', 'released');
`,
};
