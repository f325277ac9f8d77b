import { type KeyObject, sign, verify } from 'node:crypto';
import type { Algorithm } from '@caisse/protocol';

/** Both algorithms produce 64-byte signatures: Ed25519 (RFC 8032) and ES256 as raw r‖s (RFC 7518 §3.4). */
const SIGNATURE_LENGTH = 64;

/**
 * Verifies with a cached `KeyObject` straight through node:crypto: no WebCrypto hop and
 * no key import per call, which is what keeps verification near the raw crypto speed.
 */
export function verifySignature(alg: Algorithm, key: KeyObject, signingInput: string, signature: Buffer): boolean {
  if (signature.length !== SIGNATURE_LENGTH) return false;
  const data = Buffer.from(signingInput, 'latin1');
  if (alg === 'EdDSA') return verify(null, data, key, signature);
  return verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
}

export function createSignature(alg: Algorithm, key: KeyObject, signingInput: string): Buffer {
  const data = Buffer.from(signingInput, 'latin1');
  if (alg === 'EdDSA') return sign(null, data, key);
  return sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
}
