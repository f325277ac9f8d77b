import { randomBytes } from 'node:crypto';
import { DISPUTE_LIMITS, DISPUTE_REASONS, disputeText, LIMITS } from '@caisse/protocol';
import { z } from 'zod';
import { parsePaymentId } from '../api/params.js';
import { ProblemError } from '../http/problem.js';
import { parseInput } from '../merchants/input.js';
import { enqueueNotification } from '../notifications/outbox.js';
import { loadPayment } from '../payments/repository.js';
import { constraintName } from '../storage/errors.js';
import type { DisputeContext } from './context.js';
import { DAY_MS, type DisputeRow, disputeNotice } from './model.js';
import { disputeById } from './store.js';

/** What a customer sends to open a dispute (account page form, `POST /device/disputes`). */
export const openDisputeRequest = z.strictObject({
  /** The payment id, `pay_1042`. */
  payment: z.string().max(64),
  reason: z.enum(DISPUTE_REASONS),
  message: disputeText(DISPUTE_LIMITS.message),
  /** Minor units; default what was paid less what was refunded. */
  amount: z.int().min(1, 'must be a positive whole number of minor units').max(LIMITS.amount).optional(),
});
export type OpenDisputeInput = z.input<typeof openDisputeRequest>;

function newDisputeId(): string {
  return `dp_${randomBytes(16).toString('base64url')}`;
}

/**
 * Opens a dispute on one of the customer's payments, with `dispute.opened` to its merchant,
 * in one transaction queued on the payment's row (as its refunds are). Checks, in order:
 * the payment is the customer's (another customer's is `payment_unknown`, exactly as one
 * that does not exist), it moved money, it is not disputed already, it is within the
 * opening window, and the amount is at most what was paid less what was refunded.
 * @throws ProblemError `request_invalid`, `payment_unknown`, `payment_held`, `payment_not_refundable`,
 * `dispute_exists`, `dispute_window_closed`, `dispute_exceeds_payment`
 */
export async function openDispute(ctx: DisputeContext, customerId: string, input: OpenDisputeInput): Promise<DisputeRow> {
  const request = parseInput(openDisputeRequest, input);
  const serial = parsePaymentId(request.payment, 'payment');
  const at = ctx.now();
  const opened = await ctx.db.transaction(async (tx) => {
    const { rows: owned } = await tx.query<{ merchant_id: string }>(
      'SELECT merchant_id FROM payments WHERE serial = $1 AND customer_id = $2',
      [serial, customerId],
    );
    const merchantId = owned[0]?.merchant_id;
    if (merchantId === undefined) throw new ProblemError('payment_unknown', 'None of your payments has this id.');
    const payment = await loadPayment(tx, merchantId, serial, { lock: true });
    if (payment === undefined) throw new ProblemError('payment_unknown', 'None of your payments has this id.');
    if (payment.status === 'held')
      throw new ProblemError('payment_held', 'This payment is still held until delivery: it can be cancelled instead.');
    if (payment.status === 'voided' || payment.status === 'authenticated' || payment.funding === null) {
      throw new ProblemError('payment_not_refundable');
    }
    const { rows: disputed } = await tx.query('SELECT 1 FROM disputes WHERE payment_serial = $1', [serial]);
    if (disputed.length > 0) throw new ProblemError('dispute_exists');
    if (at.getTime() >= payment.createdAt.getTime() + ctx.deadlines.openDays * DAY_MS) {
      throw new ProblemError('dispute_window_closed', `A payment can be disputed for ${ctx.deadlines.openDays} days after it was made.`);
    }
    const { rows: sums } = await tx.query<{ refunded: bigint }>(
      `SELECT coalesce(sum(amount), 0)::int8 AS refunded FROM refunds WHERE payment_serial = $1 AND status <> 'declined'`,
      [serial],
    );
    const remaining = payment.amount - BigInt(sums[0]?.refunded ?? 0);
    if (remaining <= 0n)
      throw new ProblemError('payment_not_refundable', 'This payment was refunded in full: there is nothing left to dispute.');
    const amount = request.amount === undefined ? remaining : BigInt(request.amount);
    if (amount > remaining) {
      throw new ProblemError('dispute_exceeds_payment', `At most ${remaining} minor units of this payment can be disputed.`);
    }
    const id = newDisputeId();
    try {
      await tx.query(
        `INSERT INTO disputes (id, merchant_id, payment_serial, customer_id, reason, message, amount, currency, state, opened_at, answer_due_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'awaiting_merchant', $9, $10)`,
        [
          id,
          merchantId,
          serial,
          customerId,
          request.reason,
          request.message,
          amount,
          payment.currency,
          at,
          new Date(at.getTime() + ctx.deadlines.answerDays * DAY_MS),
        ],
      );
    } catch (error) {
      if (constraintName(error) === 'disputes_once') throw new ProblemError('dispute_exists');
      throw error;
    }
    const row = (await disputeById(tx, id)) as DisputeRow;
    await enqueueNotification(tx, {
      merchantId,
      notifyUrl: payment.notifyUrl,
      at,
      content: { event: 'dispute.opened', dispute: disputeNotice(row) },
    });
    return row;
  });
  ctx.log?.info('dispute.opened', {
    dispute: opened.id,
    merchantId: opened.merchant_id,
    reason: opened.reason,
    amount: Number(opened.amount),
  });
  return opened;
}
