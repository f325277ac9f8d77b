import type { SpendingReader } from '../customers/ceilings.js';
import type { Queryable } from '../storage/database.js';
import { spentSince } from './repository.js';

/** The payments' totals as the customers' ceilings read them (see `spentSince`). */
export function paymentsSpending(db: Queryable): SpendingReader {
  return { spentSince: (customerId, currency, since, executor = db) => spentSince(executor, customerId, currency, since) };
}
