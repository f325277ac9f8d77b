import { base64urlEncode } from '@caisse/protocol/base64url';
import { type DeviceAlgorithm, SIGN_PARAMS } from './keys.js';

/**
 * A compact JWS (RFC 7515 §7.1). WebCrypto's Ed25519 and ECDSA signatures are already in
 * JWS form: 64 raw bytes, and for ES256 `r || s` (IEEE P1363), not DER.
 */
export async function signJws(
  header: { alg: DeviceAlgorithm; typ: string; kid: string },
  payload: object,
  key: CryptoKey,
): Promise<string> {
  const input = `${base64urlEncode(JSON.stringify(header))}.${base64urlEncode(JSON.stringify(payload))}`;
  const signature = await crypto.subtle.sign(SIGN_PARAMS[header.alg], key, new TextEncoder().encode(input));
  return `${input}.${base64urlEncode(new Uint8Array(signature))}`;
}

/** A fresh single-use id: 128 random bits, hex (the protocol's `id` must start with a letter or digit). */
export function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
