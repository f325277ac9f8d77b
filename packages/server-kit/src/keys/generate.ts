import { createHash, generateKeyPairSync } from 'node:crypto';
import { type Algorithm, canonicalJson, type Mode, modeOfKid, type PublicJwk, TEST_KEY_PREFIX } from '@caisse/protocol';
import { importSigningKey } from './import.js';
import type { SigningKey } from './types.js';

export interface GeneratedKey {
  kid: string;
  alg: Algorithm;
  /** `test` for a test key (its `kid` starts with `test_`): it signs test tickets, and its merchant accepts only test vouchers. */
  mode: Mode;
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
 * Options of {@link generateKey}.
 * @example const options: GenerateKeyOptions = { alg: 'ES256', test: true }
 */
export interface GenerateKeyOptions {
  /** `EdDSA` (Ed25519, the default) or `ES256` (P-256). */
  alg?: Algorithm;
  /** The key id; by default derived from the key (RFC 7638), with `test_` before it for a test key. */
  kid?: string;
  /**
   * A test key: its `kid` starts with `test_`, which is what makes a merchant a test
   * merchant (its tickets carry `test: true`; it accepts only test vouchers and
   * notifications). Only a payment server in test mode registers it. A `kid` you give must
   * then start with `test_` too.
   */
  test?: boolean;
}

/**
 * Generates a signing key pair: Ed25519 by default, P-256 with `alg: 'ES256'`; a test key
 * with `test: true`.
 * @example const { privateJwk, jwks } = generateKey() // store privateJwk as a secret, register jwks
 * @example const { privateJwk, jwks, kid } = generateKey({ test: true }) // kid 'test_…': for the demo or a test payment server
 */
export function generateKey(options: GenerateKeyOptions = {}): GeneratedKey {
  const alg = options.alg ?? 'EdDSA';
  if (options.kid !== undefined && options.test !== undefined && (modeOfKid(options.kid) === 'test') !== options.test) {
    throw new TypeError(
      options.test
        ? `A test key's kid starts with "${TEST_KEY_PREFIX}"; "${options.kid}" does not.`
        : `A kid starting with "${TEST_KEY_PREFIX}" names a test key; choose another for a live key.`,
    );
  }
  const pair = alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const material = pair.privateKey.export({ format: 'jwk' }) as Record<string, string>;
  const kid =
    options.kid ??
    `${options.test ? TEST_KEY_PREFIX : ''}${thumbprintKid(material as { kty: string; crv: string; x: string; y?: string })}`;
  const privateJwk: Record<string, string> = { ...material, kid, alg, use: 'sig' };
  const { d: _secret, ...publicMembers } = privateJwk;
  const publicJwk = publicMembers as unknown as PublicJwk;
  return {
    kid,
    alg,
    mode: modeOfKid(kid),
    privateJwk,
    publicJwk,
    jwks: { keys: [publicJwk] },
    signingKey: importSigningKey(privateJwk),
  };
}
