import { createHash, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { type Agent, type IncomingMessage, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { PROTOCOL_VERSION, TOKEN_TYPES } from '@caisse/protocol';
import { signJws } from '@caisse/server-kit';

/** The benches' phones: device keys, signed device assertions and the live device stream (docs/device-api.md). */

export const b64 = (bytes: Buffer): string => bytes.toString('base64url');

/** A device's public key as enrollment sends it. */
export interface DeviceJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
}

export interface DeviceKey {
  id: string;
  jwk: DeviceJwk;
  key: KeyObject;
}

/** A device key as docs/device-api.md makes one: Ed25519, id `dev-` + the RFC 7638 thumbprint. */
export function newDeviceKey(): DeviceKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const { x } = publicKey.export({ format: 'jwk' }) as { x: string };
  const id = `dev-${b64(createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest())}`;
  return { id, jwk: { kty: 'OKP', crv: 'Ed25519', x, kid: id, alg: 'EdDSA' }, key: privateKey };
}

export function deviceAssertion(device: DeviceKey, issuer: string, method: string, path: string): string {
  const iat = Math.floor(Date.now() / 1000);
  return signJws(
    TOKEN_TYPES.assertion,
    { ver: PROTOCOL_VERSION, iss: device.id, aud: issuer, jti: randomUUID(), iat, exp: iat + 60, htm: method, htu: `${issuer}${path}` },
    { kid: device.id, alg: 'EdDSA', key: device.key },
  );
}

/**
 * Opens a device's live stream (`GET /device/requests`) and calls `onRequest` with the
 * data of each `request` event and when its chunk arrived. Resolves with the open
 * response once the server has answered 200.
 */
export function openDeviceStream(
  device: DeviceKey,
  issuer: string,
  agent: Agent,
  onRequest: (data: string | undefined, at: number) => void,
): Promise<IncomingMessage> {
  const { hostname, port } = new URL(issuer);
  const path = '/device/requests';
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        agent,
        hostname,
        port,
        path,
        method: 'GET',
        headers: { accept: 'text/event-stream', authorization: `Caisse-Device ${deviceAssertion(device, issuer, 'GET', path)}` },
      },
      (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(new Error(`device stream answered ${response.statusCode}`));
          return;
        }
        response.setEncoding('utf8');
        let buffer = '';
        response.on('data', (chunk: string) => {
          const at = performance.now();
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (block.includes('event: request')) onRequest(/^data: (.*)$/m.exec(block)?.[1], at);
          }
        });
        resolve(response);
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}
