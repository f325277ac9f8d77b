import * as z from 'zod';
import { testMarker } from '../mode.js';
import { id, party, timestamp, version } from './fields.js';
import { publicJwk } from './keys.js';

/**
 * Payload of a `caisse-device-cert+jwt`, signed by the payment server: this public key
 * (`cnf.jwk`, RFC 7800) is the key of device `sub`, enrolled by `customer` at `enrolledAt`
 * and, if `revokedAt` is there, revoked then. Whatever that device key signed in between
 * (an approval, later an offline receipt) is verifiable by anyone holding the payment
 * server's JWKS, offline. A statement as of `iat`: a revocation after it is not in it.
 */
export const deviceCertificateClaims = z
  .strictObject({
    ver: version,
    /** The payment server. */
    iss: party,
    /** The device id: `dev-` and the RFC 7638 thumbprint of its key, as the device's tokens name it (`kid`, `iss`). */
    sub: id,
    iat: timestamp,
    /** The customer's account id at the payment server. */
    customer: id,
    cnf: z.strictObject({ jwk: publicJwk }),
    enrolledAt: timestamp,
    revokedAt: timestamp.optional(),
    /** `true`: signed by a payment server in test mode; absent in live mode. */
    test: testMarker,
  })
  .superRefine((certificate, ctx) => {
    if (certificate.cnf.jwk.kid !== certificate.sub) {
      ctx.addIssue({ code: 'custom', path: ['cnf', 'jwk', 'kid'], message: 'must be the device id (sub)' });
    }
    if (certificate.revokedAt !== undefined && certificate.revokedAt < certificate.enrolledAt) {
      ctx.addIssue({ code: 'custom', path: ['revokedAt'], message: 'must not be before enrolledAt' });
    }
  });

export type DeviceCertificateClaims = z.infer<typeof deviceCertificateClaims>;
