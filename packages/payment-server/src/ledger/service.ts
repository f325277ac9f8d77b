import type { Executor } from '../storage/database.js';
import { findAccount, getAccount, getBalance, getWallet, type OpenAccountInput, openAccount, setCap } from './accounts.js';
import type { Account, AccountBalance, AccountType, PendingTransfer, Transfer, TransferInput, Wallet } from './model.js';
import { createPending, getPending, postPending, voidPending } from './pending.js';
import { nextRegisterSerial } from './register.js';
import { findTransfer, getTransfer, transfer } from './transfers.js';

/**
 * The ledger as a service over one executor. Over a database, each write is its own
 * transaction (retried on serialization failures); over an open transaction, each write
 * joins it in a savepoint, so a payment can record its ledger transfer, its voucher and
 * its outbox message atomically:
 * @example
 * await db.transaction(async (tx) => {
 *   const moved = await createLedger(tx).transfer({
 *     idempotencyKey: `ticket:${merchantId}:${ticket.jti}`,
 *     requestHash: ticketSha256,
 *     lines: [debit(wallet.id, 1250n), credit(till.id, 1250n)],
 *     metadata: { ticket: ticket.jti, merchant: merchantId },
 *   });
 *   await saveVoucher(tx, moved.serial);
 * });
 */
export interface Ledger {
  openAccount(input: OpenAccountInput): Promise<Account>;
  /** @throws LedgerError `account_not_found` */
  account(id: string): Promise<Account>;
  findAccount(type: AccountType, ownerId: string, currency: string): Promise<Account | undefined>;
  /** @throws LedgerError `account_not_found` */
  balance(accountId: string): Promise<AccountBalance>;
  /** The customer's wallet in this currency. @throws LedgerError `account_not_found` */
  wallet(customerId: string, currency: string): Promise<Wallet>;
  setCap(accountId: string, cap: bigint | null): Promise<AccountBalance>;
  /**
   * @throws LedgerError `unbalanced`, `insufficient_funds`, `wallet_cap_exceeded`,
   * `account_not_found`, `idempotency_conflict`, `invalid_request`
   */
  transfer(input: TransferInput): Promise<Transfer>;
  getTransfer(serial: bigint): Promise<Transfer | undefined>;
  findTransfer(idempotencyKey: string): Promise<Transfer | undefined>;
  createPending(input: TransferInput): Promise<PendingTransfer>;
  /** @throws LedgerError `pending_not_found`, `pending_already_resolved` (details say how) */
  postPending(id: string): Promise<Transfer>;
  /** @throws LedgerError `pending_not_found`, `pending_already_resolved` (details say how) */
  voidPending(id: string): Promise<PendingTransfer>;
  getPending(id: string): Promise<PendingTransfer>;
  /** A serial for a voucher that moves no money. */
  nextRegisterSerial(): Promise<bigint>;
}

export function createLedger(executor: Executor): Ledger {
  return {
    openAccount: (input) => openAccount(executor, input),
    account: (id) => getAccount(executor, id),
    findAccount: (type, ownerId, currency) => findAccount(executor, type, ownerId, currency),
    balance: (accountId) => getBalance(executor, accountId),
    wallet: (customerId, currency) => getWallet(executor, customerId, currency),
    setCap: (accountId, cap) => setCap(executor, accountId, cap),
    transfer: (input) => transfer(executor, input),
    getTransfer: (serial) => getTransfer(executor, serial),
    findTransfer: (key) => findTransfer(executor, key),
    createPending: (input) => createPending(executor, input),
    postPending: (id) => postPending(executor, id),
    voidPending: (id) => voidPending(executor, id),
    getPending: (id) => getPending(executor, id),
    nextRegisterSerial: () => nextRegisterSerial(executor),
  };
}
