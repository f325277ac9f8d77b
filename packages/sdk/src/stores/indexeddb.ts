import { CaisseDeviceError } from '../errors.js';
import type { AccountRecord, DeviceStore } from './store.js';

const OBJECT_STORE = 'accounts';

function settle<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new CaisseDeviceError('store_failed', 'IndexedDB refused the operation.', { cause: request.error }));
  });
}

/**
 * Accounts in the browser's IndexedDB. The private key is stored as the `CryptoKey`
 * itself (structured clone), generated non-extractable: page script can sign with it
 * but never read it, not even this SDK.
 * @example const device = createDevice({ server: 'https://pay.example', store: indexedDbStore() })
 */
export function indexedDbStore(options: { name?: string } = {}): DeviceStore {
  let opened: Promise<IDBDatabase> | undefined;
  function database(): Promise<IDBDatabase> {
    opened ??= new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(options.name ?? 'caisse-device', 1);
      request.onupgradeneeded = () => request.result.createObjectStore(OBJECT_STORE, { keyPath: 'deviceId' });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(new CaisseDeviceError('store_failed', 'IndexedDB could not be opened.', { cause: request.error }));
    });
    return opened;
  }
  async function read<T>(query: (objects: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    return settle(query((await database()).transaction(OBJECT_STORE, 'readonly').objectStore(OBJECT_STORE)));
  }
  /** Resolves once the transaction has committed, not merely when the request succeeded. */
  async function write(change: (objects: IDBObjectStore) => void): Promise<void> {
    const transaction = (await database()).transaction(OBJECT_STORE, 'readwrite');
    change(transaction.objectStore(OBJECT_STORE));
    await new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = transaction.onabort = () =>
        reject(new CaisseDeviceError('store_failed', 'IndexedDB did not commit the change.', { cause: transaction.error }));
    });
  }
  return {
    exportsKeys: false,
    async list() {
      const records = await read((objects) => objects.getAll() as IDBRequest<AccountRecord[]>);
      return records.sort((a, b) => a.enrolledAt - b.enrolledAt);
    },
    get: (deviceId) => read((objects) => objects.get(deviceId) as IDBRequest<AccountRecord | undefined>),
    put: (record) => write((objects) => objects.put(record)),
    delete: (deviceId) => write((objects) => objects.delete(deviceId)),
  };
}
