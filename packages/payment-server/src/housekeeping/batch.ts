import type { Queryable } from '../storage/database.js';

/**
 * Rows of one table that serve nothing any more once a moment has passed: `where` is an
 * SQL condition on the table's own columns with `$1` that moment (a `timestamptz`).
 * Rules are constants of this folder, never built from input.
 */
export interface PruneRule {
  readonly table: string;
  readonly where: string;
  /**
   * The `ctid`s of one batch of candidates, locked (`FOR UPDATE SKIP LOCKED`), when a scan
   * of `where` alone would not use an index; `$1` the moment, `$2` the batch size. Each
   * candidate must also satisfy `where`, which the delete checks again.
   */
  readonly candidates?: string;
}

function candidatesOf(rule: PruneRule): string {
  return rule.candidates ?? `SELECT ctid FROM ${rule.table} WHERE ${rule.where} LIMIT $2 FOR UPDATE SKIP LOCKED`;
}

/**
 * One batch: the candidates are found and locked by one sub-select, and deleted by their
 * `ctid` (a TID scan) in the same statement, so a batch holds its row locks for one short
 * statement, whatever the backlog. `SKIP LOCKED` lets instances pruning at once take
 * different rows instead of queueing; `where` is checked again on the row deleted, so a
 * row that changed since it was found (an expired key taken over by a new request) stays.
 * Works the same on PGlite and PostgreSQL.
 * @example await deleteBatch(db, EXPIRED_ASSERTIONS, new Date(), 1000) // 1000 when there may be more
 */
export async function deleteBatch(db: Queryable, rule: PruneRule, before: Date, limit: number): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM ${rule.table} WHERE ctid = ANY(ARRAY(${candidatesOf(rule)})) AND ${rule.where}`, [
    before,
    limit,
  ]);
  return rowCount;
}

/** How many rows the rule would delete now (a dry run): reads only, locks nothing. */
export async function countRule(db: Queryable, rule: PruneRule, before: Date): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${rule.table} WHERE ${rule.where}`, [before]);
  return rows[0]?.n ?? 0;
}

export interface BatchOptions {
  /** Rows per batch (each batch is one statement). */
  batchSize: number;
  /** Batches at most, after which `complete` is false: the next run goes on. Default: until done. */
  maxBatches?: number;
  /** Checked between batches: an aborted run stops after the batch in flight. */
  signal?: AbortSignal;
}

/**
 * Runs `batch` (which deletes at most `limit` rows and says how many) until a batch comes
 * back short, `maxBatches` have run or `signal` is aborted.
 * @example const { deleted, complete } = await inBatches((limit) => deleteBatch(db, rule, before, limit), { batchSize: 1000, maxBatches: 100 })
 */
export async function inBatches(
  batch: (limit: number) => Promise<number>,
  options: BatchOptions,
): Promise<{ deleted: number; complete: boolean }> {
  const { batchSize, maxBatches = Number.POSITIVE_INFINITY, signal } = options;
  if (!(Number.isSafeInteger(batchSize) && batchSize > 0)) throw new TypeError('batchSize must be a positive integer.');
  let deleted = 0;
  for (let batches = 0; batches < maxBatches; batches++) {
    if (signal?.aborted) return { deleted, complete: false };
    const rows = await batch(batchSize);
    deleted += rows;
    if (rows < batchSize) return { deleted, complete: true };
  }
  return { deleted, complete: false };
}

/** Rows per batch when a caller does not say. */
export const DEFAULT_BATCH_SIZE = 1_000;

/**
 * Deletes every row the rule matches before `before`, batch after batch; returns how many.
 * What the in-request purges of the merchant API and of refused tickets run.
 * @example await purge(db, EXPIRED_IDEMPOTENCY_KEYS, now())
 */
export async function purge(db: Queryable, rule: PruneRule, before: Date, batchSize = DEFAULT_BATCH_SIZE): Promise<number> {
  return (await inBatches((limit) => deleteBatch(db, rule, before, limit), { batchSize })).deleted;
}
