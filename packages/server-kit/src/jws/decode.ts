import { ALGORITHMS, type Algorithm, CaisseError, LIMITS, type TokenType } from '@caisse/protocol';
import { parseJsonObject } from './json.js';

/** A compact JWS split and checked, with its header parsed; the payload stays undecoded until the signature verifies. */
export interface DecodedJws {
  alg: Algorithm;
  typ: TokenType;
  kid: string;
  header: Record<string, unknown>;
  /** `base64url(header) . base64url(payload)`: the bytes the signature covers. */
  signingInput: string;
  encodedPayload: string;
  signature: Buffer;
}

const PART = /^[A-Za-z0-9_-]+$/;
/**
 * Payload and signature may be empty in a compact JWS (RFC 7515 §7.1): an unsecured JWS
 * (`alg: none`, RFC 7519 §6.1) has an empty signature and detached content (RFC 7515
 * Appendix F) an empty payload. Accepting the empty shape here lets the header checks name
 * the real fault (`algorithm_not_allowed`); an empty signature never verifies and an empty
 * payload is not a JSON object, so nothing else gets through.
 */
const OPTIONAL_PART = /^[A-Za-z0-9_-]*$/;
const KID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
/** Headers that name a key or where to fetch one: trusting them would let the token choose its own key (RFC 8725 §3.10). */
const KEY_BEARING_HEADERS = ['jwk', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256'];

/** Strict base64url: the alphabet only, no padding, and the one canonical encoding of the bytes. */
export function decodePart(part: string, what: string): Buffer {
  const bytes = Buffer.from(part, 'base64url');
  if (bytes.toString('base64url') !== part) throw new CaisseError('token_malformed', `The token ${what} is not canonical base64url.`);
  return bytes;
}

/**
 * Splits a compact JWS and checks everything that can be checked before choosing a key:
 * size, shape, header encoding, `alg` in the allow-list, `typ` among those expected,
 * a well-formed `kid`, and no key-bearing or critical header.
 */
export function decodeJws(token: unknown, expectedTypes: readonly TokenType[]): DecodedJws {
  if (typeof token !== 'string') throw new CaisseError('token_malformed', 'The token must be a string.');
  if (token.length > LIMITS.tokenLength) {
    throw new CaisseError('token_too_large', `The token is ${token.length} characters long; the limit is ${LIMITS.tokenLength}.`);
  }
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first < 0 || second < 0 || token.indexOf('.', second + 1) >= 0) {
    throw new CaisseError('token_malformed', 'The token must be a compact JWS: three base64url parts separated by dots.');
  }
  const encodedHeader = token.slice(0, first);
  const encodedPayload = token.slice(first + 1, second);
  const encodedSignature = token.slice(second + 1);
  if (!PART.test(encodedHeader) || !OPTIONAL_PART.test(encodedPayload) || !OPTIONAL_PART.test(encodedSignature)) {
    throw new CaisseError('token_malformed', 'Each part of the token must be unpadded base64url, and the header must not be empty.');
  }

  const header = parseJsonObject(decodePart(encodedHeader, 'header'), 'header');
  const { alg, typ, kid } = header;
  if (typeof alg !== 'string' || !(ALGORITHMS as readonly string[]).includes(alg)) {
    throw new CaisseError(
      'algorithm_not_allowed',
      `The token algorithm ${JSON.stringify(alg)?.slice(0, 20)} is not allowed; only EdDSA and ES256 are.`,
    );
  }
  for (const name of KEY_BEARING_HEADERS) {
    if (name in header)
      throw new CaisseError('header_key_refused', `The token header carries "${name}"; keys only come from the trusted key set.`);
  }
  if ('crit' in header)
    throw new CaisseError('header_unsupported', 'The token header lists critical extensions ("crit"), which Caisse does not support.');
  if (typeof typ !== 'string' || !(expectedTypes as readonly string[]).includes(typ)) {
    throw new CaisseError(
      'type_mismatch',
      `Expected a token of type ${expectedTypes.join(' or ')}, got ${JSON.stringify(typ)?.slice(0, 40)}.`,
    );
  }
  if (typeof kid !== 'string' || !KID.test(kid)) {
    throw new CaisseError('token_malformed', 'The token header needs a "kid" of 1–64 characters of A-Z a-z 0-9 . _ : -.');
  }
  return {
    alg: alg as Algorithm,
    typ: typ as TokenType,
    kid,
    header,
    signingInput: token.slice(0, second),
    encodedPayload,
    signature: decodePart(encodedSignature, 'signature'),
  };
}

/**
 * The claims of a compact JWS, read **without** verifying anything: to choose the keys
 * that will verify it, or to read back a token verified before and kept since (its bytes
 * bound by a hash or a seal). Never trust them for anything else. Undefined for anything
 * whose payload is not a JSON object.
 * @example const method = unverifiedClaims(storedVoucher)?.confirmation
 */
export function unverifiedClaims(token: unknown): Record<string, unknown> | undefined {
  if (typeof token !== 'string' || token.length > LIMITS.tokenLength) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown;
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `iss` of a compact JWS, read **without** verifying anything: only to choose whose
 * registered keys to verify it with, when one party accepts tokens from many issuers
 * (the payment server, from every merchant). Never trust it for anything else; after
 * verification, compare it with the verified claims.
 * @example const keys = await merchants.keySet(unverifiedIssuer(token) ?? '')
 */
export function unverifiedIssuer(token: unknown): string | undefined {
  const iss = unverifiedClaims(token)?.iss;
  return typeof iss === 'string' ? iss : undefined;
}
