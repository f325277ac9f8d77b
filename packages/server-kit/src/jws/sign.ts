import type { TokenType } from '@caisse/protocol';
import type { SigningKey } from '../keys/types.js';
import { createSignature } from './signature.js';

/** Each key signs few kinds of token, always with the same header: encode it once. */
const headers = new WeakMap<SigningKey, Map<TokenType, string>>();

function encodedHeader(typ: TokenType, signingKey: SigningKey): string {
  let byType = headers.get(signingKey);
  if (!byType) {
    byType = new Map();
    headers.set(signingKey, byType);
  }
  let header = byType.get(typ);
  if (header === undefined) {
    header = Buffer.from(JSON.stringify({ alg: signingKey.alg, typ, kid: signingKey.kid })).toString('base64url');
    byType.set(typ, header);
  }
  return header;
}

/**
 * Signs a payload as a compact JWS whose protected header is exactly `{alg, typ, kid}`.
 * @example const token = signJws('caisse-ticket+jwt', claims, signingKey)
 */
export function signJws(typ: TokenType, payload: object, signingKey: SigningKey): string {
  const header = encodedHeader(typ, signingKey);
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const signingInput = `${header}.${body}`;
  return `${signingInput}.${createSignature(signingKey.alg, signingKey.key, signingInput).toString('base64url')}`;
}
