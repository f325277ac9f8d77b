import type { Queryable } from '../storage/database.js';
import { DISPUTE_COLUMNS, DISPUTE_FROM, type DisputeRow, type DisputeState } from './model.js';

/** The most disputes one listing returns. */
export const DISPUTE_LIST_MAX = 100;

const ID = /^dp_[A-Za-z0-9_-]{22}$/;

/**
 * One dispute, seen by its merchant, its customer, or the operator (neither given): another
 * merchant's or customer's is undefined, exactly as one that does not exist. `lock` takes
 * the row `FOR UPDATE`: every change of a dispute queues on it.
 * @example const row = await disputeById(tx, id, { merchantId, lock: true })
 */
export async function disputeById(
  executor: Queryable,
  id: string,
  options: { merchantId?: string; customerId?: string; lock?: boolean } = {},
): Promise<DisputeRow | undefined> {
  if (!ID.test(id)) return undefined;
  const { rows } = await executor.query<DisputeRow>(
    `SELECT ${DISPUTE_COLUMNS} FROM ${DISPUTE_FROM}
      WHERE d.id = $1 AND ($2::text IS NULL OR d.merchant_id = $2) AND ($3::text IS NULL OR d.customer_id = $3)${options.lock ? ' FOR UPDATE OF d' : ''}`,
    [id, options.merchantId ?? null, options.customerId ?? null],
  );
  return rows[0];
}

/** The dispute of one of the customer's payments, if it was disputed. */
export async function disputeOfPayment(executor: Queryable, customerId: string, serial: bigint): Promise<DisputeRow | undefined> {
  const { rows } = await executor.query<DisputeRow>(
    `SELECT ${DISPUTE_COLUMNS} FROM ${DISPUTE_FROM} WHERE d.payment_serial = $1 AND d.customer_id = $2`,
    [serial, customerId],
  );
  return rows[0];
}

/** Disputes newest first, of one merchant, one customer, or all (the operator), in one state or all. */
export async function listDisputes(
  executor: Queryable,
  filter: { merchantId?: string; customerId?: string; state?: DisputeState; limit?: number },
): Promise<DisputeRow[]> {
  const { rows } = await executor.query<DisputeRow>(
    `SELECT ${DISPUTE_COLUMNS} FROM ${DISPUTE_FROM}
      WHERE ($1::text IS NULL OR d.merchant_id = $1) AND ($2::text IS NULL OR d.customer_id = $2) AND ($3::text IS NULL OR d.state = $3)
      ORDER BY d.opened_at DESC, d.id LIMIT $4`,
    [filter.merchantId ?? null, filter.customerId ?? null, filter.state ?? null, filter.limit ?? DISPUTE_LIST_MAX],
  );
  return rows;
}
