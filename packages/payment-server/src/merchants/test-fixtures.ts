/** Test fixtures for the party services (merchants, customers, alerts). Not exported from the package. */
import { type ProblemCode, ProblemError } from '../http/problem.js';
import type { Queryable } from '../storage/database.js';

/** Rows in every table a party service writes, to show that refused input wrote nothing. */
export async function partyRows(db: Queryable): Promise<Record<string, number>> {
  const { rows } = await db.query<Record<string, number>>(
    `SELECT (SELECT count(*)::int FROM merchants) AS merchants,
            (SELECT count(*)::int FROM merchant_keys) AS merchant_keys,
            (SELECT count(*)::int FROM merchant_keys WHERE retired_at IS NOT NULL) AS retired_keys,
            (SELECT count(*)::int FROM merchants WHERE status = 'active') AS active_merchants,
            (SELECT count(*)::int FROM merchant_status_changes) AS merchant_status_changes,
            (SELECT count(*)::int FROM customers) AS customers,
            (SELECT count(*)::int FROM customer_limits) AS customer_limits,
            (SELECT count(*)::int FROM customer_attempts) AS customer_attempts,
            (SELECT coalesce(sum(failed), 0)::int FROM customer_attempts) AS failed_attempts,
            (SELECT count(*)::int FROM alerts) AS alerts,
            (SELECT count(*)::int FROM ledger_accounts) AS ledger_accounts,
            (SELECT count(*)::int FROM ledger_transfers) AS ledger_transfers`,
  );
  const row = rows[0];
  if (row === undefined) throw new Error('no row');
  return row;
}

/** Awaits a promise that must fail with a ProblemError of this code, and returns the error. */
export async function problem(promise: Promise<unknown>, code: ProblemCode): Promise<ProblemError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected ${code}, but it succeeded`);
    },
    (failure: unknown) => failure,
  );
  if (!(error instanceof ProblemError) || error.code !== code) throw new Error(`expected ${code}, got ${String(error)}`, { cause: error });
  return error;
}

/** Runs `change` and checks that it failed with `code` and left every party table as it was. */
export async function refusedWithoutChange(db: Queryable, code: ProblemCode, change: () => Promise<unknown>): Promise<ProblemError> {
  const before = await partyRows(db);
  const error = await problem(change(), code);
  const after = await partyRows(db);
  if (JSON.stringify(after) !== JSON.stringify(before)) {
    throw new Error(`refused with ${code} but changed rows: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
  }
  return error;
}
