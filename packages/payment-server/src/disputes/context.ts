import type { Logger } from '../log.js';
import type { RefundService } from '../refunds/service.js';
import type { Database } from '../storage/database.js';
import type { DisputeDeadlines } from './model.js';

/** What every step of a dispute runs with: one clock for all of them, so tests freeze it once. */
export interface DisputeContext {
  db: Database;
  /** The merchants' refunds: a decision for the customer refunds through them, under the dispute's own key. */
  refunds: Pick<RefundService, 'create'>;
  deadlines: DisputeDeadlines;
  now: () => Date;
  log?: Logger;
}
