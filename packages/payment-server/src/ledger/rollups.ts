import type { Database } from '../storage/database.js';
import { LOCK_NAMESPACE, LOCKS } from '../storage/locks.js';
import { type HighWaterOptions, registerHighWater } from './register.js';

export interface RollUpResult {
  /** True if transfers in flight held the register barrier too long; nothing was done. */
  busy: boolean;
  /** The serial the roll-ups now reach. */
  highWater: bigint | null;
  /** Derived accounts whose roll-up moved. */
  accounts: number;
}

/**
 * Folds the entries of derived accounts (tills, escrow, clearing) into one row per account
 * up to the register high-water, so that their balance reads the roll-up plus the few
 * entries after it instead of the whole history. Runs off the payment path (a periodic
 * job); payments never read nor write these rows.
 * @example setInterval(() => rollUpBalances(db).catch(report), 60_000).unref();
 */
export async function rollUpBalances(db: Database, options: HighWaterOptions = {}): Promise<RollUpResult> {
  const highWater = await registerHighWater(db, options);
  if (highWater === null) return { busy: true, highWater: null, accounts: 0 };
  const accounts = await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, LOCKS.rollups]);
    const { rowCount } = await tx.query(
      `INSERT INTO ledger_rollups AS r (account_id, as_of_serial, balance)
       SELECT e.account_id, $1::bigint, sum(e.amount)::bigint
       FROM ledger_entries e
       JOIN ledger_accounts a ON a.id = e.account_id AND NOT a.tracked
       LEFT JOIN ledger_rollups old ON old.account_id = e.account_id
       WHERE e.serial > coalesce(old.as_of_serial, 0) AND e.serial <= $1::bigint
       GROUP BY e.account_id
       ON CONFLICT (account_id) DO UPDATE
         SET balance = r.balance + excluded.balance, as_of_serial = excluded.as_of_serial, updated_at = now()
         WHERE r.as_of_serial < excluded.as_of_serial`,
      [highWater],
    );
    return rowCount;
  });
  return { busy: false, highWater, accounts };
}
