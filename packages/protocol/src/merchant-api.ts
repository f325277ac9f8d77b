/**
 * The shapes the merchant API answers with (the payment server README, "Merchant API"),
 * declared once for the server that sends them and the client that reads them: camelCase,
 * amounts as integers of minor units, serials (PostgreSQL `bigint`s) as decimal strings,
 * times as ISO 8601 UTC strings. The customer's internal id is never in them.
 */

/**
 * One of the merchant's payments, with the voucher the payment server signed for it.
 * @example const { serial, amount, currency, status } = await client.payments.get('1042')
 */
export interface ApiPayment {
  /** The register serial: the voucher's `jti`. */
  serial: string;
  /** The ticket the payment answers: its `jti` and the SHA-256 of its exact JWS. */
  ticket: { jti: string; sha256: string };
  /** The merchant's own order serial, from the ticket. */
  orderSerial: string;
  amount: number;
  vat: number;
  currency: string;
  /** Null for an authentication (zero-amount ticket): no money moved. */
  funding: 'wallet' | 'bank' | 'allowance' | null;
  /** `released` / `voided`: a held payment after delivery or cancellation (escrow). */
  status: 'authorised' | 'authenticated' | 'held' | 'released' | 'voided';
  createdAt: string;
  /** The voucher as the payment server signed it; its `exp` has long passed: a record, not something to redeem. */
  voucher: string;
}

/**
 * One page of `GET /v1/payments`.
 * @example const { payments, nextAfter } = await client.payments.list({ from, to, limit: 100 })
 */
export interface PaymentPage {
  /** Oldest first (then by serial). */
  payments: ApiPayment[];
  /** Pass as `after` for the next page; null on the last one. */
  nextAfter: string | null;
}

/** Who resolved a held payment. */
export type EscrowResolver = 'merchant' | 'carrier' | 'timeout';

/**
 * How a held (deferred-delivery) payment was resolved: `POST /v1/payments/:serial/deliveries`
 * and `/cancellation`.
 * @example const { status, transfer } = await client.deliveries.create('1042', { reference: 'TRACK-123' })
 */
export interface EscrowResolution {
  /** The payment's register serial (the voucher's `jti`). */
  serial: string;
  /** The merchant's order serial, from the ticket. */
  orderSerial: string;
  /** `released`: the funds went to the merchant's till. `voided`: they went back to the customer. */
  status: 'released' | 'voided';
  resolvedBy: EscrowResolver;
  amount: number;
  currency: string;
  /** The register serial of the transfer that released the money; null for a void (nothing moved). */
  transfer: string | null;
  /** The tracking reference (delivery) or reason (cancellation) given, if any. */
  note: string | null;
  resolvedAt: string;
}

/**
 * A refund of one of the merchant's payments.
 * @example const refund = await client.refunds.create('1042', { amount: 500, reason: 'damaged' })
 */
export interface Refund {
  /** `rf_` + 128 random bits; the `refund.id` of the `refund.succeeded` notification. */
  id: string;
  /** The payment's register serial. */
  payment: string;
  /** Minor units; at most what remains of the payment. */
  amount: number;
  currency: string;
  reason: string | null;
  /** The way the money came, and goes back: the customer's wallet, or the bank. */
  funding: 'wallet' | 'bank';
  /**
   * `succeeded`: the money is back with the customer. `pending`: a bank refund the bank
   * has not confirmed yet; it is settled exactly once, and `refund.succeeded` follows.
   * `declined`: the bank refused it; nothing moved and it no longer counts against the payment.
   */
  status: 'pending' | 'succeeded' | 'declined';
  /** The register serial of the transfer that moved the money back; null until it succeeded. */
  transfer: string | null;
  createdAt: string;
  resolvedAt: string | null;
}

/** A count and a sum of minor units. */
export interface Movements {
  count: number;
  amount: number;
}

/** The settlement of one merchant till for one day and currency. */
export type SettlementStatus = 'none' | 'pending' | 'paid' | 'declined';

/**
 * One merchant's day in one currency. Every figure comes from the ledger (the till's
 * entries in the period), and
 * `openingBalance + payments + escrowReleases − refunds + other − payout.amount = closingBalance`
 * to the cent.
 * @example for (const day of (await client.settlements.get('2026-03-01')).currencies) console.log(day.currency, day.payout.status)
 */
export interface SettlementDay {
  currency: string;
  /** [cut-off of the day before, cut-off of this day), ISO 8601 UTC. */
  period: { from: string; to: string };
  /** What the till held, not yet paid out, when the period began. */
  openingBalance: number;
  /** Payments credited to the till directly (immediate fulfilment). */
  payments: Movements;
  /** Held payments released to the till in the period. */
  escrowReleases: Movements;
  /** Refunds taken from the till in the period (a positive amount). */
  refunds: Movements;
  /** Any other till movement (none today; kept so the sum always closes). */
  other: Movements;
  payout: {
    /** Null before the day is settled. */
    id: string | null;
    /** `unsettled` before the day is settled; `none` when there was nothing to pay. */
    status: SettlementStatus | 'unsettled';
    amount: number;
    /** The bank's payout reference, once paid. */
    reference: string | null;
  };
  /** What stays in the till for later days (a declined payout, or a negative balance). */
  closingBalance: number;
}

/**
 * `GET /v1/settlements/:date` and `settlements report`: one settlement day, per currency.
 * @example const { date, currencies } = await client.settlements.get('2026-03-01')
 */
export interface SettlementReport {
  merchantId: string;
  /** `YYYY-MM-DD`. */
  date: string;
  currencies: SettlementDay[];
}
