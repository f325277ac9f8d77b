import { type Executor, isTransaction, type Transaction, withTransaction } from '../storage/database.js';
import { fromDatabaseError } from './errors.js';

/**
 * Runs a ledger write atomically on the caller's executor and translates constraint
 * violations into ledger errors. On an open transaction the write runs in a savepoint
 * and its deferred checks are run before returning, so a refused transfer leaves the
 * caller's transaction usable (to record the refusal, for instance).
 */
export async function write<T>(executor: Executor, deferred: readonly string[], fn: (tx: Transaction) => Promise<T>): Promise<T> {
  try {
    return await withTransaction(executor, async (tx) => {
      const result = await fn(tx);
      if (isTransaction(executor) && deferred.length > 0) {
        const names = deferred.join(', ');
        await tx.exec(`SET CONSTRAINTS ${names} IMMEDIATE; SET CONSTRAINTS ${names} DEFERRED`);
      }
      return result;
    });
  } catch (error) {
    throw fromDatabaseError(error);
  }
}

/** Reads, with the same translation of errors. */
export async function read<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw fromDatabaseError(error);
  }
}

/** The deferred constraint triggers each kind of write must satisfy (migration 0001). */
export const DEFERRED = {
  transfer: ['ledger_transfers_balanced', 'ledger_transfers_has_lines'],
  pending: ['ledger_pending_balanced', 'ledger_pending_has_lines'],
  post: ['ledger_transfers_balanced', 'ledger_transfers_has_lines', 'ledger_pending_posting'],
  void: ['ledger_pending_posting'],
} as const;
