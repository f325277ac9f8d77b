import { isAllowedUrl } from '@caisse/protocol';
import { base64urlEncode } from '@caisse/protocol/base64url';
import { type Account, accountOf } from './account.js';
import { createAssertion } from './crypto/assertion.js';
import { type DeviceAlgorithm, generateDeviceKey } from './crypto/keys.js';
import { checkPinFormat, derivePinKey, pinVerifier } from './crypto/pin.js';
import { CaisseDeviceError } from './errors.js';
import { jsonBody, sendSigned } from './http/send.js';
import { type ServerClock, serverClock } from './http/server-clock.js';
import type { Backoff } from './requests-stream.js';
import type { AccountRecord, DeviceStore } from './stores/store.js';

export interface DeviceOptions {
  /** Where accounts and keys are kept: `indexedDbStore()`, `fileStore(path)`, `memoryStore()`. */
  store: DeviceStore;
  /**
   * The payment server's issuer URL (its public base URL, the `issuer` of its
   * `/.well-known/caisse`), used by `enroll` when no other is given.
   */
  server?: string;
  /** Force a key algorithm; by default Ed25519 where WebCrypto has it, P-256 otherwise. */
  algorithm?: DeviceAlgorithm;
  /** Reconnection waits of `account.requests()`. */
  backoff?: Backoff;
  /** The clock of assertions and answers (tests). */
  now?: () => Date;
}

export interface EnrollOptions {
  /** The one-time enrolment code the payment server sent the customer. */
  code: string;
  /** The PIN the customer chose: 4–12 digits. It never leaves the device and is never stored. */
  pin: string;
  /** A name for this device, shown to the customer and the operator ("Camille's phone"). */
  name?: string;
  /** Another payment server than the device's default. */
  server?: string;
}

export interface Device {
  /**
   * Enrols a customer on this device: a new key pair, a new PIN salt, the code and the
   * PIN verifier sent once. Each enrolment is its own account with its own key and PIN.
   * @throws CaisseDeviceError `enrollment_code_invalid`, `pin_malformed`, `server_invalid`, `offline`
   * @example const account = await device.enroll({ code: '1234 5678 9012', pin: '4821' })
   */
  enroll(options: EnrollOptions): Promise<Account>;
  /** Every account on this device, oldest enrolment first. */
  accounts(): Promise<Account[]>;
  /** One account by device id. @throws CaisseDeviceError `account_unknown` */
  account(deviceId: string): Promise<Account>;
}

/** The issuer URL without a trailing slash, or `server_invalid`. */
function issuerUrl(server: string | undefined): string {
  if (server === undefined) throw new CaisseDeviceError('server_invalid', 'Give the payment server URL to createDevice or enroll.');
  const trimmed = server.trim().replace(/\/+$/, '');
  if (!isAllowedUrl(trimmed) || new URL(trimmed).search !== '' || trimmed.includes('#')) throw new CaisseDeviceError('server_invalid');
  return trimmed;
}

/**
 * A customer's phone (or any device) for Caisse: it enrols customers and gives an
 * {@link Account} for each.
 * @example
 * const device = createDevice({ server: 'https://pay.example', store: indexedDbStore() });
 * const account = await device.enroll({ code: '1234 5678 9012', pin: '4821' });
 * for await (const event of account.requests()) if (event.type === 'request') await account.approve(event.request, '4821');
 */
export function createDevice(options: DeviceOptions): Device {
  const now = options.now ?? (() => new Date());
  const clocks = new Map<string, ServerClock>();
  const clockOf = (server: string) => {
    const clock = clocks.get(server) ?? serverClock(now);
    clocks.set(server, clock);
    return clock;
  };
  const context = { store: options.store, clockOf, ...(options.backoff ? { backoff: options.backoff } : {}) };

  return {
    async enroll({ code, pin, name, server }) {
      checkPinFormat(pin);
      const issuer = issuerUrl(server ?? options.server);
      const key = await generateDeviceKey({
        extractable: options.store.exportsKeys,
        ...(options.algorithm ? { algorithm: options.algorithm } : {}),
      });
      const salt = crypto.getRandomValues(new Uint8Array(16));
      const pinKey = await derivePinKey(pin, salt);
      const verifier = pinVerifier(pinKey);
      pinKey.fill(0);

      const body = JSON.stringify({ code: code.trim(), jwk: key.publicJwk, pinVerifier: verifier, ...(name ? { name } : {}) });
      const signer = { deviceId: key.deviceId, algorithm: key.algorithm, privateKey: key.privateKey, issuer };
      const response = await sendSigned(`${issuer}/device/enroll`, clockOf(issuer), async (signingNow) => ({
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          authorization: `Caisse-Device ${await createAssertion(signer, { method: 'POST', path: '/device/enroll', body }, signingNow)}`,
        },
        body,
      }));
      const answer = ((await jsonBody(response)) ?? {}) as {
        device?: { id?: unknown };
        customer?: { account?: unknown; displayName?: unknown };
      };
      const customer = answer.customer;
      if (answer.device?.id !== key.deviceId || typeof customer?.account !== 'string') {
        throw new CaisseDeviceError('message_invalid', 'The enrolment answer does not name this device and a customer account.');
      }

      const record: AccountRecord = {
        deviceId: key.deviceId,
        server: issuer,
        account: customer.account,
        ...(typeof customer.displayName === 'string' ? { displayName: customer.displayName } : {}),
        ...(name ? { name } : {}),
        algorithm: key.algorithm,
        publicJwk: key.publicJwk,
        privateKey: key.privateKey,
        pinSalt: base64urlEncode(salt),
        enrolledAt: now().getTime(),
      };
      await options.store.put(record);
      // Read back, so that a store writing keys out hands over its non-extractable copy.
      const stored = await options.store.get(record.deviceId);
      if (stored === undefined) throw new CaisseDeviceError('store_failed', 'The store lost the account it was just given.');
      return accountOf(stored, context);
    },

    async accounts() {
      return (await options.store.list()).map((record) => accountOf(record, context));
    },

    async account(deviceId) {
      const record = await options.store.get(deviceId);
      if (record === undefined) throw new CaisseDeviceError('account_unknown');
      return accountOf(record, context);
    },
  };
}
