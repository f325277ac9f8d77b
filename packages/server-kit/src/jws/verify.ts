import { CaisseError, SUPPORTED_VERSIONS, type TokenType } from '@caisse/protocol';
import type { KeySet } from '../keys/types.js';
import { decodeJws, decodePart } from './decode.js';
import { parseJsonObject } from './json.js';
import { verifySignature } from './signature.js';

export interface VerifiedJws {
  typ: TokenType;
  kid: string;
  header: Record<string, unknown>;
  /** The payload, decoded only after the signature verified; claims are not yet checked. */
  payload: Record<string, unknown>;
}

/**
 * Verifies a compact JWS against a key set, in this order: shape and header, key by
 * `kid`, the key's algorithm, the signature, and only then the payload bytes. Claims are
 * the caller's job: nothing in an unauthenticated payload is looked at.
 */
export async function verifyJws(token: unknown, expectedTypes: readonly TokenType[], keys: KeySet): Promise<VerifiedJws> {
  const jws = decodeJws(token, expectedTypes);
  const key = await keys.get(jws.kid);
  if (key === undefined) throw new CaisseError('key_unknown', `No trusted key has kid "${jws.kid}".`);
  if (key.alg !== jws.alg) {
    throw new CaisseError('algorithm_not_allowed', `The token says ${jws.alg} but key "${jws.kid}" is a ${key.alg} key.`);
  }
  if (!verifySignature(jws.alg, key.key, jws.signingInput, jws.signature)) {
    throw new CaisseError('signature_invalid', `The signature does not verify with key "${jws.kid}".`);
  }
  const payload = parseJsonObject(decodePart(jws.encodedPayload, 'payload'), 'payload');
  if (typeof payload.ver !== 'number' || !SUPPORTED_VERSIONS.includes(payload.ver)) {
    throw new CaisseError(
      'version_unsupported',
      `The token has protocol version ${JSON.stringify(payload.ver)?.slice(0, 12)}; this kit reads ${SUPPORTED_VERSIONS.join(', ')}.`,
    );
  }
  return { typ: jws.typ, kid: jws.kid, header: jws.header, payload };
}
