import { paymentId } from '@caisse/protocol';
import { accountPaymentSerial } from '../account/payment-detail.js';
import type { AccountType } from '../ledger/model.js';
import { paymentLedgerKey, pointsHoldLedgerKey } from '../ledger/postings.js';
import { NOTIFICATION_COLUMNS, type NotificationRow, type OutboxNotification, toNotification } from '../notifications/model.js';
import type { PaymentRecord } from '../payments/record.js';
import type { SettlementStatus } from '../settlement/model.js';
import type { Queryable } from '../storage/database.js';

/**
 * What the console reads that no service reads for it: payments across merchants, their
 * ledger postings and notifications, held payments, wallet balances, the day's
 * settlements with their acquirer. Reads only; every write goes through its domain's service.
 */

/** A payment as the console lists it. */
export interface ConsolePayment {
  readonly serial: bigint;
  /** `pay_1042`. */
  readonly id: string;
  readonly merchantId: string;
  /** The merchant's display name (its id if the merchant row is gone). */
  readonly merchantName: string;
  /** The merchant's own order reference: the ticket's `serial`. */
  readonly orderSerial: string;
  readonly ticketJti: string;
  readonly customerId: string;
  readonly amount: bigint;
  readonly points: bigint;
  /** What succeeded refunds gave back of it. */
  readonly refunded: bigint;
  readonly currency: string;
  readonly funding: PaymentRecord['funding'];
  readonly status: PaymentRecord['status'];
  /** The acquirer of a bank payment. */
  readonly acquirer: string | null;
  readonly createdAt: Date;
}

interface PaymentRow {
  serial: bigint;
  merchant_id: string;
  display_name: string | null;
  order_serial: string;
  ticket_jti: string;
  customer_id: string;
  amount: bigint;
  points: bigint;
  refunded: bigint;
  currency: string;
  funding: PaymentRecord['funding'];
  status: PaymentRecord['status'];
  acquirer: string | null;
  created_at: Date;
}

const PAYMENT_SELECT = `SELECT p.serial, p.merchant_id, m.display_name, p.order_serial, p.ticket_jti, p.customer_id, p.amount, p.points,
       coalesce((SELECT sum(r.amount) FROM refunds r WHERE r.payment_serial = p.serial AND r.status = 'succeeded'), 0)::int8 AS refunded,
       p.currency, p.funding, p.status, p.acquirer, p.created_at
  FROM payments p LEFT JOIN merchants m ON m.id = p.merchant_id`;

function toPayment(row: PaymentRow): ConsolePayment {
  const serial = BigInt(row.serial);
  return {
    serial,
    id: paymentId(serial),
    merchantId: row.merchant_id,
    merchantName: row.display_name ?? row.merchant_id,
    orderSerial: row.order_serial,
    ticketJti: row.ticket_jti,
    customerId: row.customer_id,
    amount: BigInt(row.amount),
    points: BigInt(row.points),
    refunded: BigInt(row.refunded),
    currency: row.currency,
    funding: row.funding,
    status: row.status,
    acquirer: row.acquirer,
    createdAt: row.created_at,
  };
}

/** Most payments one search lists. */
export const SEARCH_LIMIT = 50;

/**
 * Payments by any of their ids: the payment id (`pay_1042`, or `1042`), the ticket's `jti`,
 * or the merchant's order reference, across merchants (an order reference is the
 * merchant's own: several merchants may use the same one). Newest first.
 * @example const found = await findPayments(db, 'order-42')
 */
export async function findPayments(db: Queryable, query: string): Promise<ConsolePayment[]> {
  const text = query.trim();
  if (text === '' || text.length > 255) return [];
  const serial = accountPaymentSerial(text) ?? null;
  const { rows } = await db.query<PaymentRow>(
    `${PAYMENT_SELECT} WHERE p.serial = $1 OR p.ticket_jti = $2 OR p.order_serial = $2 ORDER BY p.created_at DESC, p.serial DESC LIMIT $3`,
    [serial, text, SEARCH_LIMIT],
  );
  return rows.map(toPayment);
}

/** @example const payment = await consolePayment(db, 1042n) */
export async function consolePayment(db: Queryable, serial: bigint): Promise<ConsolePayment | undefined> {
  const { rows } = await db.query<PaymentRow>(`${PAYMENT_SELECT} WHERE p.serial = $1`, [serial]);
  return rows[0] === undefined ? undefined : toPayment(rows[0]);
}

/** Payments held in escrow (deferred delivery), oldest first: what the finance role releases or voids. */
export async function heldPayments(db: Queryable, limit = 200): Promise<ConsolePayment[]> {
  const { rows } = await db.query<PaymentRow>(`${PAYMENT_SELECT} WHERE p.status = 'held' ORDER BY p.created_at, p.serial LIMIT $1`, [
    limit,
  ]);
  return rows.map(toPayment);
}

/** One line of a ledger transfer: the account it moved (its type and owner) and the signed amount. */
export interface PostingLine {
  readonly accountType: AccountType;
  readonly owner: string;
  readonly currency: string;
  readonly amount: bigint;
}

/** One ledger transfer of a payment. */
export interface Posting {
  readonly serial: bigint;
  readonly at: Date;
  /** The ledger key it was booked under (`ticket:…`, `refund:…`, `points_hold:…`). */
  readonly key: string;
  readonly lines: readonly PostingLine[];
}

