export { approvalMethod, type ConfirmationAnswer } from './answer.js';
export { DEVICE_SCHEME } from './authenticate.js';
export {
  type Approval,
  type ConfirmationRequest,
  type ConfirmationService,
  type Confirmations,
  createConfirmations,
  type PendingRequest,
} from './confirmations.js';
export { PinInvalidError } from './errors.js';
export { DEVICE_EVENTS_CHANNEL } from './events.js';
export { type Device, ENROLLMENT_CODE_LIFETIME } from './model.js';
export { DEVICE_BODY_LIMIT, type DeviceRoutesDeps, deviceRoutes } from './routes.js';
export { createDeviceService, type DeviceService, deviceIdOf } from './service.js';
export { createDeviceStreams, type DeviceStreams } from './streams.js';
