import type { AccountRecord, DeviceStore } from './store.js';

/**
 * Accounts in memory only, gone when the process ends: for tests, and for a kiosk that
 * must forget everything.
 * @example const device = createDevice({ server, store: memoryStore() })
 */
export function memoryStore(): DeviceStore {
  const records = new Map<string, AccountRecord>();
  return {
    exportsKeys: false,
    list: async () => [...records.values()].sort((a, b) => a.enrolledAt - b.enrolledAt),
    get: async (deviceId) => records.get(deviceId),
    put: async (record) => {
      records.set(record.deviceId, record);
    },
    delete: async (deviceId) => {
      records.delete(deviceId);
    },
  };
}
