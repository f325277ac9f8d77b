import { disputeText } from '@caisse/protocol';
import { createAlertService } from '../alerts/service.js';
import { ProblemError } from '../http/problem.js';
import { holdDisputedAmount, releaseDisputeHold } from '../ledger/postings.js';
import { parseInput } from '../merchants/input.js';
import { enqueueNotification } from '../notifications/outbox.js';
import { loadPayment } from '../payments/repository.js';
import type { Transaction } from '../storage/database.js';
import type { DisputeContext } from './context.js';
import { type DecidedBy, DISPUTE_ALERT_KINDS, type DisputeOutcome, type DisputeRow, disputeNotice, disputeRefundKey } from './model.js';
import { disputeById } from './store.js';

/**
 * How long a claim to make a dispute's refund stands before another run may take it up
 * (the claimer crashed between its claim and the refund): the refund's own key makes the
 * second attempt find the first's refund rather than make another.
 */
export const REFUND_CLAIM_LEASE_MS = 60_000;

const NOTE_MAX = 500;
const noteText = disputeText(NOTE_MAX);

const holdOf = (row: DisputeRow) => ({
  disputeId: row.id,
  merchantId: row.merchant_id,
  amount: BigInt(row.amount),
  currency: row.currency,
});

/**
 * Holds the disputed amount back from the merchant's payouts while the dispute is open
 * (`holdDisputedAmount`: till → escrow). Holding twice holds once.
 * @throws ProblemError `dispute_unknown`, `dispute_resolved`
 */
export async function holdDispute(ctx: DisputeContext, id: string): Promise<DisputeRow> {
  const held = await ctx.db.transaction(async (tx) => {
    const row = await disputeById(tx, id, { lock: true });
    if (row === undefined) throw new ProblemError('dispute_unknown');
    if (row.state === 'resolved') throw new ProblemError('dispute_resolved');
    if (row.hold_transfer !== null) return row;
    const moved = await holdDisputedAmount(tx, holdOf(row));
    await tx.query('UPDATE disputes SET hold_transfer = $2 WHERE id = $1', [row.id, moved.serial]);
    return (await disputeById(tx, row.id)) as DisputeRow;
  });
  ctx.log?.info('dispute.held', { dispute: held.id, merchantId: held.merchant_id, amount: Number(held.amount) });
  return held;
}

/**
 * Resolves a locked, open dispute in the caller's transaction: releases its hold (back to
 * the till, where the refund of a decision for the customer then takes it from), records
 * the outcome by compare-and-set on its state, and sends `dispute.resolved`.
 */
export async function resolveLocked(
  ctx: DisputeContext,
  tx: Transaction,
  row: DisputeRow,
  decision: { outcome: DisputeOutcome; by: DecidedBy; note?: string },
): Promise<DisputeRow> {
  const at = ctx.now();
  const released = row.hold_transfer !== null && row.release_transfer === null ? (await releaseDisputeHold(tx, holdOf(row))).serial : null;
  const { rowCount } = await tx.query(
    `UPDATE disputes SET state = 'resolved', outcome = $2, decided_by = $3, note = $4, resolved_at = $5,
            release_transfer = coalesce($6, release_transfer)
      WHERE id = $1 AND state <> 'resolved'`,
    [row.id, decision.outcome, decision.by, decision.note ?? null, at, released],
  );
  if (rowCount !== 1) throw new Error(`Dispute ${row.id} was resolved by another writer while locked.`);
  const resolved = (await disputeById(tx, row.id)) as DisputeRow;
  const payment = await loadPayment(tx, row.merchant_id, row.payment_serial);
  await enqueueNotification(tx, {
    merchantId: row.merchant_id,
    notifyUrl: payment?.notifyUrl,
    at,
    content: { event: 'dispute.resolved', dispute: disputeNotice(resolved) },
  });
  ctx.log?.info('dispute.resolved', { dispute: row.id, merchantId: row.merchant_id, outcome: decision.outcome, by: decision.by });
  return resolved;
}

