import type { DeviceAlgorithm, DevicePublicJwk } from '../crypto/keys.js';

/**
 * What a device keeps for one enrolled customer. No PIN, no pinKey and no PIN hash:
 * only the salt, which is not secret, so the PIN can be checked by the server alone.
 */
export interface AccountRecord {
  deviceId: string;
  /** The payment server's issuer URL (its public base URL): requests go there, assertions name it. */
  server: string;
  /** The customer's account id at that server. */
  account: string;
  displayName?: string;
  /** The name this device gave itself at enrolment, if any. */
  name?: string;
  algorithm: DeviceAlgorithm;
  publicJwk: DevicePublicJwk;
  /** The signing key. A store gives it back non-extractable. */
  privateKey: CryptoKey;
  /** 16 random bytes, base64url: the PBKDF2 salt of this account's PIN. */
  pinSalt: string;
  /** Milliseconds since the epoch. */
  enrolledAt: number;
}

/**
 * Where a device keeps its accounts. `memoryStore`, `indexedDbStore` (browsers) and
 * `fileStore` (Node, from `@caisse/sdk/file-store`) implement it; so can an app's own.
 */
export interface DeviceStore {
  /**
   * True when the store writes private keys out (as JWK) and so needs them extractable
   * at generation; `get` and `list` must then give back a non-extractable copy.
   */
  readonly exportsKeys: boolean;
  list(): Promise<AccountRecord[]>;
  get(deviceId: string): Promise<AccountRecord | undefined>;
  put(record: AccountRecord): Promise<void>;
  delete(deviceId: string): Promise<void>;
}
