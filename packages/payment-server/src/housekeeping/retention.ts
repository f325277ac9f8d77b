/** Days a delivered notification is kept after its delivery (`CAISSE_NOTIFICATION_RETENTION_DAYS`). */
export const DELIVERED_NOTIFICATION_RETENTION_DAYS = 30;
/** Days a parked notification (never acknowledged, not resent) is kept after it was parked: the operator's time to resend it. */
export const PARKED_NOTIFICATION_RETENTION_DAYS = 90;
/** Days an unpaid checkout is kept after it ended and its ticket expired: what the merchant, the customer or support may still look up. */
export const UNPAID_CHECKOUT_RETENTION_DAYS = 7;
/** Days an enrollment code is kept after it expired. */
export const ENROLLMENT_CODE_RETENTION_DAYS = 1;
/** The longest retention accepted, in days (10 years). */
export const MAX_RETENTION_DAYS = 3_650;

/**
 * How long, in days, housekeeping keeps rows that serve nothing any more. What has no
 * entry here is deleted as soon as it is dead: replay entries at their expiry, refusals
 * after the 30 days the merchant API lists, tickets a refusal spent once intake refuses
 * them as expired.
 */
export interface Retention {
  /** A delivered notification, after its delivery. */
  readonly deliveredNotifications: number;
  /** A parked notification, after it was parked. */
  readonly parkedNotifications: number;
  /** A checkout that ended without a payment, after it ended and its ticket expired. */
  readonly unpaidCheckouts: number;
  /** An enrollment code, after it expired. */
  readonly enrollmentCodes: number;
}

export const DEFAULT_RETENTION: Retention = {
  deliveredNotifications: DELIVERED_NOTIFICATION_RETENTION_DAYS,
  parkedNotifications: PARKED_NOTIFICATION_RETENTION_DAYS,
  unpaidCheckouts: UNPAID_CHECKOUT_RETENTION_DAYS,
  enrollmentCodes: ENROLLMENT_CODE_RETENTION_DAYS,
};

/**
 * The defaults with `given` over them, each a whole number of days from 1 to
 * {@link MAX_RETENTION_DAYS}. At least a day, never 0: a retention that silently became
 * 0 would delete an unpaid checkout's ticket as soon as it expired, with no margin for
 * the clocks of several instances.
 * @throws TypeError naming the retention that is not such a number
 * @example resolveRetention({ deliveredNotifications: 7 }) // { deliveredNotifications: 7, parkedNotifications: 90, … }
 */
export function resolveRetention(given: Partial<Retention> = {}): Retention {
  const retention = { ...DEFAULT_RETENTION, ...given };
  for (const [name, days] of Object.entries(retention)) {
    if (!(Number.isSafeInteger(days) && days >= 1 && days <= MAX_RETENTION_DAYS)) {
      throw new TypeError(`retention.${name} must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}, not ${String(days)}.`);
    }
  }
  return retention;
}

/**
 * The retentions an operator sets in the environment: `CAISSE_NOTIFICATION_RETENTION_DAYS`
 * (the others are the defaults).
 * @example pruneExpired(db, { now, retention: configuredRetention(loadConfig(process.env)) })
 */
export function configuredRetention(config: { CAISSE_NOTIFICATION_RETENTION_DAYS: number }): Partial<Retention> {
  return { deliveredNotifications: config.CAISSE_NOTIFICATION_RETENTION_DAYS };
}
