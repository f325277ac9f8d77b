/**
 * Operator alerts: things a person must look at (an account locked after wrong access
 * keys, later a failed audit or a stuck bank operation). Raised by services inside the
 * transaction that caused them, so an alert exists exactly when its cause committed.
 */

/** Kinds raised today. Other domains add theirs (lower case, `a-z 0-9 _ .`, up to 64 characters). */
export const ALERT_KINDS = {
  /** A customer account was locked after too many wrong access keys. Subject: the customer id. */
  accountLocked: 'account_locked',
} as const;

/** Facts an operator needs, as flat JSON. Never a token, key, PIN or access key. */
export type AlertDetails = Readonly<Record<string, string | number | boolean | null>>;

export interface Alert {
  readonly id: string;
  readonly kind: string;
  /** What the alert is about, e.g. the customer id of the locked account. */
  readonly subject: string;
  readonly details: AlertDetails;
  readonly createdAt: Date;
  readonly acknowledgedAt: Date | null;
  /** Who acknowledged it (an operator name), when given. */
  readonly acknowledgedBy: string | null;
}

export interface RaiseAlertInput {
  kind: string;
  subject: string;
  details?: AlertDetails;
}

export interface AlertRow {
  id: string;
  kind: string;
  subject: string;
  details: AlertDetails;
  created_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
}

export const ALERT_COLUMNS = 'id, kind, subject, details, created_at, acknowledged_at, acknowledged_by';

export function toAlert(row: AlertRow): Alert {
  return {
    id: row.id,
    kind: row.kind,
    subject: row.subject,
    details: row.details,
    createdAt: row.created_at,
    acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by,
  };
}
