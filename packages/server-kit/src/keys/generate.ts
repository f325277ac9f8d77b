import { createHash, generateKeyPairSync } from 'node:crypto';
import { type Algorithm, canonicalJson, type PublicJwk } from '@caisse/protocol';
import { importSigningKey } from './import.js';
import type { SigningKey } from './types.js';

export interface GeneratedKey {
  kid: string;
  alg: Algorithm;
  /** Keep secret: the merchant backend signs tickets with it. */
  privateJwk: Record<string, string>;
  publicJwk: PublicJwk;
  /** What to register with the payment server. */
  jwks: { keys: PublicJwk[] };
  signingKey: SigningKey;
}

/**
 * The RFC 7638 thumbprint's first 128 bits in hex: a `kid` derived from the key itself,
 * so the same key always gets the same id and two keys practically never share one.
 */
export function thumbprintKid(jwk: { kty: string; crv: string; x: string; y?: string }): string {
  const required = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash('sha256').update(canonicalJson(required)).digest('hex').slice(0, 32);
}

/**
 * Generates a signing key pair: Ed25519 by default, P-256 with `alg: 'ES256'`.
 * @example const { privateJwk, jwks } = generateKey() // store privateJwk as a secret, register jwks
 */
export function generateKey(options: { alg?: Algorithm; kid?: string } = {}): GeneratedKey {
  const alg = options.alg ?? 'EdDSA';
  const pair = alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const material = pair.privateKey.export({ format: 'jwk' }) as Record<string, string>;
  const kid = options.kid ?? thumbprintKid(material as { kty: string; crv: string; x: string; y?: string });
  const privateJwk: Record<string, string> = { ...material, kid, alg, use: 'sig' };
  const { d: _secret, ...publicMembers } = privateJwk;
  const publicJwk = publicMembers as unknown as PublicJwk;
  return { kid, alg, privateJwk, publicJwk, jwks: { keys: [publicJwk] }, signingKey: importSigningKey(privateJwk) };
}
