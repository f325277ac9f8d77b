import type { ApiPayment, NotificationClaims } from '@caisse/protocol';
import type { Queryable } from '../storage/database.js';

/** A payment row as the after-payment services (escrow, refunds) read it. */
export interface PaymentRecord {
  serial: bigint;
  merchantId: string;
  ticketJti: string;
  ticketSha256: string;
  orderSerial: string;
  customerId: string;
  amount: bigint;
  currency: string;
  funding: ApiPayment['funding'];
  status: ApiPayment['status'];
  createdAt: Date;
  /** The ticket's `notifyUrl`, when it had one: later events of the payment go there too. */
  notifyUrl: string | undefined;
}

interface Row {
  serial: bigint;
  merchant_id: string;
  ticket_jti: string;
  ticket_sha256: string;
  order_serial: string;
  customer_id: string;
  amount: bigint;
  currency: string;
  funding: PaymentRecord['funding'];
  status: PaymentRecord['status'];
  created_at: Date;
  notify_url: string | null;
}

/**
 * One merchant's payment, locked `FOR UPDATE` when `lock` (inside the transaction that
 * changes it): escrow resolutions and refunds of one payment queue on this row, so each
 * sees the other's outcome. Another merchant's payment is undefined, as a missing one.
 * @example const payment = await loadPayment(tx, merchantId, serial, { lock: true })
 */
export async function loadPayment(
  db: Queryable,
  merchantId: string,
  serial: bigint,
  options: { lock?: boolean } = {},
): Promise<PaymentRecord | undefined> {
  const { rows } = await db.query<Row>(
    `SELECT p.serial, p.merchant_id, p.ticket_jti, p.ticket_sha256, p.order_serial, p.customer_id, p.amount, p.currency,
            p.funding, p.status, p.created_at, t.claims->>'notifyUrl' AS notify_url
       FROM payments p LEFT JOIN tickets t ON t.merchant_id = p.merchant_id AND t.jti = p.ticket_jti
      WHERE p.serial = $1 AND p.merchant_id = $2${options.lock ? ' FOR UPDATE OF p' : ''}`,
    [serial, merchantId],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    serial: BigInt(row.serial),
    merchantId: row.merchant_id,
    ticketJti: row.ticket_jti,
    ticketSha256: row.ticket_sha256,
    orderSerial: row.order_serial,
    customerId: row.customer_id,
    amount: BigInt(row.amount),
    currency: row.currency,
    funding: row.funding,
    status: row.status,
    createdAt: row.created_at,
    notifyUrl: row.notify_url ?? undefined,
  };
}

/** The ledger key the payment's money moved (or was held) under, as `payments/authorise.ts` books it. */
export function paymentLedgerKey(payment: Pick<PaymentRecord, 'merchantId' | 'ticketJti'>): string {
  return `ticket:${payment.merchantId}:${payment.ticketJti}`;
}

/** The acquirer key of a bank payment's authorisation, as `payments/authorise.ts` sends it. */
export function paymentAuthorisationKey(payment: Pick<PaymentRecord, 'merchantId' | 'ticketJti'>): string {
  return `acq:authorise:${payment.merchantId}:${payment.ticketJti}`;
}

/** The `payment` body of a notification about this payment, with its status now. */
export function paymentBody(
  payment: PaymentRecord,
  status: PaymentRecord['status'],
): Extract<NotificationClaims, { payment: unknown }>['payment'] {
  return {
    id: payment.serial.toString(),
    ticket: { jti: payment.ticketJti, sha256: payment.ticketSha256 },
    serial: payment.orderSerial,
    amount: Number(payment.amount),
    currency: payment.currency,
    status,
    ...(payment.funding === null ? {} : { funding: payment.funding }),
  };
}
