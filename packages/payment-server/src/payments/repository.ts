import type { ApiPayment } from '@caisse/protocol';
import { paymentId } from '@caisse/protocol';
import type { CheckoutSession } from '../checkout/sessions.js';
import { preparedStatement, type Queryable, type Transaction } from '../storage/database.js';
import type { PaymentRecord } from './record.js';

/**
 * Every statement on the `payments` table: one row per paid ticket, written once by
 * `authorise.ts` with its voucher, then only its status (escrow) and `captured_at`
 * (captures) change. Each function runs on the executor it is given, so it joins the
 * caller's transaction.
 */

/** A payment as `authorise.ts` records it. */
export interface NewPayment {
  serial: bigint;
  merchantId: string;
  ticketJti: string;
  ticketSha256: string;
  orderSerial: string;
  customerId: string;
  amount: number;
  /** Of `amount`, what the customer paid with loyalty points (0n: none). */
  points: bigint;
  vat: number;
  currency: string;
  funding: PaymentRecord['funding'];
  status: PaymentRecord['status'];
  /** The named acquirer that took a bank payment; null for the other means. */
  acquirer: string | null;
  /** The voucher signed at payment: every later answer about this ticket carries these bytes. */
  voucher: string;
  createdAt: Date;
  /** A charge under a session allowance: the allowance and the period it counts in. */
  allowance?: { id: string; periodNo: number };
}

/** Prepared once per connection: every payment, and every allowance charge, runs it. */
const INSERT_PAYMENT =
  preparedStatement(`INSERT INTO payments (serial, merchant_id, ticket_jti, ticket_sha256, order_serial, customer_id, amount, vat, currency, funding, status, voucher,
                           created_at, acquirer, points, allowance_id, allowance_period)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`);

/**
 * @example await insertPayment(tx, { serial, merchantId, ticketJti, …, voucher: voucher.token, createdAt: now() })
 */
export async function insertPayment(tx: Transaction, payment: NewPayment): Promise<void> {
  await tx.query(INSERT_PAYMENT, [
    payment.serial,
    payment.merchantId,
    payment.ticketJti,
    payment.ticketSha256,
    payment.orderSerial,
    payment.customerId,
    payment.amount,
    payment.vat,
    payment.currency,
    payment.funding,
    payment.status,
    payment.voucher,
    payment.createdAt,
    payment.acquirer,
    payment.points,
    payment.allowance?.id ?? null,
    payment.allowance?.periodNo ?? null,
  ]);
}

interface RecordRow {
  serial: bigint;
  merchant_id: string;
  ticket_jti: string;
  ticket_sha256: string;
  order_serial: string;
  customer_id: string;
  amount: bigint;
  points: bigint;
  currency: string;
  funding: PaymentRecord['funding'];
  status: PaymentRecord['status'];
  created_at: Date;
  notify_url: string | null;
}

function toRecord(row: RecordRow): PaymentRecord {
  return {
    serial: BigInt(row.serial),
    merchantId: row.merchant_id,
    ticketJti: row.ticket_jti,
    ticketSha256: row.ticket_sha256,
    orderSerial: row.order_serial,
    customerId: row.customer_id,
    amount: BigInt(row.amount),
    points: BigInt(row.points),
    currency: row.currency,
    funding: row.funding,
    status: row.status,
    createdAt: row.created_at,
    notifyUrl: row.notify_url ?? undefined,
  };
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
  const { rows } = await db.query<RecordRow>(
    `SELECT p.serial, p.merchant_id, p.ticket_jti, p.ticket_sha256, p.order_serial, p.customer_id, p.amount, p.points, p.currency,
            p.funding, p.status, p.created_at, t.claims->>'notifyUrl' AS notify_url
       FROM payments p LEFT JOIN tickets t ON t.merchant_id = p.merchant_id AND t.jti = p.ticket_jti
      WHERE p.serial = $1 AND p.merchant_id = $2${options.lock ? ' FOR UPDATE OF p' : ''}`,
    [serial, merchantId],
  );
  return rows[0] === undefined ? undefined : toRecord(rows[0]);
}

/**
 * The payment of a paid checkout session: its serial and the voucher signed at payment,
 * for the return URL, the merchant's poll and the bank path's answer: always these bytes,
 * never a fresh copy (see `checkoutRoutes`' return).
 * @throws Error when the paid session has no payment: a broken invariant, not bad input
 * @example const { voucher } = await storedVoucher(db, session)
 */
