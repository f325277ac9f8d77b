import type { Role } from './roles.js';

/** Wrong passwords or codes in a row that lock an operator account (also the customers' count, DESIGN.md). */
export const MAX_OPERATOR_ATTEMPTS = 5;

/** Operator passwords: long enough that the lockout, not the length, is never what stops a guess; as long as a passphrase. */
export const PASSWORD_LENGTH = { min: 12, max: 128 } as const;

/** An operator of the payment server, as the console and the CLI show them. Never their password or TOTP secret. */
export interface Operator {
  /** What they sign in with: the protocol's id rule (1–64 of A-Z a-z 0-9 . _ : -). */
  readonly id: string;
  readonly displayName: string;
  readonly role: Role;
  /** Wrong passwords or codes since the last sign-in. */
  readonly failedAttempts: number;
  /** Set by the {@link MAX_OPERATOR_ATTEMPTS}th wrong attempt; null when not locked. */
  readonly lockedAt: Date | null;
  /** Disabled operators sign in no more, and their sessions end at once. */
  readonly disabledAt: Date | null;
  readonly createdAt: Date;
}

/** Whether the operator can sign in: `disabled` for good, `locked` until an admin unlocks them, else `active`. */
export function operatorState(operator: Pick<Operator, 'disabledAt' | 'lockedAt'>): 'disabled' | 'locked' | 'active' {
  if (operator.disabledAt !== null) return 'disabled';
  return operator.lockedAt !== null ? 'locked' : 'active';
}

/** What the authenticator app needs, shown once when an operator is added or their TOTP secret is reset. */
export interface TotpEnrollment {
  /** The secret in base32, for typing it in by hand. */
  readonly secret: string;
  /** `otpauth://totp/…`, for a QR code or an app that opens it. */
  readonly uri: string;
}

export interface OperatorRow {
  id: string;
  display_name: string;
  role: Role;
  failed_attempts: number;
  locked_at: Date | null;
  disabled_at: Date | null;
  created_at: Date;
}

export const OPERATOR_COLUMNS = 'id, display_name, role, failed_attempts, locked_at, disabled_at, created_at';

export function toOperator(row: OperatorRow): Operator {
  return {
    id: row.id,
    displayName: row.display_name,
    role: row.role,
    failedAttempts: Number(row.failed_attempts),
    lockedAt: row.locked_at,
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
  };
}
