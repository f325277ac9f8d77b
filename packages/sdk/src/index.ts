export type { ConfirmationRequest } from '@caisse/protocol';
export type { Account } from './account.js';
export type { DeviceAlgorithm, DevicePublicJwk } from './crypto/keys.js';
export { createDevice, type Device, type DeviceOptions, type EnrollOptions } from './device.js';
export { CaisseDeviceError, DEVICE_ERROR_CODES, type DeviceErrorCode, isCaisseDeviceError } from './errors.js';
export type { Backoff, RequestEvent } from './requests-stream.js';
export { indexedDbStore } from './stores/indexeddb.js';
export { memoryStore } from './stores/memory.js';
export type { AccountRecord, DeviceStore } from './stores/store.js';
