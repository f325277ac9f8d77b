import { createSignature } from '../../jws/signature.js';
import type { SigningKey } from '../../keys/types.js';

const b64 = (text: string) => Buffer.from(text).toString('base64url');

/**
 * Signs exact header and payload JSON text, so tests can build tokens the kit would never
 * make: repeated members, hostile characters, a header lying about its algorithm.
 */
export function signRaw(headerJson: string, payloadJson: string, key: SigningKey): string {
  const input = `${b64(headerJson)}.${b64(payloadJson)}`;
  return `${input}.${createSignature(key.alg, key.key, input).toString('base64url')}`;
}

/** An unsigned token with the given parts and a dummy 64-byte signature. */
export function unsigned(header: object, payload: object): string {
  return `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}.${Buffer.alloc(64, 7).toString('base64url')}`;
}

/** The same token with one signature byte changed (still canonical base64url). */
export function tamperSignature(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}
