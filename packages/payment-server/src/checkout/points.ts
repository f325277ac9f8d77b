import { ProblemError } from '../http/problem.js';
import { USE_POINTS_FIELD, USE_POINTS_VALUE } from '../pages/checkout.js';
import type { CheckoutSession } from './sessions.js';

/**
 * The session with the customer's choice on the form they sent: "Use my loyalty points"
 * ticked sends `usePoints=yes`, unticked sends nothing. Kept on the session object, so the
 * page shows it again with any problem and the step that moves the session out of
 * `identifying` stores it (sessions.ts), as it stores the shared data. Any other value was
 * not sent by our page: refused, and nothing changes.
 * @throws ProblemError `request_invalid`
 * @example const current = withPointsChoice(found, await c.req.parseBody())
 */
export function withPointsChoice(session: CheckoutSession, body: Record<string, unknown>): CheckoutSession {
  const sent = body[USE_POINTS_FIELD];
  if (sent !== undefined && sent !== USE_POINTS_VALUE) {
    throw new ProblemError('request_invalid', `"Use my loyalty points" sends ${USE_POINTS_VALUE} when ticked, and nothing otherwise.`);
  }
  return { ...session, usePoints: sent === USE_POINTS_VALUE };
}
