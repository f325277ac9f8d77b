import { CaisseError, type NotificationClaims, notificationClaims, parseMessage, TOKEN_TYPES } from '@caisse/protocol';
import { checkExpiry, checkMode, checkParty, resolveClock, resolveMode } from '../claims.js';
import { verifyJws } from '../jws/verify.js';
import type { PaymentServerTrust } from '../voucher/verify.js';

export type Notification = NotificationClaims;

export interface VerifyNotificationOptions extends PaymentServerTrust {
  /** Your merchant id: the notification's audience. */
  audience: string;
  /**
   * How long an event id is remembered, in seconds. The payment server retries for up
   * to 3 days, re-signing each attempt with the same `jti`, so the default is 4 days.
   */
  dedupeWindow?: number;
}

/** Notifications must be fresh: each delivery attempt is signed anew, so an old one is a replay. */
export const NOTIFICATION_MAX_AGE = 300;
export const DEFAULT_DEDUPE_WINDOW = 4 * 24 * 3600;

/** The replay-store key of a notification, for {@link ReplayStore.release} when processing fails. */
export function notificationReplayKey(notification: Pick<Notification, 'iss' | 'jti'>): string {
  return `notification:${notification.iss}:${notification.jti}`;
}

/**
 * Verifies a server-to-server notification: same rules as a voucher (its mode included), plus `iat` within
 * ±5 minutes of now, and each event id accepted once (`token_replayed` for a redelivery
 * of an event already processed: acknowledge it and do nothing).
 * @example const event = await verifyNotification(await request.text(), { issuer, keys, replayStore, audience: 'shop-1' })
 */
export async function verifyNotification(token: string, options: VerifyNotificationOptions): Promise<Notification> {
  const { nowMs, tolerance } = resolveClock(options);
  const mode = resolveMode(options.mode);
  const jws = await verifyJws(token, [TOKEN_TYPES.notification], options.keys);
  const claims = parseMessage(notificationClaims, jws.payload, 'claims_invalid');
  checkMode(claims, mode, 'notification');
  checkParty('iss', claims.iss, options.issuer);
  checkParty('aud', claims.aud, options.audience);
  const at = nowMs();
  const now = Math.floor(at / 1000);
  checkExpiry(claims.exp, now, tolerance);
  if (now - claims.iat > NOTIFICATION_MAX_AGE) {
    throw new CaisseError(
      'token_expired',
      `The notification was signed ${now - claims.iat} s ago; at most ${NOTIFICATION_MAX_AGE} s are accepted.`,
    );
  }
  if (claims.iat - now > NOTIFICATION_MAX_AGE) {
    throw new CaisseError('token_not_yet_valid', `The notification is dated ${claims.iat - now} s in the future.`);
  }
  const window = options.dedupeWindow ?? DEFAULT_DEDUPE_WINDOW;
  if (!(await options.replayStore.claim(notificationReplayKey(claims), (now + window) * 1000, at))) {
    throw new CaisseError('token_replayed', `Notification "${claims.jti}" has already been processed.`);
  }
  return claims;
}
