import type { Database, Queryable } from '../storage/database.js';
import { sqlState } from '../storage/errors.js';
import { LOCK_NAMESPACE, LOCKS } from '../storage/locks.js';

/**
 * The register serial comes from a sequence: it only grows and is never reused, but a
 * transfer that took serial 10 may commit after the one that took 11. Readers that need
 * a "complete up to here" point (the audit sealer, roll-ups) use {@link registerHighWater}.
 */

export interface HighWaterOptions {
  /**
   * How long to wait for transfers in flight, in milliseconds; new transfers queue behind
   * the barrier meanwhile, so keep it short. Default 200.
   */
  timeoutMs?: number;
}

/**
 * The highest serial `h` such that every transfer with a serial ≤ `h` has committed or
 * rolled back: no transfer at or below `h` can appear later. `null` if transfers in flight
 * held the barrier past the timeout (try again later).
 *
 * How: every transfer takes the register barrier in shared mode before drawing its serial
 * (trigger in migration 0001) and holds it until it ends; shared holders never wait for
 * each other. Taking it exclusively waits for the transfers in flight to end; the
 * sequence's last value, read then, bounds every serial drawn so far.
 * @example const h = await registerHighWater(db); if (h !== null) await sealUpTo(h);
 */
export async function registerHighWater(db: Database, options: HighWaterOptions = {}): Promise<bigint | null> {
  const timeoutMs = options.timeoutMs ?? 200;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new RangeError('timeoutMs must be a positive integer.');
  try {
    return await db.transaction(async (tx) => {
      await tx.query(`SELECT set_config('lock_timeout', $1, true)`, [`${timeoutMs}ms`]);
      await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, LOCKS.registerBarrier]);
      const { rows } = await tx.query<{ last_value: bigint; is_called: boolean }>(
        'SELECT last_value, is_called FROM ledger_register_serial',
      );
      const row = rows[0];
      if (row === undefined) throw new Error('ledger: the register sequence returned no row');
      return row.is_called ? row.last_value : row.last_value - 1n;
    });
  } catch (error) {
    if (sqlState(error) === '55P03') return null; // lock_not_available: lock_timeout expired
    throw error;
  }
}

/**
 * Draws a serial from the register without a transfer, for vouchers that move no money
 * (authentication). It never comes back, even if the caller's transaction rolls back.
 */
export async function nextRegisterSerial(db: Queryable): Promise<bigint> {
  const { rows } = await db.query<{ serial: bigint }>(`SELECT nextval('ledger_register_serial') AS serial`);
  const serial = rows[0]?.serial;
  if (serial === undefined) throw new Error('ledger: nextval returned no row');
  return serial;
}
