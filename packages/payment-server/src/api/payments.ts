import type { ApiPayment, PaymentPage } from '@caisse/protocol';
import { ProblemError } from '../http/problem.js';
import type { Queryable } from '../storage/database.js';
import type { PaymentListQuery } from './params.js';

export type { ApiPayment, PaymentPage };

export interface PaymentQueries {
  /** The merchant's payment with this serial, or undefined — also when it is another merchant's. */
  get(merchantId: string, serial: bigint): Promise<ApiPayment | undefined>;
  /**
   * The merchant's payments created in [from, to), oldest first (then by serial), one page
   * at a time, by keyset: `after` is the last serial of the previous page.
   * @throws ProblemError `request_invalid` (`after`) when `after` is not one of this merchant's payments
   */
  list(merchantId: string, query: PaymentListQuery): Promise<PaymentPage>;
}

interface PaymentRow {
  serial: bigint;
  ticket_jti: string;
  ticket_sha256: string;
  order_serial: string;
  amount: bigint;
  vat: bigint;
  currency: string;
  funding: ApiPayment['funding'];
  status: ApiPayment['status'];
  voucher: string;
  created_at: Date;
}

const COLUMNS = 'serial, ticket_jti, ticket_sha256, order_serial, amount, vat, currency, funding, status, voucher, created_at';

/** Amounts are bounded by the protocol (10^12 minor units), far inside a double's exact integers. */
function minorUnits(value: bigint): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new Error('An amount outside the safe integer range reached the API.');
  return number;
}

export function toApiPayment(row: PaymentRow): ApiPayment {
  return {
    serial: row.serial.toString(),
    ticket: { jti: row.ticket_jti, sha256: row.ticket_sha256 },
    orderSerial: row.order_serial,
    amount: minorUnits(row.amount),
    vat: minorUnits(row.vat),
    currency: row.currency,
    funding: row.funding,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    voucher: row.voucher,
  };
}

/**
 * Reads of the `payments` table for the merchant API, always scoped to one merchant.
 * Listing uses the existing `(merchant_id, created_at)` index; ties on `created_at` are
 * ordered by serial.
 * @example const page = await createPaymentQueries(db).list('bookshop', { from, to, limit: 100 })
 */
export function createPaymentQueries(db: Queryable): PaymentQueries {
  return {
    async get(merchantId, serial) {
      const { rows } = await db.query<PaymentRow>(`SELECT ${COLUMNS} FROM payments WHERE serial = $1 AND merchant_id = $2`, [
        serial,
        merchantId,
      ]);
      const row = rows[0];
      return row === undefined ? undefined : toApiPayment(row);
    },

    async list(merchantId, query) {
      if (query.after !== undefined) {
        const { rows } = await db.query('SELECT 1 FROM payments WHERE serial = $1 AND merchant_id = $2', [query.after, merchantId]);
        if (rows.length === 0) {
          const message = 'must be the serial of one of your payments (the nextAfter of the previous page)';
          throw new ProblemError('request_invalid', `after: ${message}.`, { issues: [{ path: 'after', message }] });
        }
      }
      // The cursor row's created_at is read in SQL, at full precision.
      const { rows } = await db.query<PaymentRow>(
        `SELECT ${COLUMNS} FROM payments
         WHERE merchant_id = $1 AND created_at >= $2 AND created_at < $3
           AND ($4::int8 IS NULL OR (created_at, serial) > (SELECT created_at, serial FROM payments WHERE serial = $4 AND merchant_id = $1))
         ORDER BY created_at, serial
         LIMIT $5`,
        [merchantId, query.from, query.to, query.after ?? null, query.limit + 1],
      );
      const page = rows.slice(0, query.limit).map(toApiPayment);
      const last = page.at(-1);
      return { payments: page, nextAfter: rows.length > query.limit && last !== undefined ? last.serial : null };
    },
  };
}
