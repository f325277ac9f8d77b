import * as z from 'zod';
import { isPaymentId, PAYMENT_ID_FORM } from '../payment-id.js';
import { amount, currency, id, label, timestamp } from './fields.js';
import { refusalReason } from './refusal.js';

/** A payment id (`pay_1042`): the voucher's `jti`, what the customer's account page and the merchant name the payment by. */
const paymentIdField = z.string().refine(isPaymentId, `must be a payment id: ${PAYMENT_ID_FORM}`);

/**
 * How the checkout a phone answered ended, or that it has not yet: `paid` (with the
 * payment's id), `granted` (an allowance: no money moves until the merchant charges),
 * `refused` with the reason code (after an approval, the bank or the wallet; after a
 * decline, `customer_declined`), `cancelled` at the checkout after the answer, or
 * `pending` while money is still on its way (a bank that has not answered).
 */
export const requestOutcome = z.discriminatedUnion('status', [
  z.strictObject({ status: z.literal('paid'), paymentId: paymentIdField }),
  z.strictObject({ status: z.literal('granted') }),
  z.strictObject({ status: z.literal('refused'), reason: refusalReason }),
  z.strictObject({ status: z.literal('cancelled'), reason: refusalReason }),
  z.strictObject({ status: z.literal('pending') }),
]);

/**
 * The data of the device stream's `outcome` event (docs/device-api.md, "The stream"): the
 * checkout of request `id`, answered on a phone, has ended. Sent once, best effort; `GET
 * /device/history` is the source of truth.
 */
export const outcomeEvent = z.strictObject({ id, outcome: requestOutcome });

/** One request the customer answered on a phone, with what became of it: `GET /device/history`. */
export const answeredRequest = z.strictObject({
  /** The confirmation request's id (`cfr_…`), as the stream sent it. */
  id,
  payee: z.strictObject({ id, name: label }),
  amount,
  currency,
  /** What the phone answered. */
  answer: z.enum(['approved', 'declined']),
  answeredAt: timestamp,
  outcome: requestOutcome,
});

/** The customer's answered requests, newest first, at most the `limit` asked for. */
export const deviceHistory = z.strictObject({ requests: z.array(answeredRequest) });

export type RequestOutcome = z.infer<typeof requestOutcome>;
export type OutcomeEvent = z.infer<typeof outcomeEvent>;
export type AnsweredRequest = z.infer<typeof answeredRequest>;
export type DeviceHistory = z.infer<typeof deviceHistory>;
