import { singleFlight } from '../jobs/single-flight.js';
import type { Logger } from '../log.js';
import type { Queryable } from '../storage/database.js';
import { isPruneError, PRUNED_TABLES, type PruneReport, pruneExpired } from './prune.js';
import type { Retention } from './retention.js';

export interface HousekeepingJobDeps {
  db: Queryable;
  now: () => Date;
  log: Logger;
  /** Days kept, over the defaults (`CAISSE_NOTIFICATION_RETENTION_DAYS` gives `deliveredNotifications`). */
  retention?: Partial<Retention>;
}

/** The server's background pruning: the payment server's scheduler calls `run` (jobs/schedule.ts) and `stop` when it closes. */
export interface HousekeepingJob {
  /**
   * One pruning run; while one is still going (a backlog), that one. Never rejects:
   * rows deleted are logged at info (`housekeeping.pruned`, nothing when there were
   * none), a failure at error (`housekeeping.prune_failed`), and the next run tries again.
   */
  run(): Promise<void>;
  /** Stops the run in flight after its current batch, and waits for it. */
  stop(): Promise<void>;
}

/** The log fields of a report: each table with rows deleted (field names no log redaction mistakes for a ticket). */
function pruned(report: PruneReport) {
  return {
    pruned: PRUNED_TABLES.filter((table) => report.deleted[table] > 0).map((table) => ({ table, rows: report.deleted[table] })),
    total: report.total,
    complete: report.complete,
  };
}

/**
 * @example
 * const housekeeping = housekeepingJob({ db, now, log, retention: { deliveredNotifications: 30 } });
 * scheduler.every('housekeeping.prune', 5 * 60_000, () => housekeeping.run());
 * // at shutdown
 * await Promise.all([scheduler.stop(), housekeeping.stop()]);
 */
export function housekeepingJob(deps: HousekeepingJobDeps): HousekeepingJob {
  return singleFlight(async (signal) => {
    try {
      const report = await pruneExpired(deps.db, {
        now: deps.now(),
        signal,
        ...(deps.retention ? { retention: deps.retention } : {}),
      });
      if (report.total > 0) deps.log.info('housekeeping.pruned', pruned(report));
    } catch (error) {
      if (!isPruneError(error)) {
        deps.log.error('housekeeping.prune_failed', { error });
        return;
      }
      if (error.report.total > 0) deps.log.info('housekeeping.pruned', pruned(error.report));
      for (const failure of error.failures) deps.log.error('housekeeping.prune_failed', { kind: failure.kind, error: failure.error });
    }
  });
}
