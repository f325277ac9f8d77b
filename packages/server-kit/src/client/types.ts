/**
 * The shapes the merchant API answers with (see the payment server README, "Merchant
 * API"): camelCase, amounts as integers of minor units, payment ids as `pay_1042`, your
 * order serial always as `serial`, times as ISO 8601 UTC strings.
 */

import type { ContentType } from '@caisse/protocol';

// Declared in @caisse/protocol, beside the server that sends them, so the two cannot drift.
export type {
  AllowanceChargeResult,
  ApiAllowance,
  ApiAllowanceCharge,
  ApiContent,
  ApiPayment,
  ApiTicketRefusal,
  ContentType,
  Dispute,
  EscrowResolution,
  Movements,
  PaymentPage,
  Refund,
  SettlementDay,
  SettlementReport,
} from '@caisse/protocol';

/**
 * A digital good to store (`contents.put`): `data` is its bytes, or text sent as UTF-8; at
 * most 512 KiB (`LIMITS.contentBytes`). `contentType` is one of the protocol's `CONTENT_TYPES`.
 * @example const input: ContentInput = { title: 'The tide tables', contentType: 'text/html', data: '<h1>Tides</h1>' }
 */
export interface ContentInput {
  /** Shown to the customer with the Open button; 1–200 characters. */
  title: string;
  contentType: ContentType;
  data: string | Uint8Array;
}

/**
 * Which payments to list: those created in `[from, to)`, at most 366 days apart.
 * @example const query: PaymentListQuery = { from: new Date('2026-03-01T00:00:00Z'), to: '2026-04-01T00:00:00Z' }
 */
export interface PaymentListQuery {
  /** Inclusive; a `Date` or an ISO 8601 date and time with its time zone. */
  from: Date | string;
  /** Exclusive. */
  to: Date | string;
  /** Payments per page, 1–500 (server default 100). */
  limit?: number;
  /** The `nextAfter` of the previous page. */
  after?: string;
}

/** Where a decoupled payment (no browser) stands. */
export type DecoupledPaymentState = 'confirming' | 'authorising' | 'pending_bank' | 'paid' | 'refused';

/**
 * A decoupled payment as `POST /v1/payments` (202) and `GET /v1/payments/by-ticket/:jti`
 * show it.
 * @example const { state, voucher } = await client.payments.byTicket(ticket.id)
 */
export interface DecoupledPayment {
  /** The ticket's `jti`. */
  ticket: string;
  state: DecoupledPaymentState;
  /** Until when the customer may confirm on their phone. */
  expiresAt?: string;
  /** When `paid`: the signed voucher; verify it with `merchant.verifyVoucher` before you deliver. */
  voucher?: string;
  /** When `refused`: the signed refusal; `merchant.verifyVoucher` throws `PaymentRefusedError` with its reason. */
  refusal?: string;
}
