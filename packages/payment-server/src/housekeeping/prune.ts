import { TICKET_CLOCK_TOLERANCE } from '../checkout/intake.js';
import type { Queryable } from '../storage/database.js';
import { refusalCutoffs } from '../ticket-refusals/service.js';
import { type BatchOptions, countRule, deleteBatch, inBatches, type PruneRule } from './batch.js';
import { countUnpaidCheckouts, deleteUnpaidCheckouts, type UnpaidCheckoutCounts, type UnpaidCheckoutCutoffs } from './checkouts.js';
import { EXPIRED_ENROLLMENT_CODES } from './enrollment-codes.js';
import { FULL_LIMIT_BUCKETS } from './limits.js';
import { DELIVERED_NOTIFICATIONS, PARKED_NOTIFICATIONS } from './notifications.js';
import { SPENT_REFUSED_TICKETS, STALE_TICKET_REFUSALS } from './refusals.js';
import { EXPIRED_ASSERTIONS, EXPIRED_IDEMPOTENCY_KEYS } from './replay.js';
import { type Retention, resolveRetention } from './retention.js';

/** Every table housekeeping deletes from. Nothing else is ever deleted (see the README, "Housekeeping"). */
export const PRUNED_TABLES = [
  'api_assertions',
  'api_idempotency_keys',
  'ticket_refusals',
  'tickets',
  'checkout_sessions',
  'confirmation_requests',
  'notifications',
  'enrollment_codes',
  'limit_buckets',
] as const;
export type PrunedTable = (typeof PRUNED_TABLES)[number];

/** Rows per batch: one short statement each. */
export const PRUNE_BATCH_SIZE = 500;
/** Batches per kind of row in one run: a backlog is worked off over several runs, each of bounded length. */
export const PRUNE_MAX_BATCHES = 100;
/**
 * Unpaid checkouts per batch, at most: each one deletes a session, its ticket and its
 * confirmation requests, and PostgreSQL checks every foreign key to them (through
 * `confirmation_requests_session`, migration 0028), so batches stay smaller than others.
 */
export const UNPAID_CHECKOUT_BATCH_SIZE = 100;

export interface PruneOptions {
  /** The moment the run counts from: pass the server's clock, so a frozen clock is frozen here too. */
  now: Date;
  /** Days kept, over {@link DEFAULT_RETENTION}; each from 1 to 3650. */
  retention?: Partial<Retention>;
  /** Rows per batch (default {@link PRUNE_BATCH_SIZE}). */
  batchSize?: number;
  /** Batches per kind of row (default {@link PRUNE_MAX_BATCHES}; `Infinity`: until nothing is left). */
  maxBatches?: number;
  /** Count what would be deleted, and delete nothing. */
  dryRun?: boolean;
  /** Stops the run between two batches (the server shutting down). */
  signal?: AbortSignal;
}

export interface PruneReport {
  /** Rows deleted per table; in a dry run, the rows that would be. */
  deleted: Record<PrunedTable, number>;
  /** All of them: the sum of `deleted`. */
  total: number;
  /** False when rows were left for the next run (`maxBatches` reached, or stopped by `signal`). */
  complete: boolean;
}

/** A kind of row that failed to be pruned, and why; the other kinds were pruned all the same. */
export interface PruneFailure {
  kind: string;
  error: unknown;
}

/**
 * Some kinds of rows could not be pruned (the others were: `report` says what was
 * deleted). The next run tries them again.
 */
export class PruneError extends Error {
  override readonly name = 'PruneError';
  readonly code = 'prune_failed';
  readonly report: PruneReport;
  readonly failures: readonly PruneFailure[];

  constructor(report: PruneReport, failures: readonly PruneFailure[]) {
    const kinds = failures.map((failure) => `${failure.kind} (${(failure.error as Error)?.message ?? String(failure.error)})`);
    super(`Housekeeping could not prune ${kinds.join(', ')}; the rest was pruned.`, { cause: failures[0]?.error });
    this.report = report;
    this.failures = failures;
  }
}

/** Compares `name`, not the prototype, so it works across copies of the package. */
export function isPruneError(error: unknown): error is PruneError {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'PruneError';
}

const DAY_MS = 86_400_000;

/** One kind of dead row: how to count it, and how to delete a batch of it (the first count says whether more may remain). */
interface Kind {
  name: string;
  /** Rows per batch at most, whatever the run's batch size. */
  maxBatchSize?: number;
  count(db: Queryable): Promise<Partial<Record<PrunedTable, number>>>;
  batch(db: Queryable, limit: number): Promise<[rows: number, counts: Partial<Record<PrunedTable, number>>]>;
}

function ruleKind(name: string, table: PrunedTable, rule: PruneRule, before: Date): Kind {
  return {
    name,
    count: async (db) => ({ [table]: await countRule(db, rule, before) }),
    batch: async (db, limit) => {
      const rows = await deleteBatch(db, rule, before, limit);
      return [rows, { [table]: rows }];
    },
  };
}

