import type { RefusalReason } from '@caisse/protocol';
import type { CheckoutSession, SessionState, Sessions } from '../checkout/sessions.js';
import { enqueueNotification } from '../notifications/outbox.js';
import type { Transaction } from '../storage/database.js';

/**
 * Closes a session with a refusal and, in the same transaction, queues the
 * `payment.refused` notification, so the merchant hears of every refusal even when the
 * browser never comes back. Returns false when the session had already left `from`.
 */
export async function closeRefused(
  tx: Transaction,
  sessions: Sessions,
  session: CheckoutSession,
  from: readonly SessionState[],
  to: 'refused' | 'cancelled',
  reason: RefusalReason,
  at: Date,
): Promise<boolean> {
  if (!(await sessions.close(session.id, from, to, reason, tx))) return false;
  const { claims, sha256 } = session.ticket;
  await enqueueNotification(tx, {
    merchantId: claims.iss,
    notifyUrl: claims.notifyUrl,
    at,
    content: {
      event: 'payment.refused',
      refusal: { ticket: { jti: claims.jti, sha256 }, serial: claims.serial, amount: claims.amount, currency: claims.currency, reason },
    },
  });
  return true;
}
