import { createAlertService } from '../alerts/service.js';
import type { DisputeContext } from './context.js';
import { REFUND_CLAIM_LEASE_MS, refundOnce, resolveLocked } from './decide.js';
import { DISPUTE_ALERT_KINDS, type DisputeRow } from './model.js';
import { disputeById } from './store.js';

/** What one run of the deadline job did. */
export interface DeadlineRun {
  /** Disputes the merchant did not answer in time, decided for the customer. */
  decided: number;
  /** Answered disputes past their decision deadline, alerted to the operator (once each). */
  overdue: number;
  /** Refunds of decisions for the customer taken up again (a crash after the decision). */
  resumed: number;
}

/**
 * Applies the time limits: a merchant silent past its answer deadline loses the dispute
 * (decided for the customer, refunded); an operator past the decision deadline gets an
 * alert, once; a refund a crash left unmade is made. Safe on every instance at once: each
 * dispute is resolved under its row lock by compare-and-set, the alert by an update that
 * only one run sees succeed, the refund by its claim and key.
 * @example await applyDeadlines(ctx, { limit: 50 })
 */
export async function applyDeadlines(ctx: DisputeContext, options: { limit?: number } = {}): Promise<DeadlineRun> {
  const limit = options.limit ?? 50;
  const at = ctx.now();
  const run: DeadlineRun = { decided: 0, overdue: 0, resumed: 0 };

  const { rows: silent } = await ctx.db.query<{ id: string }>(
    `SELECT id FROM disputes WHERE state = 'awaiting_merchant' AND answer_due_at <= $1 ORDER BY answer_due_at LIMIT $2`,
    [at, limit],
  );
  for (const { id } of silent) {
    const decided = await ctx.db.transaction(async (tx) => {
      const row = await disputeById(tx, id, { lock: true });
      if (row === undefined || row.state !== 'awaiting_merchant' || row.answer_due_at > at) return undefined;
      return resolveLocked(ctx, tx, row, { outcome: 'for_customer', by: 'deadline' });
    });
    if (decided === undefined) continue;
    run.decided++;
    await refundOnce(ctx, decided, { retryFailed: false });
  }

  run.overdue = await ctx.db.transaction(async (tx) => {
    const { rows: overdue } = await tx.query<{ id: string; merchant_id: string; decision_due_at: Date }>(
      `UPDATE disputes SET overdue_alerted_at = $1
        WHERE id IN (SELECT id FROM disputes WHERE state = 'awaiting_decision' AND overdue_alerted_at IS NULL AND decision_due_at <= $1
                      ORDER BY decision_due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING id, merchant_id, decision_due_at`,
      [at, limit],
    );
    const alerts = createAlertService({ db: tx, now: ctx.now, ...(ctx.log ? { log: ctx.log } : {}) });
    for (const row of overdue) {
      await alerts.raise({
        kind: DISPUTE_ALERT_KINDS.decisionOverdue,
        subject: row.id,
        details: { merchant: row.merchant_id, due: row.decision_due_at.toISOString() },
      });
    }
    return overdue.length;
  });

  const { rows: unrefunded } = await ctx.db.query<{ id: string }>(
    `SELECT id FROM disputes WHERE outcome = 'for_customer' AND refund_id IS NULL AND refund_error IS NULL
        AND (refund_claimed_at IS NULL OR refund_claimed_at < $1)
      ORDER BY resolved_at LIMIT $2`,
    [new Date(at.getTime() - REFUND_CLAIM_LEASE_MS), limit],
  );
  for (const { id } of unrefunded) {
    const row = (await disputeById(ctx.db, id)) as DisputeRow;
    if ((await refundOnce(ctx, row, { retryFailed: false })).refund_id !== null) run.resumed++;
  }
  return run;
}
