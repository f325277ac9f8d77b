/**
 * The shapes the merchant API answers with (the payment server README, "Merchant API"),
 * declared once for the server that sends them and the client that reads them: camelCase,
 * amounts as integers of minor units, payment ids as `pay_` and a decimal number, ledger
 * transfer serials (PostgreSQL `bigint`s) as decimal strings, times as ISO 8601 UTC strings.
 * The customer's internal id is never in them.
 *
 * Two names never mix: `id` (or `payment`, when another object points at it) is the payment
 * server's payment id, `pay_1042`, the voucher's `jti`; `serial` is always the merchant's own
 * order serial, the ticket's `serial`, which can never take the form of a payment id.
 */

/**
 * One of the merchant's payments, with the voucher the payment server signed for it.
 * @example const { id, serial, amount, status } = await client.payments.get({ serial: 'order-42' })
 */
export interface ApiPayment {
  /** The payment id, `pay_1042`: the voucher's `jti`. */
  id: string;
  /** The ticket the payment answers: its `jti` and the SHA-256 of its exact JWS. */
  ticket: { jti: string; sha256: string };
  /** Your own order serial, from the ticket. */
  serial: string;
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
  /** Oldest first (then by id). */
  payments: ApiPayment[];
  /** Pass as `after` for the next page; null on the last one. */
  nextAfter: string | null;
}

/**
 * Why a session allowance takes no more charges: its expiry passed, its maximum was reached,
 * the customer revoked it, the merchant closed it, or (recurring) the customer's wallet
 * could not hold the next period's maximum back.
 */
export type AllowanceEnd = 'expired' | 'exhausted' | 'revoked' | 'closed' | 'unfunded';

/**
 * A session allowance the customer granted the merchant: `GET /v1/allowances/:id`, and
 * what `POST /v1/allowances/:id/close` answers.
 * @example const { remaining, state } = await client.allowances.get('al_3f…')
 */
export interface ApiAllowance {
  /** `al_` + 128 random bits: the voucher's `allowance.id`. */
  id: string;
  /** The allowance ticket the customer confirmed. */
  ticket: { jti: string; sha256: string };
  currency: string;
  /** Minor units: what the merchant may charge in all (in each period, for a recurring allowance). */
  maximum: number;
  /** The most one charge may take; null: up to what is left. */
  chargeCap: number | null;
  period: 'day' | 'week' | 'month' | null;
  /** `active`: it takes charges. `ended`: settled; `endReason` says why. */
  state: 'active' | 'ended';
  endReason: AllowanceEnd | null;
  /** What the charges of the current period add up to, and what is left of the maximum. */
  used: number;
  remaining: number;
  /** The current period, ISO 8601 UTC; `to` is the allowance's expiry unless recurring. */
  currentPeriod: { from: string; to: string };
  expiresAt: string;
  grantedAt: string;
  endedAt: string | null;
  /** The charges of the current period (of the last one, once ended), oldest first. */
  charges: ApiAllowanceCharge[];
}

/** One charge under an allowance: a payment of the merchant (`funding: 'allowance'`). */
export interface ApiAllowanceCharge {
  /** The payment id, `pay_1042` (the voucher's `jti`). */
  id: string;
  /** The charge ticket's `jti`. */
  ticket: string;
  /** Your order serial, from the charge ticket. */
  serial: string;
  amount: number;
  createdAt: string;
}

/**
 * What `POST /v1/allowances/charges` answers: the payment, with its voucher, and what is
 * left of the allowance after it. The same ticket sent again answers the same payment.
 * @example const { payment, remaining } = await client.allowances.charge(ticket)
 */
export interface AllowanceChargeResult {
  allowance: string;
  remaining: number;
  payment: ApiPayment;
}

/** Who resolved a held payment. */
export type EscrowResolver = 'merchant' | 'carrier' | 'timeout';

/**
 * How a held (deferred-delivery) payment was resolved: `POST /v1/payments/:id/deliveries`
 * and `/cancellation`.
 * @example const { status, transfer } = await client.deliveries.create({ serial: 'order-42' }, { reference: 'TRACK-123' })
 */