export async function storedVoucher(
  db: Queryable,
  session: Pick<CheckoutSession, 'id' | 'merchantId' | 'ticket'>,
): Promise<{ serial: bigint; voucher: string }> {
  // An allowance ticket's voucher is the grant's, kept with the allowance (allowances/grant.ts).
  const { rows } = await db.query<{ serial: bigint; voucher: string }>(
    `SELECT serial, voucher FROM payments WHERE merchant_id = $1 AND ticket_jti = $2
     UNION ALL SELECT serial, voucher FROM allowances WHERE merchant_id = $1 AND ticket_jti = $2`,
    [session.merchantId, session.ticket.claims.jti],
  );
  const stored = rows[0];
  if (!stored?.voucher) throw new Error(`Session ${session.id} is paid but has no payment.`);
  return { serial: BigInt(stored.serial), voucher: stored.voucher };
}

/**
 * Escrow's resolution of a held payment.
 * @example await setPaymentStatus(tx, payment.serial, 'released')
 */
export async function setPaymentStatus(tx: Transaction, serial: bigint, status: 'released' | 'voided'): Promise<void> {
  await tx.query('UPDATE payments SET status = $2 WHERE serial = $1', [serial, status]);
}

/**
 * The oldest payment still held that was made before `before`, locked `FOR UPDATE SKIP
 * LOCKED`: each instance sweeping at once takes another one.
 * @example const payment = await lockOldestHeld(tx, new Date(Date.now() - 14 * 86_400_000))
 */
