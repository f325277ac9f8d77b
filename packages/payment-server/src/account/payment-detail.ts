import { paymentId, paymentSerial } from '@caisse/protocol';
import type { PaymentRecord } from '../payments/record.js';
import type { Queryable } from '../storage/database.js';

/** One refund of a payment, as its customer sees it. */
export interface CustomerRefund {
  readonly amount: bigint;
  readonly status: 'pending' | 'succeeded' | 'declined';
  /** When it succeeded or was declined; when it was asked, while pending. */
  readonly at: Date;
}

/** One line of the ticket the customer paid, when the ticket is still stored. */
export interface CustomerItem {
  readonly label: string;
  readonly quantity: number;
  /** Minor units. */
  readonly unitAmount: number;
}

/** A payment of the signed-in customer, for the account page's payment detail. */
export interface CustomerPaymentDetail {
  /** `pay_1042`. */
  readonly id: string;
  readonly merchantId: string;
  /** The merchant's display name (its id when the merchant is gone). */
  readonly merchantName: string;
  readonly orderSerial: string;
  readonly amount: bigint;
  /** Of `amount`, what loyalty points paid. */
  readonly points: bigint;
  readonly currency: string;
  readonly funding: PaymentRecord['funding'];
  readonly status: PaymentRecord['status'];
  readonly createdAt: Date;
  readonly items: readonly CustomerItem[];
  /** Oldest first. */
  readonly refunds: readonly CustomerRefund[];
  /** The voucher signed at payment (compact JWS): the bytes the merchant received. */
  readonly voucher: string;
}

/**
 * The register serial a path segment names: a payment id (`pay_1042`, as receipts and the
 * history link write it) or the bare serial (`1042`); undefined for anything else.
 * @example accountPaymentSerial('pay_1042') // 1042n
 */
export function accountPaymentSerial(segment: string): bigint | undefined {
  return /^[1-9][0-9]{0,18}$/.test(segment) ? paymentSerial(`pay_${segment}`) : paymentSerial(segment);
}

interface DetailRow {
  serial: bigint | string;
  merchant_id: string;
  display_name: string | null;
  order_serial: string;
  amount: bigint | string;
  points: bigint | string;
  currency: string;
  funding: PaymentRecord['funding'];
  status: PaymentRecord['status'];
  created_at: Date;
  voucher: string;
  items: unknown;
}

/** Only what the page shows, from a ticket the payment server verified when it took it. */
function itemsOf(stored: unknown): CustomerItem[] {
  if (!Array.isArray(stored)) return [];
  return stored.flatMap((item: { label?: unknown; quantity?: unknown; unitAmount?: unknown }) =>
    typeof item?.label === 'string' && typeof item.quantity === 'number' && typeof item.unitAmount === 'number'
      ? [{ label: item.label, quantity: item.quantity, unitAmount: item.unitAmount }]
      : [],
  );
}

/**
 * The customer's own payment with this serial, or undefined — also when it is another
 * customer's, so the page cannot tell the two apart. Reads only.
 * @example const detail = await customerPaymentDetail(db, 'alice', 1042n)
 */
export async function customerPaymentDetail(db: Queryable, customerId: string, serial: bigint): Promise<CustomerPaymentDetail | undefined> {
  const { rows } = await db.query<DetailRow>(
    `SELECT p.serial, p.merchant_id, m.display_name, p.order_serial, p.amount, p.points, p.currency, p.funding, p.status,
            p.created_at, p.voucher, t.claims->'items' AS items
       FROM payments p
       LEFT JOIN merchants m ON m.id = p.merchant_id
       LEFT JOIN tickets t ON t.merchant_id = p.merchant_id AND t.jti = p.ticket_jti
      WHERE p.serial = $1 AND p.customer_id = $2`,
    [serial, customerId],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const refunds = await db.query<{ amount: bigint | string; status: CustomerRefund['status']; at: Date }>(
    `SELECT amount, status, coalesce(resolved_at, created_at) AS at FROM refunds WHERE payment_serial = $1 ORDER BY created_at, id`,
    [serial],
  );
  return {
    id: paymentId(BigInt(row.serial)),
    merchantId: row.merchant_id,
    merchantName: row.display_name ?? row.merchant_id,
    orderSerial: row.order_serial,
    amount: BigInt(row.amount),
    points: BigInt(row.points),
    currency: row.currency,
    funding: row.funding,
    status: row.status,
    createdAt: row.created_at,
    items: itemsOf(row.items),
    refunds: refunds.rows.map((refund) => ({ amount: BigInt(refund.amount), status: refund.status, at: refund.at })),
    voucher: row.voucher,
  };
}