export interface EscrowResolution {
  /** The payment id, `pay_1042` (the voucher's `jti`). */
  payment: string;
  /** Your order serial, from the ticket. */
  serial: string;
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
 * @example const refund = await client.refunds.create({ serial: 'order-42' }, { amount: 500, reason: 'damaged' })
 */
export interface Refund {
  /** `rf_` + 128 random bits; the `refund.id` of the `refund.succeeded` notification. */
  id: string;
  /** The payment id, `pay_1042` (the voucher's `jti`). */
  payment: string;
  /** Minor units; at most what remains of the payment. */
  amount: number;
  currency: string;
  reason: string | null;
  /** The way the money came: the customer's wallet, the bank, or a session allowance (whose money goes back to the wallet). */
  funding: 'wallet' | 'bank' | 'allowance';
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
 * entries in the period), and, with each line's `amount` (the payout's only while it is
 * `pending` or `paid`),
 * `openingBalance + payments + escrowReleases + allowances − refunds + other − payout = closingBalance`
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
  /**
   * Charges under session allowances, credited to the till by their grouped remittances:
   * `count` is the number of charges those remittances settled, `amount` what they credited.
   * A remittance falls in the day it is made (the allowance's end, or its period's), which
   * may be later than the day of its charges.
   */
  allowances: Movements;
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

/**
 * One kind of ticket the payment server refused at intake, for the merchant its `iss`
 * named (a registered merchant; the ticket may still be forged): one entry per code and
 * message, counted, so repeats and forgeries cannot grow the list without bound. The
 * customer was shown only the refusal reason in words; this says what to fix.
 * @example for (const r of (await client.ticketRefusals.list())) console.warn(r.code, r.count, r.message)
 */
export interface ApiTicketRefusal {
  /** `tr_` and 22 base64url characters; the `ticketRefusal.id` of its `ticket.refused` notification. */
  id: string;
  /**
   * Precise and stable: `key_unknown`, `signature_invalid`, `return_origin_unregistered`,
   * `audience_mismatch`, `token_not_yet_valid`, `ticket_expired`, `claims_invalid`,
   * `amount_mismatch`, … (the payment server README lists them all).
   */
  code: string;
  /** What is wrong and what to do, naming the merchant, the `kid`, the origin…; in English; never a token. */
  message: string;
  /** The `jti` of the last ticket refused this way, as it read (not verified), or null when none could be read. */
  ticket: string | null;
  /** Tickets refused this way since `firstSeenAt`. */
  count: number;
  firstSeenAt: string;
  lastSeenAt: string;
}

/**
 * `GET /v1/ticket-refusals`: the refusals of the last 30 days, the most recent first.
 * @example const { refusals } = (await fetch(url, { headers: { authorization } }).then((r) => r.json())) as TicketRefusalList
 */
export interface TicketRefusalList {
  refusals: ApiTicketRefusal[];
}

/** The kinds of digital good the payment server keeps and releases (`PUT /v1/contents/{ref}`). */
export const CONTENT_TYPES = [
  'text/plain',
  'text/html',
  'text/markdown',
  'application/pdf',
  'image/png',
  'image/jpeg',
  'application/zip',
  'application/octet-stream',
] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

/**
 * A digital good a merchant stored on the payment server (`PUT`/`GET /v1/contents/{ref}`):
 * what it is, never the good itself. A ticket names it by `ref` (`delivery.content`).
 * @example const content = await client.contents.put('article-42', { title: 'The tide tables', contentType: 'text/html', data: html })
 */
export interface ApiContent {
  /** The merchant's reference, the protocol id rule. */
  ref: string;
  title: string;
  contentType: ContentType;
  /** Bytes, once decoded. */
  size: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * `POST /quotes`: a quote fetched from the merchant's quote endpoint and verified, for a
 * phone app or a till. Send `ticket` to `/pay` or the decoupled API as any ticket.
 */
export interface ApiQuote {
  ticket: string;
  amount: number;
  currency: string;
  items: { id: string; label: string; quantity: number; unitAmount: number; vatRate: number }[];
  /** ISO 8601: the price holds until then. */
  expiresAt: string;
  /** Units left, when the merchant tells it. */
  stock?: number;
}