function checkoutKind(cutoffs: UnpaidCheckoutCutoffs): Kind {
  return {
    name: 'unpaid checkouts',
    maxBatchSize: UNPAID_CHECKOUT_BATCH_SIZE,
    count: (db) => countUnpaidCheckouts(db, cutoffs),
    batch: async (db, limit) => {
      const counts: UnpaidCheckoutCounts = await deleteUnpaidCheckouts(db, cutoffs, limit);
      return [counts.checkout_sessions, counts];
    },
  };
}

/** What is dead at `now`: each kind with the moment it must be older than. */
function kinds(now: Date, retention: Retention): Kind[] {
  const daysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS);
  const refusals = refusalCutoffs(now);
  const checkoutsEnded = daysAgo(retention.unpaidCheckouts);
  return [
    ruleKind('expired assertions', 'api_assertions', EXPIRED_ASSERTIONS, now),
    ruleKind('expired idempotency keys', 'api_idempotency_keys', EXPIRED_IDEMPOTENCY_KEYS, now),
    ruleKind('stale ticket refusals', 'ticket_refusals', STALE_TICKET_REFUSALS, refusals.refusals),
    ruleKind('tickets spent by refusals', 'tickets', SPENT_REFUSED_TICKETS, refusals.spentTickets),
    checkoutKind({
      endedBefore: checkoutsEnded,
      // The retention, counted from the end of the intake's tolerance: never a ticket intake could still take.
      ticketExpiredBefore: new Date(checkoutsEnded.getTime() - TICKET_CLOCK_TOLERANCE * 1000),
    }),
    ruleKind('delivered notifications', 'notifications', DELIVERED_NOTIFICATIONS, daysAgo(retention.deliveredNotifications)),
    ruleKind('parked notifications', 'notifications', PARKED_NOTIFICATIONS, daysAgo(retention.parkedNotifications)),
    ruleKind('expired enrollment codes', 'enrollment_codes', EXPIRED_ENROLLMENT_CODES, daysAgo(retention.enrollmentCodes)),
    ruleKind('full limit buckets', 'limit_buckets', FULL_LIMIT_BUCKETS, now),
  ];
}

/**
 * Deletes the rows that serve nothing any more (see {@link PRUNED_TABLES} and the README,
 * "Housekeeping"): expired replay entries, old refusals, unpaid checkouts with their
 * tickets and confirmation requests once intake refuses those tickets as expired, old
 * delivered or parked notifications, expired enrollment codes, full limit buckets. Nothing a payment, a
 * refund, a ledger transfer, an audit batch or a voucher refers to is ever among them.
 *
 * Each kind goes in batches of `batchSize` rows (unpaid checkouts: at most
 * {@link UNPAID_CHECKOUT_BATCH_SIZE}), one short statement each, at most `maxBatches` per run. Safe to run on every instance at once: a batch locks the rows it
 * deletes with `SKIP LOCKED`, so runs share the rows instead of waiting for each other.
 * A kind that fails does not stop the others: all are tried, then a {@link PruneError}
 * says which failed and what was deleted.
 *
 * @throws TypeError when a retention, the batch size or `maxBatches` is not a positive whole number
 * @throws PruneError when some kind of row could not be pruned
 * @example const { deleted, total } = await pruneExpired(server.db, { now: new Date(), retention: { deliveredNotifications: 30 } })
 */
export async function pruneExpired(db: Queryable, options: PruneOptions): Promise<PruneReport> {
  const retention = resolveRetention(options.retention);
  const batching: BatchOptions = {
    batchSize: options.batchSize ?? PRUNE_BATCH_SIZE,
    maxBatches: options.maxBatches ?? PRUNE_MAX_BATCHES,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  if (!(Number.isSafeInteger(batching.batchSize) && batching.batchSize > 0)) throw new TypeError('batchSize must be a positive integer.');
  if (!((batching.maxBatches as number) >= 1)) throw new TypeError('maxBatches must be at least 1.');

  const deleted = Object.fromEntries(PRUNED_TABLES.map((table) => [table, 0])) as Record<PrunedTable, number>;
  const add = (counts: Partial<Record<PrunedTable, number>>) => {
    for (const [table, rows] of Object.entries(counts) as [PrunedTable, number][]) deleted[table] += rows;
  };
  let complete = true;
  const failures: PruneFailure[] = [];
  for (const kind of kinds(options.now, retention)) {
    try {
      if (options.dryRun) {
        add(await kind.count(db));
        continue;
      }
      const batchSize = Math.min(batching.batchSize, kind.maxBatchSize ?? batching.batchSize);
      const run = await inBatches(
        async (limit) => {
          const [rows, counts] = await kind.batch(db, limit);
          add(counts);
          return rows;
        },
        { ...batching, batchSize },
      );
      complete &&= run.complete;
    } catch (error) {
      complete = false;
      failures.push({ kind: kind.name, error });
    }
  }
  const report: PruneReport = { deleted, total: Object.values(deleted).reduce((sum, rows) => sum + rows, 0), complete };
  if (failures.length > 0) throw new PruneError(report, failures);
  return report;
}
