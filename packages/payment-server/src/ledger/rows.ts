import type { Account, AccountBalance, AccountType, JsonObject, Line } from './model.js';

/** Row shapes as the drivers return them (int8 as bigint) and their mapping to the model. */

export interface AccountRow {
  id: string;
  type: AccountType;
  owner_id: string;
  currency: string;
  tracked: boolean;
  created_at: Date;
}

export const ACCOUNT_COLUMNS = 'id, type, owner_id, currency, tracked, created_at';

export function toAccount(row: AccountRow): Account {
  return { id: row.id, type: row.type, ownerId: row.owner_id, currency: row.currency, tracked: row.tracked, createdAt: row.created_at };
}

export interface LineRow {
  account_id: string;
  currency: string;
  amount: bigint;
}

export function toLine(row: LineRow): Line {
  return { accountId: row.account_id, currency: row.currency, amount: row.amount };
}

export interface BalanceRow {
  account_id: string;
  currency: string;
  balance: bigint;
  pending_debits: bigint;
  pending_credits: bigint;
  cap: bigint | null;
}

export function toBalance(row: BalanceRow): AccountBalance {
  return {
    accountId: row.account_id,
    currency: row.currency,
    balance: row.balance,
    pendingDebits: row.pending_debits,
    pendingCredits: row.pending_credits,
    available: row.balance - row.pending_debits,
    cap: row.cap,
  };
}

export function toMetadata(value: unknown): JsonObject {
  return (typeof value === 'string' ? JSON.parse(value) : value) as JsonObject;
}
