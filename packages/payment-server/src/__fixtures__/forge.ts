/** Test support: compact JWS with any header and payload bytes, for tokens the kit's `signJws` never writes. Not exported from the package. */
import { sign } from 'node:crypto';
import type { SigningKey } from '@caisse/server-kit';

const b64 = (data: string | Uint8Array) => Buffer.from(data).toString('base64url');
const bytes = (part: object | string | Uint8Array) =>
  typeof part === 'string' || part instanceof Uint8Array ? part : JSON.stringify(part);

/**
 * A compact JWS over exactly these header and payload texts (objects are JSON-encoded),
 * signed with `key` as its algorithm signs, whatever the header says.
 * @example forge({ alg: 'EdDSA', typ: 'caisse-ticket+jwt', kid, crit: ['exp'] }, claims, key)
 */
export function forge(header: object | string, payload: object | string | Uint8Array, key: SigningKey): string {
  const signingInput = `${b64(bytes(header))}.${b64(bytes(payload))}`;
  const data = Buffer.from(signingInput);
  const signature = key.alg === 'EdDSA' ? sign(null, data, key.key) : sign('sha256', data, { key: key.key, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${b64(signature)}`;
}

/** An unsigned compact JWS (empty signature), e.g. `alg: none`. */
export function unsigned(header: object, payload: object): string {
  return `${b64(bytes(header))}.${b64(bytes(payload))}.`;
}
