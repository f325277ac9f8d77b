import { createHash } from 'node:crypto';
import { type AssertionClaims, assertionClaims, isCaisseError, parseMessage, TOKEN_TYPES } from '@caisse/protocol';
import { decodeJws, type KeySet, unverifiedIssuer, verifyJws } from '@caisse/server-kit';
import { ProblemError } from '../http/problem.js';

/**
 * The HTTP authentication scheme of the merchant API (RFC 9110 §11):
 * `Authorization: Caisse-Assertion <compact JWS>`. The scheme name is matched without
 * regard to case, as RFC 9110 §11.1 requires; the token is a `caisse-assertion+jwt`.
 */
export const ASSERTION_SCHEME = 'Caisse-Assertion';

/** Seconds of difference tolerated between the merchant's clock and ours, on `exp` and `iat`. */
export const ASSERTION_CLOCK_TOLERANCE = 30;

/** Where assertion verification finds a merchant's registered keys (`MerchantService` fits). */
export interface AssertionKeys {
  /** The merchant's active public keys, or undefined for an unknown merchant. */
  keySet(merchantId: string): Promise<KeySet | undefined>;
}

export interface AssertionDeps {
  /** The payment server's issuer: the `aud` of assertions and the base of every `htu`. */
  issuer: string;
  merchants: AssertionKeys;
  now?: () => Date;
  /** Default {@link ASSERTION_CLOCK_TOLERANCE}. */
  clockTolerance?: number;
}

/** The parts of a request an assertion is bound to. */
export interface AssertedRequest {
  method: string;
  /** The request URL as received; only its path and query are used (never its host). */
  url: string;
  /** The exact body bytes (empty when there is none). */
  body: Uint8Array;
}

/**
 * The token of an `Authorization: Caisse-Assertion <token>` header (or of another
 * scheme carrying the same assertions, e.g. `Caisse-Device`).
 * @throws ProblemError `assertion_missing` when there is no such header, another scheme, or no token
 * @example const token = assertionFromHeader(c.req.header('authorization'))
 */
export function assertionFromHeader(header: string | undefined, scheme: string = ASSERTION_SCHEME): string {
  const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) +(\S+) *$/.exec(header ?? '');
  if (match === null || match[1]?.toLowerCase() !== scheme.toLowerCase()) {
    throw new ProblemError('assertion_missing', `Send "Authorization: ${scheme} <assertion>" with every request.`);
  }
  return match[2] as string;
}

/**
 * The `htu` a request must carry: the issuer's public URL (scheme, host, port and any
 * path prefix, as configured — never the Host header, which the client chooses) followed
 * by the request's path and query as sent. No fragment: a fragment never reaches the
 * server. Both sides are compared as the WHATWG URL parser serialises them, a bare `?`
 * (an empty query) counting as none.
 * @example expectedHtu('https://pay.example', 'http://10.0.0.7:4000/v1/payments?from=…') // 'https://pay.example/v1/payments?from=…'
 */
export function expectedHtu(issuer: string, requestUrl: string): string {
  const url = new URL(requestUrl);
  return normalised(`${issuer.replace(/\/+$/, '')}${url.pathname}${url.search}`) as string;
}

/** SHA-256 of the body bytes, base64url without padding: the `bodySha256` claim. */
export function bodySha256(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('base64url');
}

function asProblem(error: unknown): never {
  if (isCaisseError(error)) throw new ProblemError(error.code, error.message, { issues: error.issues, cause: error });
  throw error;
}

/**
 * A URL as the WHATWG parser serialises it, without a bare `?` (HTTP clients drop it when
 * they send the request, so it cannot be told apart on arrival); undefined with a fragment.
 */
function normalised(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.href.includes('#')) return undefined;
  return `${url.origin}${url.pathname}${url.search}`;
}

/** Whose keys verify an assertion, whichever kind of party signs it (a merchant, a phone). */
export interface AssertionIssuers {
  /** The public keys of the party the token's `iss` names, or undefined when there is no such party. */
  keySet(iss: string): Promise<KeySet | undefined>;
  /** The problem for an `iss` that names no party (e.g. `merchant_unknown`). */
  unknown(): ProblemError;
  /** Longest `exp − iat` accepted, in seconds, when shorter than the protocol's 300 s. */
  maxLifetime?: number;
}

/**
 * Verifies a merchant API assertion against the request it came with: see
 * {@link verifyIssuedAssertion}, with the merchant's registered keys.
 * @throws ProblemError as {@link verifyIssuedAssertion}, `merchant_unknown` for an unregistered `iss`
 * @example const claims = await verifyAssertion(token, { method: 'GET', url: c.req.url, body }, { issuer, merchants })
 */
