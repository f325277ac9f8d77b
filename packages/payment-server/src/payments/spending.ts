import type { SpendingReader } from '../customers/ceilings.js';
import type { Queryable } from '../storage/database.js';

/** What a customer paid since an instant, for the ceilings: authorised, held and released payments (a voided one gave the money back). */
export function paymentsSpending(db: Queryable): SpendingReader {
  return {
    async spentSince(customerId, currency, since) {
      const { rows } = await db.query<{ spent: bigint | string | null }>(
        `SELECT coalesce(sum(amount), 0)::bigint AS spent FROM payments
          WHERE customer_id = $1 AND currency = $2 AND created_at >= $3 AND status IN ('authorised', 'held', 'released')`,
        [customerId, currency, since],
      );
      return BigInt(rows[0]?.spent ?? 0);
    },
  };
}
