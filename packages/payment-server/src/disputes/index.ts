export { disputeAccountRoutes } from './account-routes.js';
export { DISPUTES_USAGE, disputesCommand } from './cli.js';
export { disputeDeviceRoutes } from './device-routes.js';
export { DEFAULT_DEADLINES, DISPUTE_ALERT_KINDS, type DisputeDeadlines, type DisputeRow, toDispute } from './model.js';
export { disputeEndpoints } from './routes.js';
export { createDisputeService, type DisputeDeps, type DisputeService } from './service.js';
