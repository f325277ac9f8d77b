import type { Migration } from './migration.js';

/**
 * Per-client limits shared by every instance (`src/http/attempt-throttle.ts`): one row
 * per limit and client, a token bucket kept as its "theoretical arrival time" (GCRA):
 * `tat` is when the bucket will be full again. A try at `now` is allowed while
 * `max(tat, now) + interval <= now + window`, and then moves `tat` by one interval; one
 * upsert takes it, so any number of instances count each try once. A row whose `tat` has
 * passed is a full bucket, the same as no row: housekeeping deletes it.
 *
 * `refused` says whether the last take found the bucket empty (and left `tat` alone):
 * the upsert can then answer how long to wait in its own round trip. No index on `tat`:
 * every take moves it, and the table holds only clients that failed recently.
 */
export const migration: Migration = {
  version: 33,
  name: 'shared_limits',
  sql: /* sql */ `
CREATE TABLE limit_buckets (
  limit_name text NOT NULL CONSTRAINT limit_buckets_limit_name CHECK (limit_name ~ '^[a-z][a-z0-9_]{0,63}$'),
  client text NOT NULL CONSTRAINT limit_buckets_client CHECK (length(client) BETWEEN 1 AND 128),
  tat timestamptz NOT NULL,
  refused boolean NOT NULL,
  CONSTRAINT limit_buckets_identity PRIMARY KEY (limit_name, client)
);
`,
};
