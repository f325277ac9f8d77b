import type { OperationKind } from '@caisse/acquirer';
import type { Queryable } from '../storage/database.js';

/** What one acquirer did, approved, in one currency and kind of operation: what its statement must show. */
export interface AcquirerTotal {
  readonly acquirer: string;
  readonly currency: string;
  readonly kind: OperationKind;
  readonly count: number;
  /** Minor units. */
  readonly amount: number;
}

/**
 * The approved operations of each acquirer, resolved in `[from, to)`, summed: the figures
 * an operator reconciles with each bank's statement, to the cent. Declined and pending
 * operations moved nothing and are left out (pending ones are listed by `listPending`).
 * @example await acquirerTotals(db, { from: new Date('2026-12-06'), to: new Date('2026-12-07') })
 */
export async function acquirerTotals(db: Queryable, period: { from?: Date; to?: Date } = {}): Promise<AcquirerTotal[]> {
  const { rows } = await db.query<{ acquirer: string; currency: string; kind: OperationKind; count: bigint; amount: bigint }>(
    `SELECT acquirer, currency, kind, count(*)::int8 AS count, sum(amount)::int8 AS amount FROM acquirer_operations
      WHERE status = 'approved' AND ($1::timestamptz IS NULL OR resolved_at >= $1) AND ($2::timestamptz IS NULL OR resolved_at < $2)
      GROUP BY acquirer, currency, kind ORDER BY acquirer, currency, kind`,
    [period.from ?? null, period.to ?? null],
  );
  return rows.map((row) => ({ ...row, count: Number(row.count), amount: Number(row.amount) }));
}
