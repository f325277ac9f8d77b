import type { ApiPayment, PaymentPage } from '@caisse/protocol';
import { ProblemError } from '../http/problem.js';
import { isMerchantPayment, merchantPayment, merchantPayments, merchantPaymentsOfOrder } from '../payments/repository.js';
import type { Queryable } from '../storage/database.js';
import type { PaymentListQuery } from './params.js';

export type { ApiPayment, PaymentPage };

export interface PaymentQueries {
  /** The merchant's payment with this register serial, or undefined — also when it is another merchant's. */
  get(merchantId: string, serial: bigint): Promise<ApiPayment | undefined>;
  /**
   * The merchant's one payment of this order serial (the ticket's `serial`).
   * @throws ProblemError `payment_unknown` when it has none, `payment_ambiguous` (with the ids) when it has several
   */
  bySerial(merchantId: string, orderSerial: string): Promise<ApiPayment>;
  /**
   * The merchant's payments created in [from, to), oldest first (then by serial), one page
   * at a time, by keyset: `after` is the last serial of the previous page.
   * @throws ProblemError `request_invalid` (`after`) when `after` is not one of this merchant's payments
   */
  list(merchantId: string, query: PaymentListQuery): Promise<PaymentPage>;
}

/**
 * The merchant API's reads of payments, always scoped to one merchant (the SQL is in
 * `payments/repository.ts`). A page reads one payment more than it shows, to know whether
 * another page follows.
 * @example const page = await createPaymentQueries(db).list('bookshop', { from, to, limit: 100 })
 */
export function createPaymentQueries(db: Queryable): PaymentQueries {
  return {
    get: (merchantId, serial) => merchantPayment(db, merchantId, serial),

    async bySerial(merchantId, orderSerial) {
      const found = await merchantPaymentsOfOrder(db, merchantId, orderSerial);
      const [only, ...others] = found;
      if (only === undefined)
        throw new ProblemError('payment_unknown', `No payment of yours has the order serial ${JSON.stringify(orderSerial)}.`);
      if (others.length > 0) {
        const ids = found.map((payment) => payment.id);
        throw new ProblemError(
          'payment_ambiguous',
          `${found.length} of your payments have the order serial ${JSON.stringify(orderSerial)} (${ids.join(', ')}): name the one you mean by its id.`,
          { extensions: { payments: ids } },
        );
      }
      return only;
    },

    async list(merchantId, query) {
      if (query.after !== undefined && !(await isMerchantPayment(db, merchantId, query.after))) {
        const message = 'must be the id of one of your payments (the nextAfter of the previous page)';
        throw new ProblemError('request_invalid', `after: ${message}.`, { issues: [{ path: 'after', message }] });
      }
      const payments = await merchantPayments(db, merchantId, {
        from: query.from,
        to: query.to,
        after: query.after,
        limit: query.limit + 1,
      });
      const page = payments.slice(0, query.limit);
      const last = page.at(-1);
      return { payments: page, nextAfter: payments.length > query.limit && last !== undefined ? last.id : null };
    },
  };
}