export function verifyAssertion(token: string, request: AssertedRequest, deps: AssertionDeps): Promise<AssertionClaims> {
  return verifyIssuedAssertion(token, request, deps, {
    keySet: (merchantId) => deps.merchants.keySet(merchantId),
    unknown: () => new ProblemError('merchant_unknown', 'The assertion `iss` is not a merchant registered with this payment server.'),
  });
}

/**
 * Verifies an assertion against the request it came with, as a checklist that trusts
 * nothing it has not verified: the token's shape and `typ` (a ticket is not an
 * assertion), then the keys of the party it names, the signature, the claims schema
 * (`exp − iat ≤ 300 s`, or the issuers' `maxLifetime`), our audience, time (`exp` live and
 * `iat` not in the future, within the tolerance), and last the binding to this method,
 * URL and body. Single use (`jti`) is the caller's job, once everything here has passed.
 * @throws ProblemError with the protocol's codes (`token_malformed`, `type_mismatch`,
 * `key_unknown`, `signature_invalid`, `claims_invalid`, `audience_mismatch`,
 * `token_expired`, `token_not_yet_valid`, …), the issuers' `unknown()`, or `assertion_binding`
 * @example const claims = await verifyIssuedAssertion(token, request, { issuer }, { keySet: devices.keySet, unknown: () => new ProblemError('device_unknown') })
 */
export async function verifyIssuedAssertion(
  token: string,
  request: AssertedRequest,
  deps: Omit<AssertionDeps, 'merchants'>,
  issuers: AssertionIssuers,
): Promise<AssertionClaims> {
  try {
    decodeJws(token, [TOKEN_TYPES.assertion]);
  } catch (error) {
    asProblem(error);
  }
  const iss = unverifiedIssuer(token);
  const keys = iss === undefined ? undefined : await issuers.keySet(iss);
  if (iss === undefined || keys === undefined) throw issuers.unknown();

  let claims: AssertionClaims;
  try {
    const verified = await verifyJws(token, [TOKEN_TYPES.assertion], keys);
    claims = parseMessage(assertionClaims, verified.payload, 'claims_invalid');
  } catch (error) {
    asProblem(error);
  }
  if (claims.iss !== iss) throw new ProblemError('issuer_mismatch', 'The assertion issuer changed between reads.');
  if (claims.aud !== deps.issuer) {
    throw new ProblemError('audience_mismatch', `The assertion is meant for "${claims.aud}"; this payment server is "${deps.issuer}".`);
  }
  if (issuers.maxLifetime !== undefined && claims.exp - claims.iat > issuers.maxLifetime) {
    throw new ProblemError('claims_invalid', `An assertion here lasts at most ${issuers.maxLifetime} s (exp − iat).`);
  }

  const tolerance = deps.clockTolerance ?? ASSERTION_CLOCK_TOLERANCE;
  const now = Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);
  if (now >= claims.exp + tolerance) {
    throw new ProblemError('token_expired', `The assertion expired ${now - claims.exp} s ago; sign a fresh one for each request.`);
  }
  if (claims.iat > now + tolerance) {
    throw new ProblemError('token_not_yet_valid', `The assertion is dated ${claims.iat - now} s in the future; check the signer's clock.`);
  }

  if (claims.htm !== request.method) {
    throw new ProblemError('assertion_binding', `The assertion is for a ${claims.htm} request; this one is ${request.method}.`);
  }
  const htu = expectedHtu(deps.issuer, request.url);
  if (normalised(claims.htu) !== htu) {
    throw new ProblemError(
      'assertion_binding',
      `The assertion is for another URL; this request's htu is ${htu} (the issuer's URL, then the path and query as sent).`,
    );
  }
  if (request.body.byteLength === 0) {
    if (claims.bodySha256 !== undefined) {
      throw new ProblemError('assertion_binding', 'The assertion has a bodySha256 but the request has no body.');
    }
  } else if (claims.bodySha256 === undefined) {
    throw new ProblemError('assertion_binding', 'The request has a body: the assertion needs its bodySha256.');
  } else if (claims.bodySha256 !== bodySha256(request.body)) {
    throw new ProblemError(
      'assertion_binding',
      'The assertion bodySha256 is not the SHA-256 of this body; hash the exact bytes sent, after serialising.',
    );
  }
  return claims;
}
