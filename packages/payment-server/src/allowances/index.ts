export { type AllowanceCharges, createAllowanceCharges } from './charge.js';
export { type AllowanceGrant, createAllowanceGrant } from './grant.js';
export type { Allowance } from './model.js';
export { allowanceChargeRoutes, allowanceDeviceRoutes, allowanceEndpoints, CHARGE_PATH } from './routes.js';
export { type AllowanceService, createAllowanceService } from './service.js';
export { type AllowanceSettlement, createAllowanceSettlement } from './settle.js';
