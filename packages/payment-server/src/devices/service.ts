import { createHash } from 'node:crypto';
import { canonicalJson, type PublicJwk } from '@caisse/protocol';
import { importPublicJwk, type KeySet } from '@caisse/server-kit';
import { accountLocked } from '../customers/errors.js';
import type { CustomerService } from '../customers/service.js';
import { ProblemError } from '../http/problem.js';
import type { Logger } from '../log.js';
import { type Executor, notify, type Queryable, withTransaction } from '../storage/database.js';
import { sqlState } from '../storage/errors.js';
import { enrollmentCodeHash, newEnrollmentCode, normaliseEnrollmentCode } from './codes.js';
import { deviceRevoked, deviceUnknown, enrollmentCodeInvalid, PinInvalidError } from './errors.js';
import { DEVICE_EVENTS_CHANNEL, type DeviceEvent } from './events.js';
import { DEVICE_ID, type Device, ENROLLMENT_CODE_LIFETIME, type EnrollInput } from './model.js';
import { type PinPurpose, pinProofMatches, sealPinVerifier } from './pin.js';

export interface DeviceServiceDeps {
  db: Executor;
  /** Counts PIN proofs in the customer's lockout counter. */
  customers: Pick<CustomerService, 'countAttempt' | 'get'>;
  /** `deriveKey(CAISSE_SECRET, 'key-sealing')`: seals PIN verifiers. */
  sealingKey: Buffer;
  now?: () => Date;
  log?: Logger;
}

/** A device as authentication sees it: its key and its sealed PIN verifier, revoked or not. */
export interface DeviceCredentials extends Device {
  readonly keys: KeySet;
  readonly sealedVerifier: string;
}

export interface DeviceService {
  /**
   * A one-time enrollment code for the customer, valid 10 minutes. Returned once, never
   * stored in clear (only its SHA-256) and never logged.
   * @throws ProblemError `customer_unknown`
   * @example const { code, expiresAt } = await devices.createCode('alice') // code: '1234 5678 9012'
   */
  createCode(customerId: string): Promise<{ code: string; expiresAt: Date }>;
  /**
   * Enrolls the key of an already verified assertion for the code's customer, spending
   * the code (compare-and-set: of two phones racing with one code, one enrolls).
   * @throws ProblemError `enrollment_code_invalid`, `request_invalid` (this key is already enrolled)
   */
  enroll(deviceId: string, input: EnrollInput): Promise<Device>;
  /** The device with its key, revoked or not; undefined when no such device exists. */
  credentials(deviceId: string, executor?: Queryable): Promise<DeviceCredentials | undefined>;
  /** The customer's devices, newest first, revoked ones included. */
  list(customerId: string): Promise<Device[]>;
  /**
   * Revokes the device (its open streams end, on every instance). `customerId`, when
   * given, must own it. Revoking a revoked device changes nothing.
   * @throws ProblemError `device_unknown`
   */
  revoke(deviceId: string, options?: { customerId?: string }): Promise<Device>;
  /**
   * Checks a PIN proof against the customer's lockout counter.
   * @throws PinInvalidError `pin_invalid` with `attemptsLeft`, ProblemError `account_locked` (the 5th wrong one, or already locked)
   */
  checkPin(device: DeviceCredentials, purpose: PinPurpose, binding: string, proof: string): Promise<void>;
  /**
   * What an approval without the PIN (a tap) still needs: the customer's account not
   * locked, as a PIN proof would have found. Counts nothing.
   * @throws ProblemError `account_locked`
   */
  checkUnlocked(device: DeviceCredentials): Promise<void>;
  /**
   * Replaces the PIN verifier after checking the old PIN's proof, bound to the request's assertion `jti`.
   * @throws as {@link DeviceService.checkPin}, `device_revoked`
   */
  changePin(device: DeviceCredentials, assertionJti: string, input: { pinProof: string; pinVerifier: string }): Promise<void>;
}

interface DeviceRow {
  id: string;
  customer_id: string;
  jwk: PublicJwk;
  alg: 'EdDSA' | 'ES256';
  name: string | null;
  pin_verifier_sealed: string;
  created_at: Date;
  revoked_at: Date | null;
}

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => SILENT };

function toDevice(row: DeviceRow): Device {
  return { id: row.id, customerId: row.customer_id, alg: row.alg, name: row.name, createdAt: row.created_at, revokedAt: row.revoked_at };
}

/**
 * The device id of a public JWK: `dev-` + its RFC 7638 SHA-256 thumbprint (the required
 * members only, in lexicographic order, no whitespace), base64url.
 * @example deviceIdOf({ kty: 'OKP', crv: 'Ed25519', x: '11qY…' }) // 'dev-kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'
 */
export function deviceIdOf(jwk: { kty: string; crv: string; x: string; y?: string }): string {
  const required = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return `dev-${createHash('sha256').update(canonicalJson(required)).digest('base64url')}`;
}