/**
 * The operator decides a dispute, for the customer or for the merchant, at any step
 * before it is resolved. Deciding again the same way answers the dispute as it stands
 * (and makes its refund if a crash left it unmade); the other way is `dispute_resolved`.
 * A decision for the customer refunds the disputed amount once ({@link refundOnce}).
 * @throws ProblemError `dispute_unknown`, `dispute_resolved`, `request_invalid` (note)
 */
export async function decideDispute(
  ctx: DisputeContext,
  id: string,
  outcome: DisputeOutcome,
  options: { note?: string } = {},
): Promise<DisputeRow> {
  const note = options.note === undefined ? undefined : parseInput(noteText, options.note);
  const decided = await ctx.db.transaction(async (tx) => {
    const row = await disputeById(tx, id, { lock: true });
    if (row === undefined) throw new ProblemError('dispute_unknown');
    if (row.state === 'resolved') {
      if (row.outcome !== outcome) throw new ProblemError('dispute_resolved', `This dispute was already decided ${row.outcome}.`);
      return row;
    }
    return resolveLocked(ctx, tx, row, { outcome, by: 'operator', ...(note === undefined ? {} : { note }) });
  });
  return decided.outcome === 'for_customer' ? refundOnce(ctx, decided, { retryFailed: true }) : decided;
}

/**
 * Makes the refund of a dispute decided for the customer, exactly once however many
 * deciders, retries and deadline runs reach it: one of them claims it on the dispute's row
 * (compare-and-set; a claim older than {@link REFUND_CLAIM_LEASE_MS} may be taken over),
 * then asks the refunds under the dispute's own key, which finds an earlier attempt's
 * refund instead of making another. A refund refused (the wallet's cap, a payment refunded
 * meanwhile…) is recorded on the dispute with an operator alert; `retryFailed` (the
 * operator deciding again) tries it once more.
 */
export async function refundOnce(ctx: DisputeContext, row: DisputeRow, options: { retryFailed: boolean }): Promise<DisputeRow> {
  if (row.outcome !== 'for_customer' || row.refund_id !== null) return row;
  const at = ctx.now();
  const { rows: claimed } = await ctx.db.query<{ id: string }>(
    `UPDATE disputes SET refund_claimed_at = $2, refund_error = NULL
      WHERE id = $1 AND outcome = 'for_customer' AND refund_id IS NULL
        AND (refund_claimed_at IS NULL OR refund_claimed_at < $3 OR ($4 AND refund_error IS NOT NULL))
      RETURNING id`,
    [row.id, at, new Date(at.getTime() - REFUND_CLAIM_LEASE_MS), options.retryFailed],
  );
  if (claimed.length === 0) return (await disputeById(ctx.db, row.id)) as DisputeRow;
  try {
    const refund = await ctx.refunds.create(row.merchant_id, row.payment_serial, {
      amount: Number(row.amount),
      reason: `Dispute ${row.id} decided for the customer`,
      requestKey: disputeRefundKey(row.id),
    });
    await ctx.db.query('UPDATE disputes SET refund_id = $2 WHERE id = $1 AND refund_id IS NULL', [row.id, refund.id]);
    ctx.log?.info('dispute.refunded', { dispute: row.id, refund: refund.id, status: refund.status });
  } catch (error) {
    if (!(error instanceof ProblemError)) throw error;
    await ctx.db.transaction(async (tx) => {
      await tx.query('UPDATE disputes SET refund_error = $2 WHERE id = $1 AND refund_id IS NULL', [row.id, error.code]);
      await createAlertService({ db: tx, now: ctx.now }).raise({
        kind: DISPUTE_ALERT_KINDS.refundFailed,
        subject: row.id,
        details: { merchant: row.merchant_id, payment: row.payment_serial.toString(), code: error.code },
      });
    });
    ctx.log?.warn('dispute.refund_failed', { dispute: row.id, code: error.code });
  }
  return (await disputeById(ctx.db, row.id)) as DisputeRow;
}
