import type { NotificationClaims, NotificationEvent } from '@caisse/protocol';

/** `Omit` applied to each member of a union, so the `event` discriminant still narrows. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * What a notification says, as the outbox stores it: the claims of the
 * `caisse-notification+jwt` without `iss`, `iat` and `exp`, which are set when each
 * attempt is signed (the issuer and key of the server that sends it, a fresh time).
 */
export type NotificationPayload = DistributiveOmit<NotificationClaims, 'iss' | 'iat' | 'exp'>;

/**
 * The event and its body, which the code that moves the money describes: the outbox
 * adds the envelope (`ver`, `aud`, `jti`).
 * @example const content: NotificationContent = { event: 'payment.refused', refusal: { ticket, serial, amount, currency, reason } }
 */
export type NotificationContent = DistributiveOmit<NotificationPayload, 'ver' | 'aud' | 'jti'>;

export type NotificationStatus = 'pending' | 'delivered' | 'parked';

/** One row of the outbox, as the operator sees it. Never holds a token: tokens are made at each attempt and never stored. */
export interface OutboxNotification {
  /** The `jti` the merchant dedupes by; kept across every retry and resend. */
  readonly id: string;
  readonly merchantId: string;
  readonly event: NotificationEvent;
  readonly payload: NotificationPayload;
  readonly targetUrl: string;
  readonly status: NotificationStatus;
  readonly attempts: number;
  /** When a dispatcher may next take it (for a pending one). */
  readonly nextAttemptAt: Date;
  /** A failure at or after this time parks it. */
  readonly retryUntil: Date;
  readonly lastAttemptAt: Date | null;
  /** Why the last attempt failed (`http 503`, `timeout`, `redirect 302 not followed`, …). */
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly deliveredAt: Date | null;
  readonly parkedAt: Date | null;
}

export interface NotificationRow {
  id: string;
  merchant_id: string;
  event: NotificationEvent;
  payload: NotificationPayload;
  target_url: string;
  status: NotificationStatus;
  attempts: number;
  next_attempt_at: Date;
  retry_until: Date;
  last_attempt_at: Date | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
  parked_at: Date | null;
}

export const NOTIFICATION_COLUMNS =
  'id, merchant_id, event, payload, target_url, status, attempts, next_attempt_at, retry_until, last_attempt_at, last_error, created_at, delivered_at, parked_at';

export function toNotification(row: NotificationRow): OutboxNotification {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    event: row.event,
    payload: row.payload,
    targetUrl: row.target_url,
    status: row.status,
    attempts: Number(row.attempts),
    nextAttemptAt: row.next_attempt_at,
    retryUntil: row.retry_until,
    lastAttemptAt: row.last_attempt_at,
    lastError: row.last_error,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
    parkedAt: row.parked_at,
  };
}

/** The operator alert raised when a notification is parked. Subject: the notification id. */
export const NOTIFICATION_PARKED_ALERT = 'notification_parked';
