import type { CheckoutResult } from './types.js';
import type { Verdict } from './verify.js';

/**
 * What a verdict means for the customer: a refusal because the customer declined is a
 * cancellation, one because the ticket ran out is an expiry; every other refusal stays a
 * refusal with its reason.
 * @example outcome({ status: 'refused', reason: 'customer_declined' }) // { status: 'cancelled', reason: 'customer_declined' }
 */
export function outcome(verdict: Verdict): CheckoutResult {
  if (verdict.status !== 'refused') return verdict;
  if (verdict.reason === 'customer_declined') return { ...verdict, status: 'cancelled' };
  if (verdict.reason === 'ticket_expired') return { ...verdict, status: 'expired' };
  return verdict;
}
