import * as z from 'zod';
import { LIMITS } from '../limits.js';
import { testMarker } from '../mode.js';
import { disputeNotice } from './dispute.js';
import { amount, checkValidity, currency, id, party, serial, ticketReference, timestamp, version } from './fields.js';
import { refusalCode, refusalMessage, refusalReason } from './refusal.js';

const payment = z
  .strictObject({
    /** The payment id (`pay_1042`): the `jti` of the payment's voucher. */
    id,
    ticket: ticketReference,
    serial,
    amount,
    currency,
    status: z.enum(['authorised', 'authenticated', 'held', 'released', 'voided']),
    funding: z.enum(['wallet', 'bank', 'allowance']).optional(),
    /** Of `amount`, what the customer paid with loyalty points (minor units), as the voucher says; `funding` paid the rest. */
    points: amount.optional(),
  })
  .superRefine((payment, ctx) => {
    if (payment.points !== undefined && (payment.points === 0 || payment.points > payment.amount)) {
      ctx.addIssue({ code: 'custom', path: ['points'], message: 'is from 1 to the amount' });
    }
  });

/**
 * The grouped remittance of a session allowance (seed 003): the charges of one period,
 * settled as one transfer to the merchant's till once the allowance expired, reached its
 * maximum, was revoked by the customer or closed by the merchant, or (recurring) once its
 * period ended. The rest of the reserved maximum went back to the customer.
 */
const settledAllowance = z.strictObject({
  id,
  /** The allowance ticket the customer confirmed. */
  ticket: ticketReference,
  currency,
  maximum: amount,
  /** What the charges of the period add up to, refunds not deducted: what the till received. */
  used: amount,
  reason: z.enum(['expired', 'exhausted', 'revoked', 'closed', 'period_ended']),
  period: z.strictObject({ from: timestamp, to: timestamp }),
  /** The register serial of the remittance; null when nothing was charged. */
  transfer: serial.nullable(),
  chargeCount: z.int().min(0),
  /** The first charges of the period, oldest first (at most `LIMITS.settledCharges`); `GET /v1/allowances/:id` lists them all. */
  charges: z.array(z.strictObject({ id, ticket: id, serial, amount })).max(LIMITS.settledCharges),
});

/**
 * A kind of refused ticket, as the payment server first recorded it for this merchant:
 * the same code and message again within 30 days only adds to the count of the merchant
 * API's listing (`GET /v1/ticket-refusals`), without another notification.
 */
const ticketRefusal = z.strictObject({
  /** The listing's id of this kind of refusal. */
  id,
  /** Precise and stable: `key_unknown`, `signature_invalid`, `return_origin_unregistered`, … */
  code: refusalCode,
  /** What is wrong and what to do, naming the merchant, the `kid`, the origin… */
  message: refusalMessage,
  /** The `jti` the refused ticket gave (not verified: it may be forged), or null when it had none readable. */
  ticket: id.nullable(),
  count: z.int().min(1),
  firstSeenAt: timestamp,
});

const envelope = {
  ver: version,
  iss: party,
  aud: id,
  /** Unique per event, kept across retries: receivers drop duplicates by it. */
  jti: id,
  iat: timestamp,
  exp: timestamp,
  /** `true`: signed by a payment server in test mode; absent in live mode. */
  test: testMarker,
};

/** Payload of a `caisse-notification+jwt`, POSTed by the payment server to the merchant's notification URL. */
export const notificationClaims = z
  .discriminatedUnion('event', [
    z.strictObject({
      ...envelope,
      event: z.enum(['payment.authorised', 'payment.held', 'payment.released', 'payment.voided']),
      payment,
    }),
    z.strictObject({
      ...envelope,
      event: z.literal('payment.refused'),
      refusal: z.strictObject({ ticket: ticketReference, serial, amount, currency, reason: refusalReason }),
    }),
    z.strictObject({
      ...envelope,
      event: z.literal('refund.succeeded'),
      payment,
      refund: z.strictObject({ id, amount, currency }),
    }),
    z.strictObject({
      ...envelope,
      event: z.literal('allowance.settled'),
      allowance: settledAllowance,
    }),
    z.strictObject({
      ...envelope,
      event: z.literal('ticket.refused'),
      ticketRefusal,
    }),
    z.strictObject({
      ...envelope,
      event: z.literal('settlement.paid'),
      settlement: z.strictObject({
        id,
        date: z.iso.date(),
        amount,
        currency,
      }),
    }),
    z.strictObject({
      ...envelope,
      /** A customer disputes a payment (`opened`), the merchant answered it (`answered`), it was decided (`resolved`). */
      event: z.enum(['dispute.opened', 'dispute.answered', 'dispute.resolved']),
      dispute: disputeNotice,
    }),
  ])
  .superRefine((notification, ctx) => {
    checkValidity(notification, ctx);
  });

export type NotificationClaims = z.infer<typeof notificationClaims>;
export type NotificationEvent = NotificationClaims['event'];
