import type { AssertionClaims } from '@caisse/protocol';
import type { KeySet } from '@caisse/server-kit';
import type { Context } from 'hono';
import { ASSERTION_CLOCK_TOLERANCE, assertionFromHeader, verifyIssuedAssertion } from '../api/assertion.js';
import { singleUse } from '../api/single-use.js';
import { ProblemError } from '../http/problem.js';
import type { Logger } from '../log.js';
import type { Queryable } from '../storage/database.js';
import { deviceRevoked, deviceUnknown } from './errors.js';
import { DEVICE_ASSERTION_LIFETIME } from './model.js';
import type { DeviceCredentials, DeviceService } from './service.js';

/** `Authorization: Caisse-Device <assertion>`: the merchant API's assertions, signed by a phone's key. */
export const DEVICE_SCHEME = 'Caisse-Device';

export interface DeviceAuthOptions {
  issuer: string;
  /** Where used `jti`s are recorded (`api_assertions`, keyed by device id). */
  db: Queryable;
  devices: Pick<DeviceService, 'credentials'>;
  now?: () => Date;
  clockTolerance?: number;
  log?: Logger;
  purgeInterval?: number;
}

/** A verified device request: its claims, and the device (absent at enrollment, whose key is not registered yet). */
export interface DeviceRequest {
  claims: AssertionClaims;
  device?: DeviceCredentials;
}

/**
 * Authenticates device requests exactly as the merchant API authenticates merchants
 * (`verifyIssuedAssertion`, then single use of the `jti` in the same store), with the
 * device's registered key, assertions of at most 60 s, and the device's own codes: an
 * unknown key or a bad signature is `device_unknown` (the answer does not tell them
 * apart), a revoked device `device_revoked`, a replay `token_replayed`.
 * @example const { claims, device } = await auth.enrolled(c)
 */
export function createDeviceAuth(options: DeviceAuthOptions) {
  const now = options.now ?? (() => new Date());
  const tolerance = options.clockTolerance ?? ASSERTION_CLOCK_TOLERANCE;
  const spend = singleUse({ ...options, now, clockTolerance: tolerance });

  /**
   * Verifies the request's assertion with the registered device key, or with `enrolling`
   * (the key of an enrollment, valid for its own device id only).
   */
  async function verify(c: Context, enrolling?: { deviceId: string; keys: KeySet }): Promise<DeviceRequest> {
    const token = assertionFromHeader(c.req.header('authorization'), DEVICE_SCHEME);
    const body = new Uint8Array(await c.req.arrayBuffer());
    let device: DeviceCredentials | undefined;
    let claims: AssertionClaims;
    try {
      claims = await verifyIssuedAssertion(
        token,
        { method: c.req.method, url: c.req.url, body },
        { issuer: options.issuer, now, clockTolerance: tolerance },
        {
          async keySet(iss) {
            if (enrolling) return iss === enrolling.deviceId ? enrolling.keys : undefined;
            device = await options.devices.credentials(iss);
            return device?.keys;
          },
          unknown: deviceUnknown,
          maxLifetime: DEVICE_ASSERTION_LIFETIME,
        },
      );
    } catch (error) {
      if (error instanceof ProblemError && (error.code === 'key_unknown' || error.code === 'signature_invalid')) throw deviceUnknown();
      throw error;
    }
    if (device?.revokedAt != null) throw deviceRevoked();
    await spend(claims);
    return device ? { claims, device } : { claims };
  }

  /** Verifies a request of an enrolled device: every device route but enrollment. */
  async function enrolled(c: Context): Promise<Required<DeviceRequest>> {
    const { claims, device } = await verify(c);
    if (device === undefined) throw deviceUnknown();
    return { claims, device };
  }

  return { verify, enrolled };
}

export type DeviceAuth = ReturnType<typeof createDeviceAuth>;
