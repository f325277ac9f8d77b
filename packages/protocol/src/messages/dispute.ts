import * as z from 'zod';
import { amount, currency, id, label, serial, timestamp } from './fields.js';

/**
 * Disputes: a customer contests one of their payments (not delivered, charged twice…),
 * the merchant answers with evidence, the payment server's operator decides. A decision
 * for the customer refunds the disputed amount through the merchant's refunds.
 */

/** Why a customer disputes a payment. Short and stable: merchants branch on them. */
export const DISPUTE_REASONS = ['not_received', 'duplicate', 'not_as_described', 'unauthorised', 'other'] as const;
export type DisputeReason = (typeof DISPUTE_REASONS)[number];

/** `awaiting_merchant` → `awaiting_decision` (the merchant answered) → `resolved`; a deadline can skip the middle. */
export const DISPUTE_STATES = ['awaiting_merchant', 'awaiting_decision', 'resolved'] as const;
export type DisputeState = (typeof DISPUTE_STATES)[number];

export const DISPUTE_OUTCOMES = ['for_customer', 'for_merchant'] as const;
export type DisputeOutcome = (typeof DISPUTE_OUTCOMES)[number];

/** Sizes a dispute's texts keep to: a customer's message, a merchant's evidence. */
export const DISPUTE_LIMITS = {
  /** Code points of the customer's message. */
  message: 2_000,
  /** Code points of the merchant's account of the facts. */
  evidenceText: 4_000,
  /** Characters of a carrier name or a tracking reference. */
  reference: 100,
} as const;

/** Line breaks are allowed (a message is a paragraph); every other control character is refused. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/**
 * Free text written by a person: 1–`max` code points, line breaks kept, no other control
 * character (a `\r\n` from a form is one line break).
 * @example disputeText(2_000).parse('The parcel never came.')
 */
export function disputeText(max: number) {
  return z
    .string()
    .transform((text) => text.replace(/\r\n?/g, '\n').trim())
    .refine((text) => text.length > 0, 'must not be empty')
    .refine((text) => [...text].length <= max, `must be at most ${max} characters`)
    .refine((text) => !CONTROL.test(text), 'must not contain control characters other than line breaks and tabs');
}

const reference = z
  .string()
  .min(1)
  .max(DISPUTE_LIMITS.reference)
  .regex(/^[\x20-\x7e\u00a0-\uffff]+$/, 'must be printable characters');

/**
 * What the merchant answers a dispute with (`POST /v1/disputes/:id/answer`): its account
 * of the facts, and when the goods were shipped, how to follow them.
 */
export const disputeEvidence = z.strictObject({
  text: disputeText(DISPUTE_LIMITS.evidenceText),
  carrier: reference.optional(),
  trackingReference: reference.optional(),
  /** When the carrier delivered, ISO 8601 with an offset. */
  deliveredAt: z.iso.datetime({ offset: true }).optional(),
});
export type DisputeEvidence = z.infer<typeof disputeEvidence>;

/**
 * A dispute as the merchant API shows it (`GET /v1/disputes/:id`).
 * @example if (dispute.state === 'awaiting_merchant') await client.disputes.answer(dispute.id, { text: '…' })
 */
export interface Dispute {
  /** `dp_` + 128 random bits. */
  id: string;
  /** The payment disputed, `pay_1042`. */
  payment: string;
  /** The merchant's order serial of that payment. */
  serial: string;
  reason: DisputeReason;
  /** The customer's own words. */
  message: string;
  /** Minor units disputed: at most what was paid less what was refunded when it was opened. */
  amount: number;
  currency: string;
  state: DisputeState;
  /** Null until resolved. */
  outcome: DisputeOutcome | null;
  /** The merchant's answer; null until it answers. */
  evidence: DisputeEvidence | null;
  /** True while the operator holds the disputed amount back from the merchant's payouts. */
  held: boolean;
  /** The refund a decision for the customer made (`rf_…`); null otherwise, or while it is being made. */
  refund: string | null;
  openedAt: string;
  /** Past it without an answer, the dispute is decided for the customer. */
  answerDueAt: string;
  answeredAt: string | null;
  /** When the operator should have decided by; null until the merchant answered. */
  decisionDueAt: string | null;
  resolvedAt: string | null;
}

/** `GET /v1/disputes`: the merchant's disputes, newest first. */
export interface DisputeList {
  disputes: Dispute[];
}

/** The `dispute` of a `dispute.*` notification: enough to find it and to know what is due. */
export const disputeNotice = z.strictObject({
  id,
  payment: id,
  serial,
  reason: z.enum(DISPUTE_REASONS),
  message: disputeText(DISPUTE_LIMITS.message),
  amount,
  currency,
  state: z.enum(DISPUTE_STATES),
  outcome: z.enum(DISPUTE_OUTCOMES).nullable(),
  /** Seconds since the epoch: the merchant answers before it, or the dispute is decided for the customer. */
  answerDueAt: timestamp,
});

/** A dispute as the customer's phone shows it (`GET /device/disputes`, `POST /device/disputes`). */
export const customerDispute = z.strictObject({
  id,
  payment: id,
  merchant: z.strictObject({ id, name: label }),
  reason: z.enum(DISPUTE_REASONS),
  amount,
  currency,
  state: z.enum(DISPUTE_STATES),
  outcome: z.enum(DISPUTE_OUTCOMES).nullable(),
  openedAt: timestamp,
  answerDueAt: timestamp,
  resolvedAt: timestamp.nullable(),
});
export type CustomerDispute = z.infer<typeof customerDispute>;

/** The customer's disputes, newest first. */
export const customerDisputes = z.strictObject({ disputes: z.array(customerDispute) });
