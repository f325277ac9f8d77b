export { ALERT_KINDS, type Alert, type AlertDetails, type RaiseAlertInput } from './model.js';
export { type AlertService, type AlertServiceDeps, createAlertService, type ListAlertsOptions } from './service.js';
