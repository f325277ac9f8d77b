import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { randomId } from './crypto/jws.js';
import { importPrivateKey } from './crypto/keys.js';
import { CaisseDeviceError } from './errors.js';
import type { AccountRecord, DeviceStore } from './stores/store.js';

export type { AccountRecord, DeviceStore } from './stores/store.js';

type StoredRecord = Omit<AccountRecord, 'privateKey'> & { privateKey: JsonWebKey };

interface StoreFile {
  version: 1;
  accounts: StoredRecord[];
}

async function exportPrivateKey(key: CryptoKey): Promise<JsonWebKey> {
  const { kty, crv, x, y, d } = await crypto.subtle.exportKey('jwk', key);
  return { kty, crv, x, y, d };
}

/**
 * Accounts in one JSON file for Node (a CLI, a test bench, a point-of-sale box), written
 * with mode 0600 by an atomic rename. Node has no keychain, so the private key is written
 * as a JWK and imported non-extractable when read: the file is the secret to protect.
 * @example
 * import { createDevice } from '@caisse/sdk';
 * import { fileStore } from '@caisse/sdk/file-store';
 * const device = createDevice({ server: 'https://pay.example', store: fileStore('./caisse-device.json') });
 */
export function fileStore(path: string): DeviceStore {
  // One write at a time, each reading the file anew: two enrolments never lose one another.
  let queue: Promise<unknown> = Promise.resolve();

  async function load(): Promise<StoreFile> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, accounts: [] };
      throw new CaisseDeviceError('store_failed', `The device file ${path} could not be read.`, { cause: error });
    }
    try {
      const parsed = JSON.parse(text) as StoreFile;
      if (parsed.version !== 1 || !Array.isArray(parsed.accounts)) throw new Error('not a version 1 device file');
      return parsed;
    } catch (error) {
      throw new CaisseDeviceError('store_failed', `The device file ${path} is not a Caisse device file.`, { cause: error });
    }
  }

  async function save(file: StoreFile): Promise<void> {
    // Unique per write: two stores on one file in one process must not share a temporary file.
    const temporary = `${path}.${process.pid}.${randomId()}.tmp`;
    try {
      await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
      // The mode given to writeFile is masked by the umask; chmod is not.
      await chmod(temporary, 0o600);
      await rename(temporary, path);
    } catch (error) {
      throw new CaisseDeviceError('store_failed', `The device file ${path} could not be written.`, { cause: error });
    }
  }

  function change(update: (accounts: StoredRecord[]) => Promise<StoredRecord[]> | StoredRecord[]): Promise<void> {
    const next = queue.then(async () => {
      const file = await load();
      await save({ version: 1, accounts: await update(file.accounts) });
    });
    queue = next.catch(() => undefined);
    return next;
  }

  async function revive(stored: StoredRecord): Promise<AccountRecord> {
    return { ...stored, privateKey: await importPrivateKey(stored.algorithm, stored.privateKey) };
  }

  return {
    exportsKeys: true,
    async list() {
      const { accounts } = await load();
      return Promise.all(accounts.sort((a, b) => a.enrolledAt - b.enrolledAt).map(revive));
    },
    async get(deviceId) {
      const stored = (await load()).accounts.find((account) => account.deviceId === deviceId);
      return stored && revive(stored);
    },
    put(record) {
      return change(async (accounts) => {
        const existing = accounts.find((account) => account.deviceId === record.deviceId);
        // A record read back from this store holds a non-extractable copy: keep the JWK on file.
        const privateKey = record.privateKey.extractable ? await exportPrivateKey(record.privateKey) : existing?.privateKey;
        if (privateKey === undefined) {
          throw new CaisseDeviceError('store_failed', 'The file store needs an extractable private key to write a new account.');
        }
        return [...accounts.filter((account) => account !== existing), { ...record, privateKey }];
      });
    },
    delete(deviceId) {
      return change((accounts) => accounts.filter((account) => account.deviceId !== deviceId));
    },
  };
}
