/** Test support: merchant API assertions signed as a merchant backend would sign them. Not exported from the package. */
import { randomBytes } from 'node:crypto';
import { PROTOCOL_VERSION, TOKEN_TYPES } from '@caisse/protocol';
import { type SigningKey, signJws } from '@caisse/server-kit';
import { ASSERTION_SCHEME, bodySha256 } from '../assertion.js';

export interface AssertionInput {
  /** The merchant's private key. */
  key: SigningKey;
  /** `iss`. */
  merchantId: string;
  /** `aud`: the payment server's issuer. */
  audience: string;
  /** `htu`: the absolute URL of the request. */
  url: string;
  /** `htm`; default GET. */
  method?: string;
  /** Hashed into `bodySha256` when given and not empty. */
  body?: string | Uint8Array;
  /** Default now. */
  iat?: number;
  /** Default `iat + 60`. */
  exp?: number;
  /** Default a fresh random id. */
  jti?: string;
  /** Claims to add or replace; `undefined` removes one. */
  claims?: Record<string, unknown>;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** The claims of an assertion for one request. */
export function assertionClaimsFor(input: AssertionInput): Record<string, unknown> {
  const iat = input.iat ?? nowSeconds();
  const claims: Record<string, unknown> = {
    ver: PROTOCOL_VERSION,
    iss: input.merchantId,
    aud: input.audience,
    jti: input.jti ?? `t-${randomBytes(9).toString('base64url')}`,
    iat,
    exp: input.exp ?? iat + 60,
    htm: input.method ?? 'GET',
    htu: input.url,
  };
  if (input.body !== undefined && input.body.length > 0) claims.bodySha256 = bodySha256(input.body);
  for (const [name, value] of Object.entries(input.claims ?? {})) {
    if (value === undefined) delete claims[name];
    else claims[name] = value;
  }
  return claims;
}

/**
 * A compact `caisse-assertion+jwt`, signed with server-kit's `signJws` exactly as a
 * merchant backend does.
 * @example fetch(url, { headers: { authorization: authorization(signAssertion({ key, merchantId, audience: issuer, url })) } })
 */
export function signAssertion(input: AssertionInput): string {
  return signJws(TOKEN_TYPES.assertion, assertionClaimsFor(input), input.key);
}

/** The `Authorization` header value for an assertion. */
export function authorization(token: string): string {
  return `${ASSERTION_SCHEME} ${token}`;
}
