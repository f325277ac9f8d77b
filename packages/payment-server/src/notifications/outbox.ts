import { randomBytes } from 'node:crypto';
import { notificationClaims, PROTOCOL_VERSION, parseMessage } from '@caisse/protocol';
import type { Transaction } from '../storage/database.js';
import type { OutboxNotification } from './model.js';
import { NOTIFICATION_COLUMNS, type NotificationContent, type NotificationPayload, type NotificationRow, toNotification } from './model.js';
import { DEFAULT_RETRY_POLICY } from './schedule.js';

export interface EnqueueNotification {
  /** The merchant the event is for: the notification's audience. */
  merchantId: string;
  /** The ticket's `notifyUrl`, when it has one: it wins over the merchant's registered URL. */
  notifyUrl?: string | undefined;
  content: NotificationContent;
  /** The time of the event (the money movement's clock). */
  at: Date;
}

/** 128 random bits; `n_` keeps the id within the protocol id rule (it starts with a letter). */
function newNotificationId(): string {
  return `n_${randomBytes(16).toString('base64url')}`;
}

const INSERT = `
INSERT INTO notifications (id, merchant_id, event, payload, target_url, next_attempt_at, retry_until, created_at)
SELECT $1, m.id, $3, $4::text::jsonb, coalesce($5::text, m.notify_url), $6, $7, $6
  FROM merchants m
 WHERE m.id = $2 AND coalesce($5::text, m.notify_url) IS NOT NULL
RETURNING ${NOTIFICATION_COLUMNS}`;

/**
 * Writes a notification into the outbox, inside the transaction that moves the money:
 * it commits with the payment or not at all. The target is the ticket's `notifyUrl`,
 * else the merchant's registered one; a merchant with neither takes no notifications,
 * and `null` is returned. The claims are checked against the protocol schema here, so a
 * malformed event fails the transaction that made it instead of being sent.
 *
 * @throws CaisseError `claims_invalid` when the content does not make a valid notification
 * @example
 * await db.transaction(async (tx) => {
 *   // … move the money …
 *   await enqueueNotification(tx, { merchantId, notifyUrl: claims.notifyUrl, at: now(), content: { event: 'payment.authorised', payment } });
 * });
 */
export async function enqueueNotification(tx: Transaction, input: EnqueueNotification): Promise<OutboxNotification | null> {
  const id = newNotificationId();
  const payload = { ver: PROTOCOL_VERSION, aud: input.merchantId, jti: id, ...input.content } as NotificationPayload;
  const seconds = Math.floor(input.at.getTime() / 1000);
  // iss, iat and exp are only placeholders here: the dispatcher sets them at each attempt.
  parseMessage(notificationClaims, { ...payload, iss: 'outbox', iat: seconds, exp: seconds + 300 }, 'claims_invalid');
  const retryUntil = new Date(input.at.getTime() + DEFAULT_RETRY_POLICY.windowMs);
  const { rows } = await tx.query<NotificationRow>(INSERT, [
    id,
    input.merchantId,
    payload.event,
    JSON.stringify(payload),
    input.notifyUrl ?? null,
    input.at,
    retryUntil,
  ]);
  const row = rows[0];
  return row === undefined ? null : toNotification(row);
}