export async function lockOldestHeld(tx: Transaction, before: Date): Promise<PaymentRecord | undefined> {
  const { rows } = await tx.query<{ serial: bigint; merchant_id: string }>(
    `SELECT serial, merchant_id FROM payments WHERE status = 'held' AND created_at < $1
      ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
    [before],
  );
  const row = rows[0];
  return row === undefined ? undefined : loadPayment(tx, row.merchant_id, BigInt(row.serial));
}

/** What a capture needs of a bank payment. */
export type CapturablePayment = Pick<PaymentRecord, 'serial' | 'merchantId' | 'ticketJti' | 'amount'>;

/**
 * Bank payments in `condition` that have no operation under `keyPrefix || merchant || ':'
 * || ticket jti` yet (`acquirer/keys.ts`), oldest first: what a sweep sends.
 */
async function bankPaymentsWithout(db: Queryable, condition: string, keyPrefix: string, limit: number): Promise<CapturablePayment[]> {
  const { rows } = await db.query<{ serial: bigint; merchant_id: string; ticket_jti: string; amount: bigint }>(
    `SELECT p.serial, p.merchant_id, p.ticket_jti, p.amount FROM payments p
      WHERE p.funding = 'bank' AND ${condition}
        AND NOT EXISTS (SELECT 1 FROM acquirer_operations o WHERE o.idempotency_key = $2::text || p.merchant_id || ':' || p.ticket_jti)
      ORDER BY p.created_at LIMIT $1`,
    [limit, keyPrefix],
  );
  return rows.map((row) => ({
    serial: BigInt(row.serial),
    merchantId: row.merchant_id,
    ticketJti: row.ticket_jti,
    amount: BigInt(row.amount),
  }));
}

/**
 * Bank payments whose money reached a merchant's till (paid at once, or released) and that
 * were never captured nor sent for capture, oldest first.
 * @example const due = await uncapturedBankPayments(db, BANK_CAPTURE_KEY_PREFIX, 100)
 */
export function uncapturedBankPayments(db: Queryable, captureKeyPrefix: string, limit: number): Promise<CapturablePayment[]> {
  return bankPaymentsWithout(db, `p.captured_at IS NULL AND p.status IN ('authorised', 'released')`, captureKeyPrefix, limit);
}

/**
 * The bank captured the payment; a second approval of the same capture changes nothing.
 * @example await markCaptured(tx, 'bookshop', 42n, now())
 */
export async function markCaptured(tx: Transaction, merchantId: string, serial: bigint, at: Date): Promise<void> {
  await tx.query('UPDATE payments SET captured_at = $3 WHERE merchant_id = $1 AND serial = $2 AND captured_at IS NULL', [
    merchantId,
    serial,
    at,
  ]);
}

/**
 * Bank payments voided in escrow whose authorisation the bank has not released yet and
 * was never asked to, oldest first.
 * @example const due = await unreversedBankPayments(db, BANK_VOID_KEY_PREFIX, 100)
 */
export function unreversedBankPayments(db: Queryable, voidKeyPrefix: string, limit: number): Promise<CapturablePayment[]> {
  return bankPaymentsWithout(db, `p.reversed_at IS NULL AND p.status = 'voided'`, voidKeyPrefix, limit);
}

/**
 * The bank released the payment's authorisation; a second approval changes nothing.
 * @example await markReversed(tx, 'bookshop', 42n, now())
 */
export async function markReversed(tx: Transaction, merchantId: string, serial: bigint, at: Date): Promise<void> {
  await tx.query('UPDATE payments SET reversed_at = $3 WHERE merchant_id = $1 AND serial = $2 AND reversed_at IS NULL', [
    merchantId,
    serial,
    at,
  ]);
}

/**
 * What each payment `p` got back from its merchant: the sum of its refunds that succeeded
 * (`r.refunded`, null when none), one probe of the `refunds_payment` index per payment.
 * Pending refunds have not given anything back yet, and declined ones never will. Read
 * only: `refunds/service.ts` writes that table.
 */
const SUCCEEDED_REFUNDS = `LEFT JOIN LATERAL (
       SELECT sum(amount) AS refunded FROM refunds WHERE payment_serial = p.serial AND status = 'succeeded'
     ) r ON true`;

/**
 * What a customer paid since an instant, for the ceilings: authorised, held and released
 * payments (a voided one gave the money back), each net of its succeeded refunds, so money
 * a merchant gave back leaves the day and month it was paid in. A refund counts against
 * its payment's period, not the refund's: a payment of yesterday refunded today frees
 * nothing of today's ceiling. Uses the `(customer_id, currency, created_at)` index.
 * @example const spent = await spentSince(tx, 'alice', 'EUR', startOfDay)
 */
export async function spentSince(db: Queryable, customerId: string, currency: string, since: Date): Promise<bigint> {
  const { rows } = await db.query<{ spent: bigint | string | null }>(
    `SELECT coalesce(sum(p.amount - coalesce(r.refunded, 0)), 0)::bigint AS spent FROM payments p
     ${SUCCEEDED_REFUNDS}
      WHERE p.customer_id = $1 AND p.currency = $2 AND p.created_at >= $3 AND p.status IN ('authorised', 'held', 'released')`,
    [customerId, currency, since],
  );
  return BigInt(rows[0]?.spent ?? 0);
}

/**
 * `spentSince` split by the means that paid (`funding`), for the customer's overview: the
 * same payments, net of the same refunds, so the parts add up to what the ceilings count.
 * A means that paid nothing in the period is absent.
 * @example const parts = await spentSinceByFunding(db, 'alice', 'EUR', startOfDay) // [{ funding: 'wallet', spent: 1250n }]
 */
export async function spentSinceByFunding(
  db: Queryable,
  customerId: string,
  currency: string,
  since: Date,
): Promise<{ funding: PaymentRecord['funding']; spent: bigint }[]> {
  const { rows } = await db.query<{ funding: PaymentRecord['funding']; spent: bigint | string }>(
    `SELECT p.funding, sum(p.amount - coalesce(r.refunded, 0))::bigint AS spent FROM payments p
     ${SUCCEEDED_REFUNDS}
      WHERE p.customer_id = $1 AND p.currency = $2 AND p.created_at >= $3 AND p.status IN ('authorised', 'held', 'released')
      GROUP BY p.funding`,
    [customerId, currency, since],
  );
  return rows.map((row) => ({ funding: row.funding, spent: BigInt(row.spent) }));
}

/** One payment in the customer's history. */
export interface CustomerPayment {
  /** The register serial: its detail page on the account page is `pay_` and it. */
  serial: bigint;
  createdAt: Date;
  merchantId: string;
  orderSerial: string;
  amount: bigint;
  /** What the merchant gave back of it: its succeeded refunds, 0 when none. */
  refunded: bigint;
  currency: string;
  status: PaymentRecord['status'];
}

/**
 * The customer's payments made in [since, until), newest first, at most 500, each with
 * what was refunded of it so far (whenever the refund was made).
 * @example const payments = await customerPayments(db, 'alice', since, until)
 */
export async function customerPayments(db: Queryable, customerId: string, since: Date, until: Date): Promise<CustomerPayment[]> {
  const { rows } = await db.query<{
    serial: bigint;
    created_at: Date;
    merchant_id: string;
    order_serial: string;
    amount: bigint;
    refunded: bigint;
    currency: string;
    status: PaymentRecord['status'];
  }>(
    `SELECT p.serial, p.created_at, p.merchant_id, p.order_serial, p.amount, coalesce(r.refunded, 0)::int8 AS refunded, p.currency, p.status
       FROM payments p
     ${SUCCEEDED_REFUNDS}
      WHERE p.customer_id = $1 AND p.created_at >= $2 AND p.created_at < $3 ORDER BY p.created_at DESC LIMIT 500`,
    [customerId, since, until],
  );
  return rows.map((row) => ({
    serial: BigInt(row.serial),
    createdAt: row.created_at,
    merchantId: row.merchant_id,
    orderSerial: row.order_serial,
    amount: BigInt(row.amount),
    refunded: BigInt(row.refunded),
    currency: row.currency,
    status: row.status,
  }));
}

interface ApiPaymentRow {
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

const API_COLUMNS = 'serial, ticket_jti, ticket_sha256, order_serial, amount, vat, currency, funding, status, voucher, created_at';

/** Amounts are bounded by the protocol (10^12 minor units), far inside a double's exact integers. */
function minorUnits(value: bigint): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new Error('An amount outside the safe integer range reached the API.');
  return number;
}

function toApiPayment(row: ApiPaymentRow): ApiPayment {
  return {
    id: paymentId(row.serial),
    ticket: { jti: row.ticket_jti, sha256: row.ticket_sha256 },
    serial: row.order_serial,
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
 * The merchant's payment with this serial as the merchant API shows it, or undefined — also
 * when it is another merchant's.
 * @example const payment = await merchantPayment(db, 'bookshop', 42n)
 */
export async function merchantPayment(db: Queryable, merchantId: string, serial: bigint): Promise<ApiPayment | undefined> {
  const { rows } = await db.query<ApiPaymentRow>(`SELECT ${API_COLUMNS} FROM payments WHERE serial = $1 AND merchant_id = $2`, [
    serial,
    merchantId,
  ]);
  return rows[0] === undefined ? undefined : toApiPayment(rows[0]);
}

/**
 * The merchant's payments of one order serial (the ticket's `serial`), oldest first: one,
 * none, or — when the merchant signed several tickets with the same serial and more than
 * one was paid — several. Uses the `(merchant_id, order_serial)` index.
 * @example const [payment, ...others] = await merchantPaymentsOfOrder(db, 'bookshop', 'order-42')
 */
export async function merchantPaymentsOfOrder(db: Queryable, merchantId: string, orderSerial: string): Promise<ApiPayment[]> {
  const { rows } = await db.query<ApiPaymentRow>(
    `SELECT ${API_COLUMNS} FROM payments WHERE merchant_id = $1 AND order_serial = $2 ORDER BY created_at, serial LIMIT 20`,
    [merchantId, orderSerial],
  );
  return rows.map(toApiPayment);
}

/**
 * Whether this serial is one of the merchant's payments.
 * @example if (!(await isMerchantPayment(db, 'bookshop', after))) throw …
 */
export async function isMerchantPayment(db: Queryable, merchantId: string, serial: bigint): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM payments WHERE serial = $1 AND merchant_id = $2', [serial, merchantId]);
  return rows.length > 0;
}

/**
 * The merchant's payments created in [from, to), oldest first (then by serial), at most
 * `limit`, after the payment `after` when given (keyset paging; its created_at is read in
 * SQL, at full precision). Uses the `(merchant_id, created_at)` index.
 * @example const payments = await merchantPayments(db, 'bookshop', { from, to, after: 41n, limit: 101 })
 */
export async function merchantPayments(
  db: Queryable,
  merchantId: string,
  range: { from: Date; to: Date; after: bigint | undefined; limit: number },
): Promise<ApiPayment[]> {
  const { rows } = await db.query<ApiPaymentRow>(
    `SELECT ${API_COLUMNS} FROM payments
     WHERE merchant_id = $1 AND created_at >= $2 AND created_at < $3
       AND ($4::int8 IS NULL OR (created_at, serial) > (SELECT created_at, serial FROM payments WHERE serial = $4 AND merchant_id = $1))
     ORDER BY created_at, serial
     LIMIT $5`,
    [merchantId, range.from, range.to, range.after ?? null, range.limit],
  );
  return rows.map(toApiPayment);
}
