/**
 * Why a payment's evidence cannot be exported. Each is final for that payment as it
 * stands, except `audit_busy` (try again).
 */
export const EVIDENCE_ERROR_CODES = {
  payment_unknown: 'No payment has this id (or this merchant and ticket).',
  approval_missing: 'The payment was not approved on a phone, or its signed approval was not kept (answers are kept since migration 29).',
  ticket_not_kept: "The ticket's signed bytes were not kept for this payment (tickets are kept since migration 29).",
  audit_busy: 'Payments in flight held the audit register while the payment was being sealed; try again in a moment.',
} as const;

export type EvidenceErrorCode = keyof typeof EVIDENCE_ERROR_CODES;

/** An evidence bundle that cannot be made, with its stable code. */
export class EvidenceError extends Error {
  override readonly name = 'EvidenceError';
  readonly code: EvidenceErrorCode;

  constructor(code: EvidenceErrorCode, message: string = EVIDENCE_ERROR_CODES[code]) {
    super(message);
    this.code = code;
  }
}
