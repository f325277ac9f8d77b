import type { PruneRule } from './batch.js';

/** Refusals not seen since the moment (30 days before now: ticket-refusals/service.ts); the listing no longer shows them. */
export const STALE_TICKET_REFUSALS: PruneRule = { table: 'ticket_refusals', where: 'last_seen_at < $1' };

/**
 * Tickets a signed refusal recorded as used (`Sessions.claimRefusal`), whose `exp` is
 * before the moment (now less the intake's clock tolerance): intake refuses them as
 * expired, so the row no longer keeps them from being taken. They have no session,
 * payment or allowance.
 */
export const SPENT_REFUSED_TICKETS: PruneRule = { table: 'tickets', where: 'refused_at IS NOT NULL AND expires_at < $1' };
