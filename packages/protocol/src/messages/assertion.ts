import * as z from 'zod';
import { LIMITS } from '../limits.js';
import { checkValidity, id, party, sha256, timestamp, url, version } from './fields.js';

/**
 * Payload of a `caisse-assertion+jwt`: a short-lived, single-use proof that a merchant
 * API request comes from the merchant key, bound to the method, URL and body like a
 * DPoP proof (RFC 9449), so a leaked assertion cannot be reused for another call.
 */
export const assertionClaims = z
  .strictObject({
    ver: version,
    iss: id,
    aud: party,
    jti: id,
    iat: timestamp,
    exp: timestamp,
    htm: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
    htu: url,
    /** SHA-256 of the request body, for requests that have one. */
    bodySha256: sha256.optional(),
  })
  .superRefine((assertion, ctx) => {
    checkValidity(assertion, ctx, LIMITS.assertionLifetime);
  });

export type AssertionClaims = z.infer<typeof assertionClaims>;
