/**
 * A phone for tests, built on node:crypto only, as docs/device-api.md describes one (the
 * real SDK is `@caisse/sdk`): an Ed25519 key whose id is `dev-` + its RFC 7638
 * thumbprint, a PIN turned into pinKey with PBKDF2, and the assertions, PIN proofs and
 * signed answers the payment server checks.
 */
import { createHash, createHmac, generateKeyPairSync, pbkdf2Sync, randomBytes, randomUUID } from 'node:crypto';
import { type ConfirmationRequest, TOKEN_TYPES } from '@caisse/protocol';
import { signJws } from '@caisse/server-kit';
import type { PinPurpose } from '../devices/pin.js';

export const PIN_ITERATIONS = 310_000;

const b64 = (bytes: Buffer) => bytes.toString('base64url');

export interface TestDevice {
  id: string;
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; alg: 'EdDSA' };
  /** `base64url(pinKey)` for this PIN: what enrollment and PIN change send. */
  verifier(pin: string): string;
  pinProof(pin: string, purpose: PinPurpose, binding: string): string;
  /** A `Caisse-Device` assertion for this request; `claims` overrides any claim. */
  assertion(request: { method: string; path: string; body?: string }, claims?: Record<string, unknown>): string;
  /** A signed answer to `request`; `claims` overrides any claim (to test dynamic linking). */
  answer(request: ConfirmationRequest, decision: 'approve' | 'decline', pin?: string, claims?: Record<string, unknown>): string;
  /** A call to the payment server authenticated by this device (JSON body when given). */
  call(
    path: string,
    init?: { method?: string; body?: unknown; headers?: Record<string, string>; claims?: Record<string, unknown> },
  ): Promise<Response>;
  /** Enrolls with a code; resolves with the raw response. */
  enroll(code: string, options?: { pin?: string; name?: string }): Promise<Response>;
  /** Answers a request through the API. */
  send(request: ConfirmationRequest, decision: 'approve' | 'decline', pin?: string, claims?: Record<string, unknown>): Promise<Response>;
}

/**
 * `now`: the phone's clock, to date its assertions and answers by the payment server's
 * frozen clock. Default: the real one.
 * @example const phone = createTestDevice(server.url); await phone.enroll(code, { pin: '4821' })
 */
export function createTestDevice(issuer: string, options: { now?: () => Date } = {}): TestDevice {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const { x } = publicKey.export({ format: 'jwk' }) as { x: string };
  // RFC 7638: the required members in lexicographic order, no whitespace.
  const id = `dev-${b64(createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest())}`;
  const signingKey = { kid: id, alg: 'EdDSA' as const, key: privateKey };
  const pinSalt = randomBytes(16);
  const pinKeys = new Map<string, Buffer>();
  const pinKey = (pin: string) => {
    let key = pinKeys.get(pin);
    if (key === undefined) {
      key = pbkdf2Sync(Buffer.from(pin, 'utf8'), pinSalt, PIN_ITERATIONS, 32, 'sha256');
      pinKeys.set(pin, key);
    }
    return key;
  };
  const now = () => Math.floor((options.now?.() ?? new Date()).getTime() / 1000);

  const device: TestDevice = {
    id,
    jwk: { kty: 'OKP', crv: 'Ed25519', x, kid: id, alg: 'EdDSA' },
    verifier: (pin) => b64(pinKey(pin)),
    pinProof: (pin, purpose, binding) => b64(createHmac('sha256', pinKey(pin)).update(`caisse-pin|${purpose}|${binding}`).digest()),

    assertion(request, claims = {}) {
      const iat = now();
      return signJws(
        TOKEN_TYPES.assertion,
        {
          ver: 1,
          iss: id,
          aud: issuer,
          jti: randomUUID(),
          iat,
          exp: iat + 60,
          htm: request.method,
          htu: `${issuer}${request.path}`,
          ...(request.body ? { bodySha256: b64(createHash('sha256').update(request.body).digest()) } : {}),
          ...claims,
        },
        signingKey,
      );
    },

    answer(request, decision, pin, claims = {}) {
      return signJws(
        TOKEN_TYPES.confirmation,
        {
          ver: 1,
          iss: id,
          aud: issuer,
          jti: randomUUID(),
          iat: now(),
          request: request.id,
          challenge: request.challenge,
          ticket: request.ticket.sha256,
          amount: request.amount,
          currency: request.currency,
          payee: request.payee.id,
          decision,
          ...(pin === undefined ? {} : { pinProof: device.pinProof(pin, 'approve', `${request.id}|${request.challenge}`) }),
          ...claims,
        },
        signingKey,
      );
    },

    call(path, init = {}) {
      const method = init.method ?? (init.body === undefined ? 'GET' : 'POST');
      const body = init.body === undefined ? undefined : JSON.stringify(init.body);
      return fetch(`${issuer}${path}`, {
        method,
        headers: {
          authorization: `Caisse-Device ${device.assertion({ method, path, ...(body ? { body } : {}) }, init.claims)}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...init.headers,
        },
        ...(body ? { body } : {}),
      });
    },

    enroll(code, options = {}) {
      return device.call('/device/enroll', {
        body: {
          code,
          jwk: device.jwk,
          pinVerifier: device.verifier(options.pin ?? '4821'),
          ...(options.name ? { name: options.name } : {}),
        },
      });
    },

    send(request, decision, pin, claims) {
      return fetch(`${issuer}/device/requests/${request.id}/answer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: device.answer(request, decision, pin, claims) }),
      });
    },
  };
  return device;
}
