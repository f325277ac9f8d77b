import { createHash, createHmac, generateKeyPairSync, type KeyObject, pbkdf2, randomBytes, randomUUID } from 'node:crypto';
import { type Agent, type IncomingMessage, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { type ConfirmationRequest, PROTOCOL_VERSION, TOKEN_TYPES } from '@caisse/protocol';
import { signJws } from '@caisse/server-kit';

/** The benches' phones: device keys, signed device assertions and the live device stream (docs/device-api.md). */

export const b64 = (bytes: Buffer): string => bytes.toString('base64url');

/** The PIN every bench phone's customer chose. */
const PIN = '4821';
/** docs/device-api.md: pinKey = PBKDF2-HMAC-SHA256(PIN, pinSalt, 310 000, 32 bytes), on the phone. */
const PIN_ITERATIONS = 310_000;

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

/** A phone as docs/device-api.md makes one: its device key, and its PIN key. */
export interface Phone extends DeviceKey {
  pinKey: Buffer;
}

export async function newPhone(): Promise<Phone> {
  const pinKey = await new Promise<Buffer>((resolve, reject) =>
    pbkdf2(PIN, randomBytes(16), PIN_ITERATIONS, 32, 'sha256', (error, key) => (error ? reject(error) : resolve(key))),
  );
  return { ...newDeviceKey(), pinKey };
}

/** The phone's approval of `request`: signed answer with its PIN proof (docs/device-api.md, "The answer"). */
export function approval(phone: Phone, issuer: string, request: ConfirmationRequest): string {
  const pinProof = b64(createHmac('sha256', phone.pinKey).update(`caisse-pin|approve|${request.id}|${request.challenge}`).digest());
  return signJws(
    TOKEN_TYPES.confirmation,
    {
      ver: PROTOCOL_VERSION,
      iss: phone.id,
      aud: issuer,
      jti: randomUUID(),
      iat: Math.floor(Date.now() / 1000),
      request: request.id,
      challenge: request.challenge,
      ticket: request.ticket.sha256,
      amount: request.amount,
      currency: request.currency,
      payee: request.payee.id,
      decision: 'approve',
      pinProof,
    },
    { kid: phone.id, alg: 'EdDSA', key: phone.key },
  );
}

/**
 * The phone in the customer's hand: its device stream open, and every request arriving
 * on it approved with the PIN. Resolves once the stream is open; `failed` is set when an
 * answer is refused (the run then stops).
 */
export async function listenAndApprove(
  phone: Phone,
  issuer: string,
  agent: Agent,
  state: { failed?: Error; answered: number },
): Promise<() => void> {
  const { hostname, port } = new URL(issuer);
  const answer = (asked: ConfirmationRequest) => {
    const body = JSON.stringify({ token: approval(phone, issuer, asked) });
    const outgoing = request(
      {
        agent,
        hostname,
        port,
        method: 'POST',
        path: `/device/requests/${asked.id}/answer`,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          if (response.statusCode === 200) state.answered++;
          else state.failed ??= new Error(`answer answered ${response.statusCode}: ${Buffer.concat(chunks).toString('utf8')}`);
        });
      },
    );
    outgoing.on('error', (error) => {
      state.failed ??= error;
    });
    outgoing.end(body);
  };
  const stream = await openDeviceStream(phone, issuer, agent, (data) => {
    if (data) answer(JSON.parse(data) as ConfirmationRequest);
  });
  return () => stream.destroy();
}
