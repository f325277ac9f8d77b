import type { TokenType } from '@caisse/protocol';
import type { SigningKey } from '../keys/types.js';
import { createSignature } from './signature.js';

/**
 * Signs a payload as a compact JWS whose protected header is exactly `{alg, typ, kid}`.
 * @example const token = signJws('caisse-ticket+jwt', claims, signingKey)
 */
export function signJws(typ: TokenType, payload: object, signingKey: SigningKey): string {
  const header = Buffer.from(JSON.stringify({ alg: signingKey.alg, typ, kid: signingKey.kid })).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const signingInput = `${header}.${body}`;
  return `${signingInput}.${createSignature(signingKey.alg, signingKey.key, signingInput).toString('base64url')}`;
}
