import { constraintName } from '../storage/errors.js';

/**
 * Every error the ledger raises carries one of these codes. They are part of the API:
 * they never change meaning and new ones are only added. Most come from the database
 * (see {@link CONSTRAINT_CODES}): the rule is enforced there, and only named here.
 */
export const LEDGER_ERROR_CODES = {
  invalid_request: 'The request is malformed (amount not a non-zero bigint, duplicate account, bad key or metadata).',
  account_not_found: 'No ledger account has this id, or no account of this type, owner and currency.',
  account_conflict: 'An account of this type, owner and currency exists already with other settings.',
  unbalanced: 'The lines of the transfer do not sum to zero in each currency, or there are none.',
  insufficient_funds: 'The account would go below zero (counting funds reserved by pending transfers).',
  wallet_cap_exceeded: 'The account would go above its cap (counting pending credits).',
  idempotency_conflict: 'This idempotency key was already used for a request with other content.',
  pending_not_found: 'No pending transfer has this id.',
  pending_already_resolved: 'The pending transfer was already posted or voided.',
  ledger_immutable: 'Ledger rows are append-only: journal rows are never updated or deleted, balances move only through entries.',
} as const;

export type LedgerErrorCode = keyof typeof LEDGER_ERROR_CODES;

/**
 * @example
 * try { await ledger.transfer(input) } catch (err) {
 *   if (isLedgerError(err, 'insufficient_funds')) return refuse('insufficient_funds');
 *   throw err;
 * }
 */
export class LedgerError<C extends LedgerErrorCode = LedgerErrorCode> extends Error {
  override readonly name = 'LedgerError';
  readonly code: C;
  /** Facts that help the caller act, e.g. `{ outcome: 'posted', serial: '42' }`. Never secrets. */
  readonly details: Readonly<Record<string, string>>;

  constructor(code: C, message?: string, options?: { cause?: unknown; details?: Readonly<Record<string, string>> }) {
    super(message ?? LEDGER_ERROR_CODES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details ?? {};
  }
}

/** Compares `name` and `code`, not the prototype, so it works across copies of the package. */
export function isLedgerError<C extends LedgerErrorCode>(error: unknown, code?: C): error is LedgerError<C> {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { name?: unknown; code?: unknown };
  if (candidate.name !== 'LedgerError' || typeof candidate.code !== 'string' || !(candidate.code in LEDGER_ERROR_CODES)) return false;
  return code === undefined || candidate.code === code;
}

/**
 * Database constraints (table constraints, constraint triggers and the names triggers
 * give in `RAISE … USING CONSTRAINT`) and the ledger error each one means. Mapped by
 * name, never by message text. The test beside this file checks every name exists in
 * the migrations.
 */
export const CONSTRAINT_CODES = {
  ledger_transfers_balanced: 'unbalanced',
  ledger_transfers_has_lines: 'unbalanced',
  ledger_pending_balanced: 'unbalanced',
  ledger_pending_has_lines: 'unbalanced',
  ledger_balances_floor: 'insufficient_funds',
  ledger_balances_cap: 'wallet_cap_exceeded',
  ledger_entries_account: 'account_not_found',
  ledger_pending_lines_account: 'account_not_found',
  ledger_transfers_idempotency_key: 'idempotency_conflict',
  ledger_pending_idempotency_key: 'idempotency_conflict',
  ledger_pending_resolved: 'pending_already_resolved',
  ledger_pending_resolutions_pending: 'pending_not_found',
  ledger_accounts_identity: 'account_conflict',
  ledger_accounts_type: 'invalid_request',
  ledger_accounts_owner: 'invalid_request',
  ledger_accounts_currency: 'invalid_request',
  ledger_balances_cap_valid: 'invalid_request',
  ledger_entries_amount: 'invalid_request',
  ledger_pending_lines_amount: 'invalid_request',
  ledger_entries_one_line_per_account: 'invalid_request',
  ledger_pending_lines_one_line_per_account: 'invalid_request',
  ledger_transfers_key_length: 'invalid_request',
  ledger_pending_key_length: 'invalid_request',
  ledger_append_only: 'ledger_immutable',
  ledger_balances_derived: 'ledger_immutable',
} as const satisfies Record<string, LedgerErrorCode>;

/**
 * Translates a database error raised by a ledger constraint into a {@link LedgerError}
 * (keeping it as `cause`); returns anything else unchanged, so bugs stay visible as they are.
 */
export function fromDatabaseError(error: unknown): unknown {
  const constraint = constraintName(error);
  if (constraint === undefined || !Object.hasOwn(CONSTRAINT_CODES, constraint)) return error;
  const code = CONSTRAINT_CODES[constraint as keyof typeof CONSTRAINT_CODES];
  return new LedgerError(code, undefined, { cause: error, details: { constraint } });
}
