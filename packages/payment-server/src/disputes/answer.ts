import { type DisputeEvidence, disputeEvidence } from '@caisse/protocol';
import { ProblemError } from '../http/problem.js';
import { parseInput } from '../merchants/input.js';
import { enqueueNotification } from '../notifications/outbox.js';
import { loadPayment } from '../payments/repository.js';
import type { DisputeContext } from './context.js';
import { DAY_MS, type DisputeRow, disputeNotice } from './model.js';
import { disputeById } from './store.js';

/** The most a merchant's evidence may weigh, as JSON: the database keeps the same bound. */
export const EVIDENCE_MAX_BYTES = 16_384;

/**
 * The merchant answers a dispute with its evidence, before the answer deadline: the
 * dispute then awaits the operator's decision (due CAISSE_DISPUTE_DECISION_DAYS later),
 * and `dispute.answered` is sent. One answer per dispute; another merchant's dispute is
 * `dispute_unknown`, exactly as one that does not exist.
 * @throws ProblemError `request_invalid`, `dispute_unknown`, `dispute_not_awaiting_answer`
 */
export async function answerDispute(ctx: DisputeContext, merchantId: string, id: string, input: unknown): Promise<DisputeRow> {
  const evidence: DisputeEvidence = parseInput(disputeEvidence, input);
  if (Buffer.byteLength(JSON.stringify(evidence)) > EVIDENCE_MAX_BYTES) {
    throw new ProblemError('request_invalid', `evidence: must be at most ${EVIDENCE_MAX_BYTES} bytes of JSON.`, {
      issues: [{ path: '', message: `must be at most ${EVIDENCE_MAX_BYTES} bytes of JSON` }],
    });
  }
  const at = ctx.now();
  const answered = await ctx.db.transaction(async (tx) => {
    const row = await disputeById(tx, id, { merchantId, lock: true });
    if (row === undefined) throw new ProblemError('dispute_unknown');
    if (row.state !== 'awaiting_merchant') throw new ProblemError('dispute_not_awaiting_answer');
    if (at.getTime() >= row.answer_due_at.getTime()) {
      throw new ProblemError(
        'dispute_not_awaiting_answer',
        `The answer was due by ${row.answer_due_at.toISOString()}: the dispute is decided for the customer.`,
      );
    }
    await tx.query(
      `UPDATE disputes SET state = 'awaiting_decision', evidence = $2::text::jsonb, answered_at = $3, decision_due_at = $4
        WHERE id = $1 AND state = 'awaiting_merchant'`,
      [row.id, JSON.stringify(evidence), at, new Date(at.getTime() + ctx.deadlines.decisionDays * DAY_MS)],
    );
    const updated = (await disputeById(tx, row.id)) as DisputeRow;
    const payment = await loadPayment(tx, merchantId, row.payment_serial);
    await enqueueNotification(tx, {
      merchantId,
      notifyUrl: payment?.notifyUrl,
      at,
      content: { event: 'dispute.answered', dispute: disputeNotice(updated) },
    });
    return updated;
  });
  ctx.log?.info('dispute.answered', { dispute: answered.id, merchantId });
  return answered;
}
