import type { Queryable } from '../storage/database.js';

/** The moments an unpaid checkout must be older than, on both counts, to be deleted. */
export interface UnpaidCheckoutCutoffs {
  /** The session ended (or, left open, its time ran out) before this. */
  endedBefore: Date;
  /**
   * Its ticket's `exp` is before this, which must be at least the intake's clock tolerance
   * before now: intake then refuses the ticket as expired whatever `tickets` holds.
   */
  ticketExpiredBefore: Date;
}

/** Rows deleted with unpaid checkouts, by table. */
export interface UnpaidCheckoutCounts {
  checkout_sessions: number;
  tickets: number;
  confirmation_requests: number;
}

/**
 * Checkouts that ended without a payment: refused or cancelled, or left `identifying` or
 * `choosing` past their time (no money is in flight in those states). Never `paid`, and
 * never `confirming` (a phone's approval may be waiting to be acted on), `authorising` or
 * `pending_bank` (money in flight). The ticket's row is what makes a ticket single use
 * (the primary key of `tickets`), so it goes only once intake refuses the ticket as
 * expired anyway. And never a ticket a payment or an allowance names, although an unpaid
 * session has none: what a payment or a voucher refers to is never deleted.
 * `$1` endedBefore, `$2` ticketExpiredBefore.
 */
const UNPAID = `
  FROM checkout_sessions s
  JOIN tickets t ON t.merchant_id = s.merchant_id AND t.jti = s.ticket_jti
 WHERE (s.state IN ('refused', 'cancelled') OR (s.state IN ('identifying', 'choosing') AND s.expires_at < $1))
   AND s.updated_at < $1
   AND t.expires_at < $2
   AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.merchant_id = s.merchant_id AND p.ticket_jti = s.ticket_jti)
   AND NOT EXISTS (SELECT 1 FROM allowances a WHERE a.merchant_id = s.merchant_id AND a.ticket_jti = s.ticket_jti)`;

/**
 * One batch, one statement: the sessions are locked (`SKIP LOCKED`: another instance
 * pruning takes others), then their confirmation requests, the sessions and their
 * tickets are deleted together. The foreign keys between them are checked at the end of
 * the statement, when all three are gone.
 */
const DELETE_UNPAID = `
WITH dead AS (
  SELECT s.id, s.merchant_id, s.ticket_jti ${UNPAID}
   LIMIT $3 FOR UPDATE OF s SKIP LOCKED
), requests AS (
  DELETE FROM confirmation_requests r USING dead WHERE r.session_id = dead.id RETURNING r.seq
), sessions AS (
  DELETE FROM checkout_sessions s USING dead WHERE s.id = dead.id RETURNING s.merchant_id, s.ticket_jti
), tickets AS (
  DELETE FROM tickets t USING sessions WHERE t.merchant_id = sessions.merchant_id AND t.jti = sessions.ticket_jti RETURNING t.jti
)
SELECT (SELECT count(*) FROM sessions)::int AS checkout_sessions,
       (SELECT count(*) FROM tickets)::int AS tickets,
       (SELECT count(*) FROM requests)::int AS confirmation_requests`;

const COUNT_UNPAID = `
WITH dead AS (SELECT s.id ${UNPAID})
SELECT (SELECT count(*) FROM dead)::int AS checkout_sessions,
       (SELECT count(*) FROM dead)::int AS tickets,
       (SELECT count(*) FROM confirmation_requests r WHERE r.session_id IN (SELECT id FROM dead))::int AS confirmation_requests`;

const NONE: UnpaidCheckoutCounts = { checkout_sessions: 0, tickets: 0, confirmation_requests: 0 };

/**
 * Deletes at most `limit` unpaid checkouts past both cutoffs, with their tickets and
 * confirmation requests; `checkout_sessions` below `limit` means there are no more.
 * @example await deleteUnpaidCheckouts(db, { endedBefore, ticketExpiredBefore }, 500)
 */
export async function deleteUnpaidCheckouts(db: Queryable, cutoffs: UnpaidCheckoutCutoffs, limit: number): Promise<UnpaidCheckoutCounts> {
  const { rows } = await db.query<UnpaidCheckoutCounts>(DELETE_UNPAID, [cutoffs.endedBefore, cutoffs.ticketExpiredBefore, limit]);
  return rows[0] ?? NONE;
}

/** What {@link deleteUnpaidCheckouts} would delete now, all batches together (a dry run): reads only. */
export async function countUnpaidCheckouts(db: Queryable, cutoffs: UnpaidCheckoutCutoffs): Promise<UnpaidCheckoutCounts> {
  const { rows } = await db.query<UnpaidCheckoutCounts>(COUNT_UNPAID, [cutoffs.endedBefore, cutoffs.ticketExpiredBefore]);
  return rows[0] ?? NONE;
}
