import * as z from 'zod';
import { LIMITS } from '../limits.js';
import { amount, currency, id, label, party, sha256, ticketReference, timestamp, version } from './fields.js';
import { allowanceTerms, item } from './ticket.js';

/** 32 random bytes, base64url. */
const challenge = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 random bytes, base64url');

/**
 * What the payment server sends to the customer's phone. It is a plain JSON message on
 * an authenticated channel; the phone's signed answer is what binds the decision.
 */
export const confirmationRequest = z
  .strictObject({
    ver: version,
    id,
    challenge,
    ticket: ticketReference,
    payee: z.strictObject({ id, name: label }),
    items: z.array(item).max(LIMITS.items),
    amount,
    vat: amount,
    currency,
    createdAt: timestamp,
    expiresAt: timestamp,
    /**
     * What approving takes: `pin` (the default when absent), or `tap` for an amount under
     * the customer's tap threshold (their payment plan, capped by the operator). The
     * voucher's `confirmation.method` then says `tap`.
     */
    approval: z.enum(['pin', 'tap']).optional(),
    /**
     * Present when approving grants a session allowance: `amount` is then its maximum, which
     * the merchant may charge until `expiresAt` (each period, for a recurring one) without
     * asking again. Always approved with the PIN.
     */
    allowance: allowanceTerms.optional(),
  })
  .superRefine((request, ctx) => {
    if (request.allowance !== undefined && request.approval === 'tap') {
      ctx.addIssue({ code: 'custom', path: ['approval'], message: 'an allowance is always approved with the PIN' });
    }
    if (request.expiresAt <= request.createdAt) ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'must be after createdAt' });
  });

/**
 * Payload of a `caisse-confirmation+jwt`, signed by the device key. It repeats every
 * fact the customer saw (dynamic linking): the server refuses it if any differs from
 * the request.
 */
export const confirmationClaims = z.strictObject({
  ver: version,
  /** Device id. */
  iss: id,
  aud: party,
  jti: id,
  iat: timestamp,
  request: id,
  challenge,
  ticket: sha256,
  amount,
  currency,
  payee: id,
  decision: z.enum(['approve', 'decline']),
  /**
   * Proof of the PIN, bound to the challenge: required to approve a request whose
   * `approval` is `pin` (the server checks it against the request it sent).
   */
  pinProof: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,512}$/)
    .optional(),
});

export type ConfirmationRequest = z.infer<typeof confirmationRequest>;
export type ConfirmationClaims = z.infer<typeof confirmationClaims>;
