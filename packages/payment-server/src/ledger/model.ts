import { LedgerError } from './errors.js';

/**
 * The ledger's vocabulary. Amounts are `bigint` minor units (cents for EUR), so a float
 * cannot reach the ledger: the type system refuses it.
 *
 * Sign convention: a line's amount is positive for a credit (the account holder is owed
 * more) and negative for a debit; an account's balance is the sum of its lines. Customer
 * wallets, loyalty, tills and escrow hold money the operator owes, so their balances are
 * positive; clearing and funding accounts stand for money that came in from outside, so
 * theirs are negative. The balances of all accounts in one currency always sum to zero.
 */

export const ACCOUNT_TYPES = [
  /** A customer's prepaid wallet: tracked, never below zero nor above its cap. */
  'customer_wallet',
  /** A customer's loyalty points, valued in minor units of the currency: tracked, never below zero. */
  'loyalty',
  /** What the operator owes a merchant for its sales: append-only, balance derived. */
  'merchant_till',
  /** Funds held for a merchant until delivery is confirmed. */
  'escrow',
  /** The operator's side of money moving through the bank network (acquirer). */
  'bank_clearing',
  /** Where operator-initiated wallet credits come from (`wallet credit`). */
  'wallet_funding',
  /** Where loyalty points come from. */
  'loyalty_funding',
] as const;

export type AccountType = (typeof ACCOUNT_TYPES)[number];

/** Account types with a balance row, checked against a floor of zero and an optional cap. */
export const TRACKED_ACCOUNT_TYPES: ReadonlySet<AccountType> = new Set(['customer_wallet', 'loyalty']);

export interface Account {
  readonly id: string;
  readonly type: AccountType;
  /** Customer id, merchant id, or the operator's own id for clearing and funding accounts. */
  readonly ownerId: string;
  readonly currency: string;
  /** Whether the account keeps a balance row (floor and cap enforced) or derives its balance. */
  readonly tracked: boolean;
  readonly createdAt: Date;
}

/** One side of a transfer as requested: positive credits the account, negative debits it. */
export interface LineInput {
  readonly accountId: string;
  readonly amount: bigint;
}

/** One side of a transfer as recorded, with the account's currency. */
export interface Line {
  readonly accountId: string;
  readonly currency: string;
  readonly amount: bigint;
}

/** A JSON value the canonical encoding accepts: no floats, no undefined. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type JsonObject = { readonly [key: string]: JsonValue };

export interface TransferInput {
  /** Unique per movement of money, e.g. `ticket:<merchant>:<ticket jti>`. At most 255 characters. */
  readonly idempotencyKey: string;
  /**
   * The caller's digest of the business request (e.g. the ticket's SHA-256). Part of the
   * content compared on replay, with the lines and metadata.
   */
  readonly requestHash?: string;
  readonly lines: readonly LineInput[];
  readonly metadata?: JsonObject;
}

/** A committed transfer: one entry in the register. */
export interface Transfer {
  /** The register serial: unique, only grows, never reused (gaps are possible). */
  readonly serial: bigint;
  /** Null for the posting of a pending transfer, which has `pendingId` instead. */
  readonly idempotencyKey: string | null;
  readonly pendingId: string | null;
  readonly lines: readonly Line[];
  readonly metadata: JsonObject;
  readonly createdAt: Date;
  /** True when this call found the transfer already made with the same key and content. */
  readonly replayed: boolean;
}

export type PendingStatus = 'pending' | 'posted' | 'voided';

export interface PendingTransfer {
  readonly id: string;
  readonly idempotencyKey: string;
  readonly status: PendingStatus;
  readonly lines: readonly Line[];
  readonly metadata: JsonObject;
  readonly createdAt: Date;
  readonly resolvedAt: Date | null;
  /** The serial of the posting transfer, once posted. */
  readonly serial: bigint | null;
  readonly replayed: boolean;
}

export interface AccountBalance {
  readonly accountId: string;
  readonly currency: string;
  /** Sum of posted entries. */
  readonly balance: bigint;
  /** Debits reserved by pending transfers, not yet posted (a positive number). */
  readonly pendingDebits: bigint;
  /** Credits promised by pending transfers, not yet posted (a positive number). */
  readonly pendingCredits: bigint;
  /** What can still be spent: balance − pending debits. */
  readonly available: bigint;
  /** Tracked accounts only; null when there is no cap. */
  readonly cap: bigint | null;
}

export interface Wallet extends AccountBalance {
  readonly account: Account;
}

/**
 * @example ledger.transfer({ idempotencyKey, lines: [debit(wallet.id, 1000n), credit(till.id, 1000n)] })
 */
export function credit(accountId: string, amount: bigint): LineInput {
  return { accountId, amount: positive(amount) };
}

/** A debit of `amount` (given positive): the line's amount is `-amount`. */
export function debit(accountId: string, amount: bigint): LineInput {
  return { accountId, amount: -positive(amount) };
}

function positive(amount: bigint): bigint {
  if (typeof amount !== 'bigint' || amount <= 0n) {
    throw new LedgerError('invalid_request', 'credit() and debit() take a positive bigint amount; the sign comes from the function.');
  }
  return amount;
}
