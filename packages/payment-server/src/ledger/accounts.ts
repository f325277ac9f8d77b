import type { Executor, Queryable } from '../storage/database.js';
import { LedgerError } from './errors.js';
import { type Account, type AccountBalance, type AccountType, TRACKED_ACCOUNT_TYPES, type Wallet } from './model.js';
import { ACCOUNT_COLUMNS, type AccountRow, type BalanceRow, toAccount, toBalance } from './rows.js';
import * as check from './validate.js';
import { read, write } from './write.js';

export interface OpenAccountInput {
  readonly type: AccountType;
  readonly ownerId: string;
  readonly currency: string;
  /**
   * Highest balance the account may hold, in minor units. Required for a customer wallet
   * (`null` for none is refused there), optional for loyalty, refused for other types.
   */
  readonly cap?: bigint | null;
}

/**
 * Opens the account of this type, owner and currency, or returns it if it exists with the
 * same settings (`account_conflict` if its cap differs: change a cap with {@link setCap}).
 */
export async function openAccount(executor: Executor, input: OpenAccountInput): Promise<Account> {
  const type = check.accountType(input.type);
  const ownerId = check.ownerId(input.ownerId);
  const currency = check.currency(input.currency);
  const tracked = TRACKED_ACCOUNT_TYPES.has(type);
  const cap = input.cap === undefined ? null : check.cap(input.cap);
  if (type === 'customer_wallet' && cap === null) throw new LedgerError('invalid_request', 'A customer wallet needs a cap.');
  if (!tracked && cap !== null) throw new LedgerError('invalid_request', `A ${type} account has no balance row, so no cap.`);

  // Accounts are never deleted and their identity never changes, so one that exists is
  // returned from a single read: a payment opens three (till, loyalty, its funding) and
  // this spares each a savepoint, an insert that conflicts and the savepoint's release.
  const found = await read(() => existingAccount(executor, type, ownerId, currency));
  if (found !== undefined) return sameCap(found, type, cap);
  return write(executor, [], async (tx) => {
    const inserted = await tx.query<AccountRow>(
      `INSERT INTO ledger_accounts (type, owner_id, currency) VALUES ($1, $2, $3)
       ON CONFLICT (type, owner_id, currency) DO NOTHING RETURNING ${ACCOUNT_COLUMNS}`,
      [type, ownerId, currency],
    );
    const created = inserted.rows[0];
    if (created !== undefined) {
      if (cap !== null) await tx.query('UPDATE ledger_balances SET cap = $2 WHERE account_id = $1', [created.id, cap]);
      return toAccount(created);
    }
    const row = await existingAccount(tx, type, ownerId, currency);
    if (row === undefined) throw new Error('ledger: account vanished after an insert conflict (accounts are never deleted)');
    return sameCap(row, type, cap);
  });
}

async function existingAccount(
  db: Queryable,
  type: AccountType,
  ownerId: string,
  currency: string,
): Promise<(AccountRow & { cap: bigint | null }) | undefined> {
  const { rows } = await db.query<AccountRow & { cap: bigint | null }>(
    `SELECT a.id, a.type, a.owner_id, a.currency, a.tracked, a.created_at, b.cap
     FROM ledger_accounts a LEFT JOIN ledger_balances b ON b.account_id = a.id
     WHERE a.type = $1 AND a.owner_id = $2 AND a.currency = $3`,
    [type, ownerId, currency],
  );
  return rows[0];
}

function sameCap(row: AccountRow & { cap: bigint | null }, type: AccountType, cap: bigint | null): Account {
  if (row.cap !== cap) {
    throw new LedgerError('account_conflict', `This ${type} account exists with another cap; use setCap to change it.`, {
      details: { accountId: row.id },
    });
  }
  return toAccount(row);
}

export async function getAccount(db: Queryable, id: string): Promise<Account> {
  if (!check.isUuid(id)) throw new LedgerError('account_not_found');
  const { rows } = await read(() => db.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id = $1`, [id]));
  const row = rows[0];
  if (row === undefined) throw new LedgerError('account_not_found');
  return toAccount(row);
}

export async function findAccount(db: Queryable, type: AccountType, ownerId: string, currency: string): Promise<Account | undefined> {
  const { rows } = await read(() =>
    db.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts WHERE type = $1 AND owner_id = $2 AND currency = $3`, [
      check.accountType(type),
      check.ownerId(ownerId),
      check.currency(currency),
    ]),
  );
  return rows[0] === undefined ? undefined : toAccount(rows[0]);
}

/**
 * Tracked accounts read their balance row. Derived accounts (tills, escrow, clearing) sum
 * their entries after the latest roll-up, and their open pending lines; nothing a payment
 * writes is read-modify-written here.
 */
const BALANCE_SQL = `
SELECT a.id AS account_id, a.currency,
  CASE WHEN a.tracked THEN b.balance ELSE (
    coalesce(r.balance, 0)
    + coalesce((SELECT sum(e.amount) FROM ledger_entries e WHERE e.account_id = a.id AND e.serial > coalesce(r.as_of_serial, 0)), 0)
  )::bigint END AS balance,
  CASE WHEN a.tracked THEN b.pending_debits ELSE coalesce((
    SELECT sum(-l.amount) FROM ledger_pending_lines l
    WHERE l.account_id = a.id AND l.amount < 0
      AND NOT EXISTS (SELECT 1 FROM ledger_pending_resolutions s WHERE s.pending_id = l.pending_id)
  ), 0)::bigint END AS pending_debits,
  CASE WHEN a.tracked THEN b.pending_credits ELSE coalesce((
    SELECT sum(l.amount) FROM ledger_pending_lines l
    WHERE l.account_id = a.id AND l.amount > 0
      AND NOT EXISTS (SELECT 1 FROM ledger_pending_resolutions s WHERE s.pending_id = l.pending_id)
  ), 0)::bigint END AS pending_credits,
  b.cap
FROM ledger_accounts a
LEFT JOIN ledger_balances b ON b.account_id = a.id
LEFT JOIN ledger_rollups r ON r.account_id = a.id
WHERE a.id = $1`;

export async function getBalance(db: Queryable, accountId: string): Promise<AccountBalance> {
  if (!check.isUuid(accountId)) throw new LedgerError('account_not_found');
  const { rows } = await read(() => db.query<BalanceRow>(BALANCE_SQL, [accountId]));
  const row = rows[0];
  if (row === undefined) throw new LedgerError('account_not_found');
  return toBalance(row);
}

export async function getWallet(db: Queryable, customerId: string, currency: string): Promise<Wallet> {
  const account = await findAccount(db, 'customer_wallet', customerId, currency);
  if (account === undefined) throw new LedgerError('account_not_found', 'This customer has no wallet in this currency.');
  return { account, ...(await getBalance(db, account.id)) };
}

/**
 * Changes a tracked account's cap. Refused with `wallet_cap_exceeded` if the account
 * already holds more (with pending credits) than the new cap.
 */
export async function setCap(executor: Executor, accountId: string, cap: bigint | null): Promise<AccountBalance> {
  if (!check.isUuid(accountId)) throw new LedgerError('account_not_found');
  const value = check.cap(cap);
  return write(executor, [], async (tx) => {
    const account = await getAccount(tx, accountId);
    if (!account.tracked) throw new LedgerError('invalid_request', `A ${account.type} account has no cap.`);
    if (account.type === 'customer_wallet' && value === null) throw new LedgerError('invalid_request', 'A customer wallet needs a cap.');
    await tx.query('UPDATE ledger_balances SET cap = $2 WHERE account_id = $1', [accountId, value]);
    return getBalance(tx, accountId);
  });
}
