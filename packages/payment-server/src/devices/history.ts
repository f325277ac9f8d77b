import { type AnsweredRequest, type ConfirmationRequest, paymentId, type RefusalReason, type RequestOutcome } from '@caisse/protocol';
import { z } from 'zod';
import type { SessionState } from '../checkout/sessions.js';
import { ProblemError } from '../http/problem.js';
import { ID_PATTERN } from '../merchants/input.js';
import type { Queryable } from '../storage/database.js';

/** Answered requests per `GET /device/history`: 20 unless `limit` says otherwise, at most 100. */
export const HISTORY_LIMIT = { default: 20, max: 100 } as const;

/** The query of `GET /device/history`: `limit` 1–100, `before` the id of the last request of the previous page. */
export const historyQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^[0-9]{1,3}$/, `must be a whole number from 1 to ${HISTORY_LIMIT.max}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1, `must be a whole number from 1 to ${HISTORY_LIMIT.max}`)
        .max(HISTORY_LIMIT.max, `must be at most ${HISTORY_LIMIT.max}`),
    )
    .optional(),
  before: z.string().regex(ID_PATTERN, 'must be the id of a request of the previous page').optional(),
});

interface AnsweredRow {
  id: string;
  request: ConfirmationRequest;
  answer: 'approved' | 'declined';
  answered_at: Date;
  session_state: SessionState;
  refusal_reason: RefusalReason | null;
  allowance: boolean;
  payment_serial: bigint | string | null;
}

/**
 * Derived, never stored: the answered request joined to its checkout session and the
 * payment of its ticket. A request's customer is the session's customer, so no join can
 * show one customer another's payment.
 */
const ANSWERED = `
  SELECT r.id, r.request, r.state AS answer, r.answered_at, s.state AS session_state, s.refusal_reason,
         (t.claims->'allowance') IS NOT NULL AS allowance, p.serial AS payment_serial
    FROM confirmation_requests r
    JOIN checkout_sessions s ON s.id = r.session_id
    JOIN tickets t ON t.merchant_id = s.merchant_id AND t.jti = s.ticket_jti
    LEFT JOIN payments p ON p.merchant_id = s.merchant_id AND p.ticket_jti = s.ticket_jti
   WHERE r.state IN ('approved', 'declined')`;

/** What became of an answered request's checkout, from its session and payment. */
function outcomeOf(row: AnsweredRow): RequestOutcome {
  switch (row.session_state) {
    case 'paid':
      if (row.allowance) return { status: 'granted' };
      if (row.payment_serial === null) throw new Error(`Session of request ${row.id} is paid without a payment.`);
      return { status: 'paid', paymentId: paymentId(row.payment_serial) };
    case 'refused':
    case 'cancelled':
      // Every close records its reason (Sessions.close); the fallback only guards older rows.
      return { status: row.session_state, reason: row.refusal_reason ?? 'customer_declined' };
    default:
      return { status: 'pending' };
  }
}

function toAnswered(row: AnsweredRow): AnsweredRequest {
  const { request } = row;
  return {
    id: row.id,
    payee: request.payee,
    amount: request.amount,
    currency: request.currency,
    answer: row.answer,
    answeredAt: Math.floor(row.answered_at.getTime() / 1000),
    outcome: outcomeOf(row),
  };
}

/**
 * The customer's answered requests, newest first, at most `limit`; with `before` (a
 * request id of this customer) only those answered before it. What a phone that was
 * offline when the outcome was announced reads to learn it (docs/device-api.md, "History").
 * @throws ProblemError `request_invalid` (`before`) when `before` is not one of the customer's answered requests
 * @example const { requests } = await answeredRequests(db, customerId, { limit: 20 })
 */
export async function answeredRequests(
  db: Queryable,
  customerId: string,
  query: { limit?: number | undefined; before?: string | undefined },
): Promise<{ requests: AnsweredRequest[] }> {
  let beforeSeq: bigint | null = null;
  if (query.before !== undefined) {
    const { rows } = await db.query<{ seq: bigint }>(
      `SELECT seq FROM confirmation_requests WHERE id = $1 AND customer_id = $2 AND state IN ('approved', 'declined')`,
      [query.before, customerId],
    );
    const found = rows[0];
    if (found === undefined) {
      const message = 'must be the id of one of your answered requests (the last of the previous page)';
      throw new ProblemError('request_invalid', `before: ${message}.`, { issues: [{ path: 'before', message }] });
    }
    beforeSeq = found.seq;
  }
  const { rows } = await db.query<AnsweredRow>(
    `${ANSWERED} AND r.customer_id = $1 AND ($2::bigint IS NULL OR r.seq < $2) ORDER BY r.seq DESC LIMIT $3`,
    [customerId, beforeSeq, query.limit ?? HISTORY_LIMIT.default],
  );
  return { requests: rows.map(toAnswered) };
}

/**
 * One answered request of the customer, for the stream's `outcome` event (read once per
 * event, not per stream); undefined when it is not theirs or not answered.
 */
export async function answeredRequest(db: Queryable, customerId: string, requestId: string): Promise<AnsweredRequest | undefined> {
  const { rows } = await db.query<AnsweredRow>(`${ANSWERED} AND r.id = $1 AND r.customer_id = $2`, [requestId, customerId]);
  return rows[0] && toAnswered(rows[0]);
}