/**
 * The ledger transfers a payment made: the payment itself (or the posting of its hold,
 * once escrow released it), its loyalty points, and its refunds. Register order.
 */
export async function paymentPostings(
  db: Queryable,
  payment: Pick<ConsolePayment, 'serial' | 'merchantId' | 'ticketJti'>,
): Promise<Posting[]> {
  const keys = [paymentLedgerKey(payment.merchantId, payment.ticketJti), pointsHoldLedgerKey(payment.merchantId, payment.ticketJti)];
  const { rows } = await db.query<{
    serial: bigint;
    created_at: Date;
    key: string;
    type: AccountType;
    owner_id: string;
    currency: string;
    amount: bigint;
  }>(
    `WITH serials AS (
       SELECT t.serial FROM ledger_transfers t WHERE t.idempotency_key = ANY($1::text[])
       UNION SELECT t.serial FROM ledger_pending h JOIN ledger_transfers t ON t.pending_id = h.id WHERE h.idempotency_key = ANY($1::text[])
       UNION SELECT r.transfer_serial FROM refunds r WHERE r.payment_serial = $2 AND r.transfer_serial IS NOT NULL
     )
     SELECT t.serial, t.created_at, coalesce(t.idempotency_key, h.idempotency_key) AS key, a.type, a.owner_id, e.currency, e.amount
       FROM serials s
       JOIN ledger_transfers t ON t.serial = s.serial
       LEFT JOIN ledger_pending h ON h.id = t.pending_id
       JOIN ledger_entries e ON e.serial = t.serial
       JOIN ledger_accounts a ON a.id = e.account_id
      ORDER BY t.serial, e.amount, a.type`,
    [keys, payment.serial],
  );
  const postings = new Map<bigint, { serial: bigint; at: Date; key: string; lines: PostingLine[] }>();
  for (const row of rows) {
    const serial = BigInt(row.serial);
    let posting = postings.get(serial);
    if (posting === undefined) {
      posting = { serial, at: row.created_at, key: row.key, lines: [] };
      postings.set(serial, posting);
    }
    posting.lines.push({ accountType: row.type, owner: row.owner_id, currency: row.currency, amount: BigInt(row.amount) });
  }
  return [...postings.values()];
}

/** The notifications sent to the merchant about this payment (paid, refunded, released…), oldest first. */
export async function paymentNotifications(
  db: Queryable,
  payment: Pick<ConsolePayment, 'id' | 'merchantId'>,
): Promise<OutboxNotification[]> {
  const { rows } = await db.query<NotificationRow>(
    `SELECT ${NOTIFICATION_COLUMNS} FROM notifications
      WHERE merchant_id = $1 AND payload->'payment'->>'id' = $2
      ORDER BY created_at, id LIMIT 100`,
    [payment.merchantId, payment.id],
  );
  return rows.map(toNotification);
}

/** A customer's wallet in one currency. */
export interface WalletBalance {
  readonly currency: string;
  readonly balance: bigint;
  /** Held by pending transfers (escrow, allowances, bank legs in flight). */
  readonly reserved: bigint;
  readonly cap: bigint | null;
}

/** @example const wallets = await walletBalances(db, 'alice') */
export async function walletBalances(db: Queryable, customerId: string): Promise<WalletBalance[]> {
  const { rows } = await db.query<{ currency: string; balance: bigint; pending_debits: bigint; cap: bigint | null }>(
    `SELECT a.currency, b.balance, b.pending_debits, b.cap FROM ledger_accounts a JOIN ledger_balances b ON b.account_id = a.id
      WHERE a.type = 'customer_wallet' AND a.owner_id = $1 ORDER BY a.currency`,
    [customerId],
  );
  return rows.map((row) => ({
    currency: row.currency,
    balance: BigInt(row.balance),
    reserved: BigInt(row.pending_debits),
    cap: row.cap === null ? null : BigInt(row.cap),
  }));
}

/** One merchant till's settlement of one day, with the acquirer its payout went through. */
export interface DaySettlement {
  readonly id: string;
  readonly merchantId: string;
  readonly currency: string;
  readonly amount: bigint;
  readonly status: SettlementStatus;
  /** The acquirer of the payout; null when nothing was paid out (`none`), or before it was routed. */
  readonly acquirer: string | null;
}

/** The settlements of day `date` (`YYYY-MM-DD`) for every merchant, by acquirer then merchant. */
export async function daySettlements(db: Queryable, date: string): Promise<DaySettlement[]> {
  const { rows } = await db.query<{
    id: string;
    merchant_id: string;
    currency: string;
    amount: bigint;
    status: SettlementStatus;
    acquirer: string | null;
  }>(
    `SELECT s.id, s.merchant_id, s.currency, s.amount, s.status, o.acquirer
       FROM settlements s LEFT JOIN acquirer_operations o ON o.idempotency_key = s.payout_key
      WHERE s.date = $1::date ORDER BY o.acquirer NULLS LAST, s.merchant_id, s.currency`,
    [date],
  );
  return rows.map((row) => ({
    id: row.id,
    merchantId: row.merchant_id,
    currency: row.currency,
    amount: BigInt(row.amount),
    status: row.status,
    acquirer: row.acquirer,
  }));
}
