import * as z from 'zod';
import { REFUSAL_REASONS, type RefusalReason } from '../errors.js';
import { LIMITS } from '../limits.js';
import { amount, checkValidity, currency, id, party, serial, state, ticketReference, timestamp, version } from './fields.js';

export const refusalReason = z.enum(Object.keys(REFUSAL_REASONS) as [RefusalReason, ...RefusalReason[]]);

/**
 * Payload of a `caisse-refusal+jwt`: the payment server's signed "no" for one ticket,
 * carried to the merchant's cancel URL. Only sent for tickets whose signature verified,
 * since only those have a cancel URL worth trusting.
 */
export const refusalClaims = z
  .strictObject({
    ver: version,
    iss: party,
    aud: id,
    jti: id,
    iat: timestamp,
    exp: timestamp,
    ticket: ticketReference,
    serial,
    amount,
    currency,
    reason: refusalReason,
    state,
  })
  .superRefine((refusal, ctx) => {
    checkValidity(refusal, ctx, LIMITS.voucherLifetime);
  });

export type RefusalClaims = z.infer<typeof refusalClaims>;
