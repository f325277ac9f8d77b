export {
  type ApiTicketRefusal,
  LIST_MAX,
  MAX_REFUSALS_PER_MERCHANT,
  MAX_SPENT_REFUSED_TICKETS,
  REFUSAL_RETENTION_DAYS,
  type RecordedRefusal,
  type RecordRefusal,
} from './model.js';
export { ticketRefusalEndpoints } from './routes.js';
export { createTicketRefusalService, type TicketRefusalService, type TicketRefusalServiceDeps } from './service.js';
