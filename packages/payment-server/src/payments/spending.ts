import type { SpendingReader } from '../customers/ceilings.js';
import type { MeansSpendingReader } from '../customers/overview.js';
import type { Queryable } from '../storage/database.js';
import { spentSince, spentSinceByFunding } from './repository.js';

/** The payments' totals as the customers' ceilings and overview read them (see `spentSince`, `spentSinceByFunding`). */
export function paymentsSpending(db: Queryable): SpendingReader & MeansSpendingReader {
  return {
    spentSince: (customerId, currency, since, executor = db) => spentSince(executor, customerId, currency, since),
    spentSinceByFunding: (customerId, currency, since, executor = db) => spentSinceByFunding(executor, customerId, currency, since),
  };
}
