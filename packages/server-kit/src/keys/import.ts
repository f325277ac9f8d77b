import { createPrivateKey, createPublicKey, type JsonWebKey } from 'node:crypto';
import { type Algorithm, CaisseError, type PublicJwk, type PublicJwks, parseMessage, publicJwk, publicJwks } from '@caisse/protocol';
import type { KeySet, SigningKey, VerificationKey } from './types.js';

function algorithmOf(jwk: { kty?: unknown; crv?: unknown }): Algorithm | undefined {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  return undefined;
}

/**
 * Imports one public JWK (Ed25519 or P-256, with a `kid`). Throws `keys_invalid` when
 * the JWK is malformed, holds a private member, or is not a point on its curve.
 */
export function importPublicJwk(value: unknown): VerificationKey {
  const jwk = parseMessage(publicJwk, value, 'keys_invalid');
  const alg = algorithmOf(jwk) as Algorithm;
  try {
    const { kid: _kid, alg: _alg, use: _use, key_ops: _ops, ext: _ext, ...material } = jwk;
    return { kid: jwk.kid, alg, jwk, key: createPublicKey({ key: material as JsonWebKey, format: 'jwk' }) };
  } catch (cause) {
    throw new CaisseError('keys_invalid', `Key "${jwk.kid}" is not a valid ${alg} public key.`, { cause });
  }
}

/**
 * Imports a merchant's or a payment server's private JWK for signing.
 * @example const key = importSigningKey(JSON.parse(process.env.CAISSE_MERCHANT_KEY!))
 */
export function importSigningKey(value: unknown): SigningKey {
  const jwk = value as Record<string, unknown> | null;
  const alg = jwk && typeof jwk === 'object' ? algorithmOf(jwk) : undefined;
  if (!jwk || !alg || typeof jwk.d !== 'string') {
    throw new CaisseError('keys_invalid', 'A signing key must be a private Ed25519 (OKP) or P-256 (EC) JWK with "d".');
  }
  if (typeof jwk.kid !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(jwk.kid)) {
    throw new CaisseError('keys_invalid', 'A signing key needs a "kid" of 1–64 characters of A-Z a-z 0-9 . _ : -.');
  }
  if (jwk.alg !== undefined && jwk.alg !== alg)
    throw new CaisseError('keys_invalid', `Key "${jwk.kid}" says alg ${String(jwk.alg)} but is a ${alg} key.`);
  try {
    const { kid: _kid, alg: _alg, use: _use, key_ops: _ops, ext: _ext, ...material } = jwk;
    return { kid: jwk.kid, alg, key: createPrivateKey({ key: material as JsonWebKey, format: 'jwk' }) };
  } catch (cause) {
    throw new CaisseError('keys_invalid', `Key "${jwk.kid}" is not a valid ${alg} private key.`, { cause });
  }
}

/**
 * A signing key as configuration gives it: already imported (a `SigningKey`), or a private JWK to import.
 * @example const key = signingKeyOf(config.signingKey)
 */
export function signingKeyOf(value: SigningKey | Record<string, unknown>): SigningKey {
  const candidate = value as Partial<SigningKey>;
  return typeof candidate.key === 'object' && typeof candidate.alg === 'string' ? (value as SigningKey) : importSigningKey(value);
}

/** Imports a whole public JWKS: refuses duplicate `kid`s, private members and foreign key types. */
export function importPublicJwks(value: unknown): Map<string, VerificationKey> {
  const jwks: PublicJwks = parseMessage(publicJwks, value, 'keys_invalid');
  return new Map(jwks.keys.map((jwk: PublicJwk) => [jwk.kid, importPublicJwk(jwk)]));
}

/**
 * A fixed set of trusted keys, e.g. the payment server's JWKS saved in configuration.
 * @example const keys = staticKeySet(JSON.parse(fs.readFileSync('payment-server-jwks.json', 'utf8')))
 */
export function staticKeySet(jwks: unknown): KeySet {
  const keys = importPublicJwks(jwks);
  return { get: (kid) => keys.get(kid) };
}
