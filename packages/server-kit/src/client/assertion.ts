import { createHash, randomUUID } from 'node:crypto';
import { type AssertionClaims, LIMITS, PROTOCOL_VERSION, TOKEN_TYPES } from '@caisse/protocol';
import { signJws } from '../jws/sign.js';
import type { SigningKey } from '../keys/types.js';

/** The HTTP authentication scheme of the merchant API: `Authorization: Caisse-Assertion <JWS>`. */
export const ASSERTION_SCHEME = 'Caisse-Assertion';

/** Seconds an assertion is valid by default: it authenticates one request, sent right away. */
export const DEFAULT_ASSERTION_LIFETIME = 60;

/**
 * Who signs, for whom, and with which clock.
 * @example const signer: AssertionSigner = { merchantId: 'bookshop', audience: 'https://pay.example', key, lifetime: 60 }
 */
export interface AssertionSigner {
  /** `iss`: your merchant id. */
  merchantId: string;
  /** `aud`: the payment server's issuer, exactly as its discovery document names it. */
  audience: string;
  /** One of your registered keys: the same keys sign tickets. */
  key: SigningKey;
  /** Seconds from `iat` to `exp`; at most the protocol's 300. */
  lifetime: number;
  now?: () => Date;
}

/** SHA-256 of the exact body bytes, base64url without padding: the `bodySha256` claim. */
export function bodySha256(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('base64url');
}

/**
 * A `caisse-assertion+jwt` for one request, like a DPoP proof (RFC 9449): bound to the
 * method (`htm`), the whole URL with its query (`htu`) and the body bytes (`bodySha256`),
 * with a fresh `jti` the server accepts once. Sign one per request, retries included.
 * @example const token = signAssertion(signer, { method: 'GET', url: 'https://pay.example/v1/payments/pay_1042' })
 */
export function signAssertion(
  signer: AssertionSigner,
  request: { method: AssertionClaims['htm']; url: string; body?: Uint8Array },
): string {
  const iat = Math.floor((signer.now?.() ?? new Date()).getTime() / 1000);
  const claims: AssertionClaims = {
    ver: PROTOCOL_VERSION,
    iss: signer.merchantId,
    aud: signer.audience,
    jti: randomUUID(),
    iat,
    exp: iat + Math.min(signer.lifetime, LIMITS.assertionLifetime),
    htm: request.method,
    htu: request.url,
  };
  if (request.body !== undefined && request.body.byteLength > 0) claims.bodySha256 = bodySha256(request.body);
  return signJws(TOKEN_TYPES.assertion, claims, signer.key);
}
