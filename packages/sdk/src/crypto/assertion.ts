import { PROTOCOL_VERSION, sha256Base64url, TOKEN_TYPES } from '@caisse/protocol';
import { randomId, signJws } from './jws.js';
import type { DeviceAlgorithm } from './keys.js';

/** The device API allows at most 60 s; we take all of it for slow mobile links. */
const ASSERTION_LIFETIME = 60;

export interface Signer {
  deviceId: string;
  algorithm: DeviceAlgorithm;
  privateKey: CryptoKey;
  issuer: string;
}

/**
 * A fresh `caisse-assertion+jwt` for one request, bound to its method, URL (the issuer
 * followed by the path and query) and body bytes, as the merchant API's assertions are.
 * The caller may choose the `jti`: the PIN-change proof is bound to it.
 */
export async function createAssertion(
  signer: Signer,
  request: { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; path: string; body?: string },
  now: () => Date,
  jti = randomId(),
): Promise<string> {
  const iat = Math.floor(now().getTime() / 1000);
  const claims = {
    ver: PROTOCOL_VERSION,
    iss: signer.deviceId,
    aud: signer.issuer,
    jti,
    iat,
    exp: iat + ASSERTION_LIFETIME,
    htm: request.method,
    htu: `${signer.issuer}${request.path}`,
    ...(request.body === undefined ? {} : { bodySha256: await sha256Base64url(request.body) }),
  };
  const header = { alg: signer.algorithm, typ: TOKEN_TYPES.assertion, kid: signer.deviceId };
  return signJws(header, claims, signer.privateKey);
}
