import type {
  CustomerDispute,
  Dispute,
  DisputeEvidence,
  DisputeOutcome,
  DisputeReason,
  DisputeState,
  NotificationClaims,
} from '@caisse/protocol';
import { paymentId } from '@caisse/protocol';

export type { CustomerDispute, Dispute, DisputeEvidence, DisputeOutcome, DisputeReason, DisputeState };

/** The time limits of each step, in days (CAISSE_DISPUTE_*_DAYS). */
export interface DisputeDeadlines {
  /** After a payment, how long its customer may dispute it. */
  openDays: number;
  /** After a dispute is opened, how long the merchant has to answer; then it is decided for the customer. */
  answerDays: number;
  /** After the merchant answered, how long the operator has to decide; then an alert is raised. */
  decisionDays: number;
}

export const DEFAULT_DEADLINES: DisputeDeadlines = { openDays: 60, answerDays: 7, decisionDays: 14 };

export const DAY_MS = 86_400_000;

/** The operator alerts disputes raise (`alerts/`); the subject is the dispute id. */
export const DISPUTE_ALERT_KINDS = {
  /** The merchant answered and the operator has not decided within CAISSE_DISPUTE_DECISION_DAYS. */
  decisionOverdue: 'dispute_decision_overdue',
  /** A decision for the customer could not refund (the code says why); `disputes decide` again retries it. */
  refundFailed: 'dispute_refund_failed',
} as const;

/** Who decided a dispute: the operator (CLI), or the answer deadline passing without an answer. */
export type DecidedBy = 'operator' | 'deadline';

export interface DisputeRow {
  id: string;
  merchant_id: string;
  payment_serial: bigint;
  order_serial: string;
  customer_id: string;
  reason: DisputeReason;
  message: string;
  amount: bigint;
  currency: string;
  state: DisputeState;
  evidence: DisputeEvidence | null;
  answered_at: Date | null;
  outcome: DisputeOutcome | null;
  decided_by: DecidedBy | null;
  note: string | null;
  hold_transfer: bigint | null;
  release_transfer: bigint | null;
  refund_id: string | null;
  refund_claimed_at: Date | null;
  refund_error: string | null;
  opened_at: Date;
  answer_due_at: Date;
  decision_due_at: Date | null;
  overdue_alerted_at: Date | null;
  resolved_at: Date | null;
}

/** Every column of a dispute, with its payment's order serial (`d` the dispute, `p` its payment). */
export const DISPUTE_COLUMNS = `d.id, d.merchant_id, d.payment_serial, p.order_serial, d.customer_id, d.reason, d.message, d.amount, d.currency,
  d.state, d.evidence, d.answered_at, d.outcome, d.decided_by, d.note, d.hold_transfer, d.release_transfer, d.refund_id,
  d.refund_claimed_at, d.refund_error, d.opened_at, d.answer_due_at, d.decision_due_at, d.overdue_alerted_at, d.resolved_at`;

/** `FROM` clause that {@link DISPUTE_COLUMNS} reads. */
export const DISPUTE_FROM = 'disputes d JOIN payments p ON p.serial = d.payment_serial';

/** A dispute as the operator sees it: the merchant's view plus who it is about and how it was decided. */
export interface OperatorDispute extends Dispute {
  merchant: string;
  customer: string;
  decidedBy: DecidedBy | null;
  note: string | null;
  /** Why the refund of a decision for the customer could not be made (a refund code); null when it was, or is not due. */
  refundError: string | null;
}

const iso = (at: Date | null) => (at === null ? null : at.toISOString());
const seconds = (at: Date) => Math.floor(at.getTime() / 1000);

/** What a merchant reads of any dispute, in its API and in its notifications alike. */
function merchantFacts(row: DisputeRow) {
  return {
    id: row.id,
    payment: paymentId(row.payment_serial),
    serial: row.order_serial,
    reason: row.reason,
    message: row.message,
    amount: Number(row.amount),
    currency: row.currency,
    state: row.state,
    outcome: row.outcome,
  };
}

/** The merchant API's view of a dispute. */
export function toDispute(row: DisputeRow): Dispute {
  return {
    ...merchantFacts(row),
    evidence: row.evidence,
    held: row.hold_transfer !== null && row.release_transfer === null,
    refund: row.refund_id,
    openedAt: row.opened_at.toISOString(),
    answerDueAt: row.answer_due_at.toISOString(),
    answeredAt: iso(row.answered_at),
    decisionDueAt: iso(row.decision_due_at),
    resolvedAt: iso(row.resolved_at),
  };
}

export function toOperatorDispute(row: DisputeRow): OperatorDispute {
  return {
    ...toDispute(row),
    merchant: row.merchant_id,
    customer: row.customer_id,
    decidedBy: row.decided_by,
    note: row.note,
    refundError: row.refund_error,
  };
}

/** The customer's view (phone, account page): no evidence, no operator notes. */
export function toCustomerDispute(row: DisputeRow, merchantName: string): CustomerDispute {
  return {
    id: row.id,
    payment: paymentId(row.payment_serial),
    merchant: { id: row.merchant_id, name: merchantName },
    reason: row.reason,
    amount: Number(row.amount),
    currency: row.currency,
    state: row.state,
    outcome: row.outcome,
    openedAt: seconds(row.opened_at),
    answerDueAt: seconds(row.answer_due_at),
    resolvedAt: row.resolved_at === null ? null : seconds(row.resolved_at),
  };
}

/** The `dispute` member of a `dispute.*` notification. */
export function disputeNotice(row: DisputeRow): Extract<NotificationClaims, { dispute: unknown }>['dispute'] {
  return {
    ...merchantFacts(row),
    answerDueAt: seconds(row.answer_due_at),
  };
}

/** The refunds' request key of a dispute's refund: the same dispute refunds once, however often it is decided. */
export function disputeRefundKey(disputeId: string): string {
  return `dispute:${disputeId}`;
}
