import * as z from 'zod';
import { REFUSAL_REASONS, type RefusalReason } from '../errors.js';
import { LIMITS } from '../limits.js';
import { testMarker } from '../mode.js';
import { amount, checkValidity, currency, id, party, serial, state, ticketReference, timestamp, version } from './fields.js';

export const refusalReason = z.enum(Object.keys(REFUSAL_REASONS) as [RefusalReason, ...RefusalReason[]]);

/** Longest `detail.message` of a refusal or `ticket.refused` notification, in code points. */
const DETAIL_MESSAGE_LENGTH = 1000;

/** A stable machine code of the payment server (`key_unknown`, `return_origin_unregistered`, …): lower case, digits and `_`. */
export const refusalCode = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a code of 1–64 lower-case letters, digits and _');

/** Text for the merchant's developers: 1–1000 code points, no control characters. */
export const refusalMessage = z
  .string()
  .min(1)
  .max(DETAIL_MESSAGE_LENGTH)
  .regex(/^[^\p{Cc}\p{Cs}]*$/u, 'must not contain control characters or lone surrogates');

/**
 * Why the payment server refused the ticket itself, for the merchant to act on: the
 * precise `code` (`key_unknown`, `signature_invalid`, `return_origin_unregistered`, …;
 * the payment server README lists them) and a `message` saying what is wrong and what to
 * do ("The key kid 3f…a1 is not registered for merchant bookshop: …"). Never shown to the
 * customer, who is told the `reason` in words.
 */
export const refusalDetail = z.strictObject({ code: refusalCode, message: refusalMessage });

export type RefusalDetail = z.infer<typeof refusalDetail>;

/**
 * Payload of a `caisse-refusal+jwt`: the payment server's signed "no" for one ticket,
 * carried to the merchant's cancel URL. Only sent to a cancel URL on an origin the
 * merchant registered; a ticket refused at intake (its signature, key, claims, URLs or
 * time) also carries `detail`, the precise code and what to do. The refusal answers the
 * exact bytes presented (`ticket.sha256`), so a merchant acts on it only for a ticket it
 * made itself.
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
    /** `true`: signed by a payment server in test mode; absent in live mode. */
    test: testMarker,
    /** For a ticket refused at intake: what exactly is wrong with it, for the merchant. Absent for the customer's refusals (`insufficient_funds`, …). */
    detail: refusalDetail.optional(),
  })
  .superRefine((refusal, ctx) => {
    checkValidity(refusal, ctx, LIMITS.voucherLifetime);
  });

export type RefusalClaims = z.infer<typeof refusalClaims>;
