import type { Algorithm as ProtocolAlgorithm } from '@caisse/protocol';
import { base64urlEncode } from '@caisse/protocol/base64url';

/** A device key signs with one of the protocol's algorithms, no other. */
export type DeviceAlgorithm = ProtocolAlgorithm;

/** The public members of a device key, as the payment server registers it. */
export type DevicePublicJwk =
  | { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; alg: 'EdDSA' }
  | { kty: 'EC'; crv: 'P-256'; x: string; y: string; kid: string; alg: 'ES256' };

export interface DeviceKeyPair {
  algorithm: DeviceAlgorithm;
  privateKey: CryptoKey;
  publicJwk: DevicePublicJwk;
  /** `dev-` + the RFC 7638 thumbprint of the public key. */
  deviceId: string;
}

const PARAMS: Record<DeviceAlgorithm, EcKeyGenParams | Algorithm> = {
  EdDSA: { name: 'Ed25519' },
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
};

/** What `crypto.subtle.sign` needs for each algorithm. */
export const SIGN_PARAMS: Record<DeviceAlgorithm, Algorithm | EcdsaParams> = {
  EdDSA: { name: 'Ed25519' },
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
};

let ed25519: Promise<boolean> | undefined;

/**
 * Whether this runtime's WebCrypto signs with Ed25519 (Node 20, Chrome 137+, Firefox
 * 129+, Safari 17+). Feature-detected by generating a throwaway key, because older
 * engines only fail when asked.
 */
export function supportsEd25519(): Promise<boolean> {
  ed25519 ??= crypto.subtle.generateKey(PARAMS.EdDSA, false, ['sign', 'verify']).then(
    () => true,
    () => false,
  );
  return ed25519;
}

/**
 * RFC 7638 §3: SHA-256 over the required members in lexicographic order, no spaces.
 * @example await thumbprint({ kty: 'OKP', crv: 'Ed25519', x: '11qY…' }) // 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'
 */
export async function thumbprint(jwk: { kty: string; crv: string; x: string; y?: string }): Promise<string> {
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(members)));
  return base64urlEncode(new Uint8Array(digest));
}

async function describe(algorithm: DeviceAlgorithm, privateKey: CryptoKey, publicKey: CryptoKey): Promise<DeviceKeyPair> {
  const exported = await crypto.subtle.exportKey('jwk', publicKey);
  const jwk = { kty: exported.kty as string, crv: exported.crv as string, x: exported.x as string, y: exported.y };
  const deviceId = `dev-${await thumbprint(jwk)}`;
  // Only the members the server needs: WebCrypto's `ext` and `key_ops` say nothing about the key.
  const publicJwk: DevicePublicJwk =
    algorithm === 'EdDSA'
      ? { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: deviceId, alg: 'EdDSA' }
      : { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y as string, kid: deviceId, alg: 'ES256' };
  return { algorithm, privateKey, publicJwk, deviceId };
}

/**
 * A new device key pair: Ed25519 where the runtime has it, P-256 otherwise (or the one
 * asked for). The private key is non-extractable unless a store that writes keys out
 * (the file store) needs it.
 */
export async function generateDeviceKey(options: { algorithm?: DeviceAlgorithm; extractable: boolean }): Promise<DeviceKeyPair> {
  const algorithm = options.algorithm ?? ((await supportsEd25519()) ? 'EdDSA' : 'ES256');
  const pair = (await crypto.subtle.generateKey(PARAMS[algorithm], options.extractable, ['sign', 'verify'])) as CryptoKeyPair;
  return describe(algorithm, pair.privateKey, pair.publicKey);
}

/** Imports a private JWK kept by a store, non-extractable: the key stays in memory only as a signer. */
export function importPrivateKey(algorithm: DeviceAlgorithm, jwk: JsonWebKey): Promise<CryptoKey> {
  const { kty, crv, x, y, d } = jwk;
  return crypto.subtle.importKey('jwk', { kty, crv, x, y, d }, PARAMS[algorithm], false, ['sign']);
}
