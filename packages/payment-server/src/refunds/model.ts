import type { Refund } from '@caisse/protocol';
import { paymentId } from '@caisse/protocol';

export type { Refund };

export interface RefundRow {
  id: string;
  merchant_id: string;
  payment_serial: bigint;
  request_key: string;
  amount: bigint;
  /** Of `amount`, what goes back to the customer's loyalty account (refunds/service.ts: money first, then points). */
  points: bigint;
  currency: string;
  reason: string | null;
  funding: Refund['funding'];
  status: Refund['status'];
  transfer_serial: bigint | null;
  created_at: Date;
  resolved_at: Date | null;
}

export const REFUND_COLUMNS =
  'id, merchant_id, payment_serial, request_key, amount, points, currency, reason, funding, status, transfer_serial, created_at, resolved_at';

export function toRefund(row: RefundRow): Refund {
  return {
    id: row.id,
    payment: paymentId(row.payment_serial),
    amount: Number(row.amount),
    currency: row.currency,
    reason: row.reason,
    funding: row.funding,
    status: row.status,
    transfer: row.transfer_serial === null ? null : row.transfer_serial.toString(),
    createdAt: row.created_at.toISOString(),
    resolvedAt: row.resolved_at === null ? null : row.resolved_at.toISOString(),
  };
}
