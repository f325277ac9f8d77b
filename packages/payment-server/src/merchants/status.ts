import { z } from 'zod';
import { type ProblemCode, ProblemError } from '../http/problem.js';

/**
 * The merchant lifecycle. A merchant is `pending` until the operator approves it,
 * `active` while it takes payments, `suspended` while the operator has stopped it. Only
 * an active merchant starts new money movement (tickets at `/pay` and the decoupled API,
 * allowance grants and charges, quotes); whatever follows a past payment (refunds,
 * escrow, settlement, disputes, notifications, reads) goes on whatever its status.
 */
export const MERCHANT_STATUSES = ['pending', 'active', 'suspended'] as const;
export type MerchantStatus = (typeof MERCHANT_STATUSES)[number];

/** The moves the operator makes, each from the statuses it applies to (migration 0032 spells the same list). */
export const STATUS_MOVES = {
  approve: { from: ['pending'], to: 'active' },
  suspend: { from: ['active', 'pending'], to: 'suspended' },
  resume: { from: ['suspended'], to: 'active' },
} as const satisfies Record<string, { from: readonly MerchantStatus[]; to: MerchantStatus }>;
export type StatusMove = keyof typeof STATUS_MOVES;

/** One move in a merchant's history, as the operator made it. */
export interface MerchantStatusChange {
  readonly merchantId: string;
  readonly from: MerchantStatus;
  readonly to: MerchantStatus;
  /** Who made it: `cli`, `cli:<user>`, `operator:<id>`. */
  readonly by: string;
  readonly reason: string | null;
  readonly at: Date;
}

/** Who changes a merchant's status, and why; a suspension always says why. */
export interface StatusChangeInput {
  by: string;
  reason?: string;
}

const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}\p{Cs}]*$/u, 'must not contain control characters')
    .refine((value) => value.trim() === value && value.length > 0, 'must not start or end with spaces');

export const statusChangeInput = z.strictObject({ by: text(200), reason: text(500).optional() });
export const suspensionInput = z.strictObject({ by: text(200), reason: text(500) });

/** The codes a merchant that may not take payments is refused with. */
export type MerchantStatusCode = 'merchant_pending' | 'merchant_suspended';

const REFUSALS: Record<Exclude<MerchantStatus, 'active'>, MerchantStatusCode> = {
  pending: 'merchant_pending',
  suspended: 'merchant_suspended',
};

/** True for `merchant_pending` and `merchant_suspended`. */
export function isMerchantStatusCode(code: ProblemCode): code is MerchantStatusCode {
  return code === 'merchant_pending' || code === 'merchant_suspended';
}

/**
 * Why a merchant in this status may not start a payment, for the merchant (what to do),
 * or undefined for an active one.
 * @example const refusal = merchantStatusRefusal('bookshop', policy.status); if (refusal) return refuse(refusal.code, refusal.detail)
 */
export function merchantStatusRefusal(
  merchantId: string,
  status: MerchantStatus,
): { code: MerchantStatusCode; detail: string } | undefined {
  if (status === 'active') return undefined;
  return {
    code: REFUSALS[status],
    detail:
      status === 'pending'
        ? `Merchant ${merchantId} is waiting for the payment operator's approval: it takes no payments until then. Ask the operator to approve it (caisse-server merchants approve ${merchantId}).`
        : `The payment operator has suspended merchant ${merchantId}: it takes no new payments. Refunds, escrow, settlement and disputes of its past payments go on; ask the operator why, and to resume it.`,
  };
}

/**
 * Throws unless the merchant may start new money movement: a small call at each place
 * that starts one (ticket intake, quotes, allowance charges).
 * @throws ProblemError `merchant_pending`, `merchant_suspended`
 * @example assertMerchantMayTakePayments(await merchants.get(merchantId))
 */
export function assertMerchantMayTakePayments(merchant: { id: string; status: MerchantStatus }): void {
  const refusal = merchantStatusRefusal(merchant.id, merchant.status);
  if (refusal) throw new ProblemError(refusal.code, refusal.detail);
}