/** @example const devices = createDeviceService({ db, customers, sealingKey: deriveKey(secret, 'key-sealing') }) */
export function createDeviceService(deps: DeviceServiceDeps): DeviceService {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? SILENT;

  async function credentials(deviceId: string, executor: Queryable = db): Promise<DeviceCredentials | undefined> {
    if (typeof deviceId !== 'string' || !DEVICE_ID.test(deviceId)) return undefined;
    const { rows } = await executor.query<DeviceRow>('SELECT * FROM devices WHERE id = $1', [deviceId]);
    const row = rows[0];
    if (row === undefined) return undefined;
    const key = importPublicJwk(row.jwk);
    return { ...toDevice(row), sealedVerifier: row.pin_verifier_sealed, keys: { get: (kid) => (kid === row.id ? key : undefined) } };
  }

  const service: DeviceService = {
    async createCode(customerId) {
      await deps.customers.get(customerId);
      const code = newEnrollmentCode();
      const createdAt = now();
      const expiresAt = new Date(createdAt.getTime() + ENROLLMENT_CODE_LIFETIME * 1000);
      await db.query('INSERT INTO enrollment_codes (code_sha256, customer_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [
        enrollmentCodeHash(normaliseEnrollmentCode(code) as string),
        customerId,
        createdAt,
        expiresAt,
      ]);
      log.info('device.code_created', { customerId, expiresAt });
      return { code, expiresAt };
    },

    async enroll(deviceId, input) {
      const digits = normaliseEnrollmentCode(input.code);
      if (digits === undefined) throw enrollmentCodeInvalid();
      const at = now();
      try {
        const device = await withTransaction(db, async (tx) => {
          const { rows } = await tx.query<{ customer_id: string }>(
            `SELECT customer_id FROM enrollment_codes
              WHERE code_sha256 = $1 AND used_at IS NULL AND expires_at > $2 FOR UPDATE`,
            [enrollmentCodeHash(digits), at],
          );
          const customerId = rows[0]?.customer_id;
          if (customerId === undefined) throw enrollmentCodeInvalid();
          const inserted = await tx.query<DeviceRow>(
            `INSERT INTO devices (id, customer_id, jwk, alg, name, pin_verifier_sealed, created_at)
             VALUES ($1, $2, $3::text::jsonb, $4, $5, $6, $7) RETURNING *`,
            [
              deviceId,
              customerId,
              JSON.stringify({ ...input.jwk, kid: deviceId }),
              input.jwk.kty === 'OKP' ? 'EdDSA' : 'ES256',
              input.name ?? null,
              sealPinVerifier(deps.sealingKey, deviceId, input.pinVerifier),
              at,
            ],
          );
          const { rowCount } = await tx.query(
            'UPDATE enrollment_codes SET used_at = $2, device_id = $3 WHERE code_sha256 = $1 AND used_at IS NULL',
            [enrollmentCodeHash(digits), at, deviceId],
          );
          if (rowCount !== 1) throw enrollmentCodeInvalid();
          return toDevice(inserted.rows[0] as DeviceRow);
        });
        log.info('device.enrolled', { customerId: device.customerId, deviceId });
        return device;
      } catch (error) {
        if (sqlState(error) === '23505') {
          throw new ProblemError('request_invalid', 'This key is already enrolled: generate a new key to enroll again.', { cause: error });
        }
        throw error;
      }
    },

    credentials,

    async list(customerId) {
      const { rows } = await db.query<DeviceRow>('SELECT * FROM devices WHERE customer_id = $1 ORDER BY created_at DESC, id', [customerId]);
      return rows.map(toDevice);
    },

    async revoke(deviceId, options = {}) {
      const device = await withTransaction(db, async (tx) => {
        const found = await credentials(deviceId, tx);
        if (found === undefined || (options.customerId !== undefined && found.customerId !== options.customerId)) throw deviceUnknown();
        if (found.revokedAt !== null) return found;
        const { rows } = await tx.query<DeviceRow>('UPDATE devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING *', [
          deviceId,
          now(),
        ]);
        const event: DeviceEvent = { kind: 'revoked', customerId: found.customerId, deviceId };
        await notify(tx, DEVICE_EVENTS_CHANNEL, JSON.stringify(event));
        return toDevice(rows[0] as DeviceRow);
      });
      log.info('device.revoked', { customerId: device.customerId, deviceId });
      return device;
    },

    async checkPin(device, purpose, binding, proof) {
      const right = pinProofMatches(deps.sealingKey, device, purpose, binding, proof);
      const counted = await deps.customers.countAttempt(device.customerId, { right, factor: 'PIN' });
      if (counted.right) return;
      log.warn('device.pin_invalid', { customerId: device.customerId, deviceId: device.id, attemptsLeft: counted.attemptsLeft });
      // The attempt that locks the account is answered as the lock it caused.
      if (counted.attemptsLeft === 0) throw accountLocked();
      throw new PinInvalidError(counted.attemptsLeft);
    },

    async checkUnlocked(device) {
      if ((await deps.customers.get(device.customerId)).lockedAt !== null) throw accountLocked();
    },

    async changePin(device, assertionJti, input) {
      await service.checkPin(device, 'pin-change', assertionJti, input.pinProof);
      const { rowCount } = await db.query('UPDATE devices SET pin_verifier_sealed = $2 WHERE id = $1 AND revoked_at IS NULL', [
        device.id,
        sealPinVerifier(deps.sealingKey, device.id, input.pinVerifier),
      ]);
      if (rowCount !== 1) throw deviceRevoked();
      log.info('device.pin_changed', { customerId: device.customerId, deviceId: device.id });
    },
  };
  return service;
}
