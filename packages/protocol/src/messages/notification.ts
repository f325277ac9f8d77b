import * as z from 'zod';
import { amount, checkValidity, currency, id, party, serial, ticketReference, timestamp, version } from './fields.js';
import { refusalReason } from './refusal.js';

const payment = z
  .strictObject({
    /** Register serial: the `jti` of the payment's voucher. */
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

const envelope = {
  ver: version,
  iss: party,
  aud: id,
  /** Unique per event, kept across retries: receivers drop duplicates by it. */
  jti: id,
  iat: timestamp,
  exp: timestamp,
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
      event: z.literal('settlement.paid'),
      settlement: z.strictObject({
        id,
        date: z.iso.date(),
        amount,
        currency,
      }),
    }),
  ])
  .superRefine((notification, ctx) => {
    checkValidity(notification, ctx);
  });

export type NotificationClaims = z.infer<typeof notificationClaims>;
export type NotificationEvent = NotificationClaims['event'];
