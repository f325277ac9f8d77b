import { describe, expect, it } from 'vitest';
import { DECLINE_REASONS, isDeclineReason, isOperationKind, OPERATION_KINDS, refusalFor } from './acquirer.js';

describe('the acquirer contract', () => {
  it('lists the operation kinds a bank is asked for, void among them', () => {
    expect(OPERATION_KINDS).toEqual(['authorise', 'capture', 'refund', 'payout', 'void']);
    expect(OPERATION_KINDS.every(isOperationKind)).toBe(true);
    expect(isOperationKind('reverse')).toBe(false);
    expect(isOperationKind(undefined)).toBe(false);
  });

  it('knows its decline reasons by own key only, and refuses every one as bank_declined', () => {
    expect(isDeclineReason('not_received')).toBe(true);
    expect(isDeclineReason('request_rejected')).toBe(true);
    // Inherited members are not reasons: a stored 'toString' must not pass.
    expect(isDeclineReason('toString')).toBe(false);
    expect(isDeclineReason(42)).toBe(false);
    for (const reason of Object.keys(DECLINE_REASONS)) {
      expect(isDeclineReason(reason)).toBe(true);
      if (isDeclineReason(reason)) expect(refusalFor(reason)).toBe('bank_declined');
    }
  });
});
