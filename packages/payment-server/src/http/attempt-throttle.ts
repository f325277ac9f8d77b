import { createHash } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { Queryable } from '../storage/database.js';

export interface AttemptThrottleOptions {
  /** Where the buckets are kept (`limit_buckets`, migration 0033): every instance on this database shares them. */
  db: Queryable;
  /** The limit's name (`identify`, `quote`): clients of one limit share nothing with another's. */
  name: string;
  /** Attempts one client may make per window; 0 turns the throttle off. */
  limit: number;
  /** Default 10 minutes. */
  windowMs?: number;
  /** The server's clock, in milliseconds: a test moves it instead of sleeping. */
  now?: () => number;
}

export interface AttemptThrottle {
  /** Whole seconds `client` must wait before it may try again; 0 when it may now. Reads only: a right attempt writes nothing. */
  retryAfter(client: string): Promise<number>;
  /**
   * Counts an attempt by `client` (a wrong one; for quotes, every one), in one statement:
   * 0 when it had one left and it is counted, otherwise the whole seconds it must wait,
   * and nothing is counted.
   */
  failed(client: string): Promise<number>;
}

/** The limit names the table accepts (its CHECK). */
const LIMIT_NAME = /^[a-z][a-z0-9_]{0,63}$/;
/** Longest client key stored as it is (an IPv6 address is at most 45 characters); a longer one is stored as its SHA-256. */
const CLIENT_LENGTH = 128;

/**
 * The whole seconds until `tat` is back at the latest moment that leaves an attempt,
 * `$3 + $4 µs` (now, plus the window less one interval): 0 when the bucket has one now.
 */
const WAIT = `GREATEST(0, ceil(extract(epoch FROM tat - ($3::timestamptz + $4::float8 * interval '1 microsecond'))))::int`;

/**
 * Takes one attempt from the bucket when it has one, in one round trip whatever the
 * concurrency: the upsert locks the row, and each instance's take sees the one before.
 * An empty bucket is left as it is, and `refused` says so; `wait` is then how long.
 * Times are whole microseconds (the interval `$5` too), as `timestamptz` keeps them, so
 * `limit` takes add up to the window exactly.
 */
const TAKE = `
INSERT INTO limit_buckets AS b (limit_name, client, tat, refused)
VALUES ($1, $2, $3::timestamptz + $5::float8 * interval '1 microsecond', false)
ON CONFLICT ON CONSTRAINT limit_buckets_identity DO UPDATE SET
  refused = b.tat > $3::timestamptz + $4::float8 * interval '1 microsecond',
  tat = CASE WHEN b.tat > $3::timestamptz + $4::float8 * interval '1 microsecond' THEN b.tat
             ELSE GREATEST(b.tat, $3::timestamptz) + $5::float8 * interval '1 microsecond' END
RETURNING refused, ${WAIT} AS wait`;

/**
 * Attempts per client, as a token bucket kept in the database so that N instances
 * enforce it once: `limit` tries at once, then one more every `windowMs / limit`. The
 * identification throttle counts wrong credentials only: every try costs the server a
 * scrypt, and the per-account lockout does not stop one client trying many accounts;
 * right attempts cost a read and no write, so a busy shop behind one address is not
 * slowed by its own customers. Old rows go with housekeeping (`limit_buckets`).
 * @throws TypeError for a name outside `[a-z][a-z0-9_]*` or a limit that is not a whole number ≥ 0
 * @example const throttle = createAttemptThrottle({ db, name: 'identify', limit: 20 }); if ((await throttle.retryAfter(ip)) > 0) return tooMany()
 */
export function createAttemptThrottle(options: AttemptThrottleOptions): AttemptThrottle {
  const { db, name, limit } = options;
  if (!LIMIT_NAME.test(name)) throw new TypeError(`A limit's name is 1–64 of a-z 0-9 _ starting with a letter, not "${name}".`);
  if (!(Number.isSafeInteger(limit) && limit >= 0)) throw new TypeError(`A limit is a whole number of attempts, 0 or more, not ${limit}.`);
  const windowMs = options.windowMs ?? 600_000;
  const now = options.now ?? Date.now;
  // Whole microseconds: one attempt comes back every `interval`, and the bucket holds `limit` of them.
  const intervalUs = Math.round((windowMs * 1000) / limit);
  const lastWithAttemptUs = (limit - 1) * intervalUs;

  return {
    async retryAfter(client) {
      if (limit === 0) return 0;
      const { rows } = await db.query<{ wait: number }>(`SELECT ${WAIT} AS wait FROM limit_buckets WHERE limit_name = $1 AND client = $2`, [
        name,
        clientKey(client),
        new Date(now()),
        lastWithAttemptUs,
      ]);
      return rows[0]?.wait ?? 0;
    },

    async failed(client) {
      if (limit === 0) return 0;
      const { rows } = await db.query<{ refused: boolean; wait: number }>(TAKE, [
        name,
        clientKey(client),
        new Date(now()),
        lastWithAttemptUs,
        intervalUs,
      ]);
      const row = rows[0];
      // Refused: `tat` is past the last moment with an attempt, if only by a microsecond: a second at least.
      return row?.refused ? Math.max(1, row.wait) : 0;
    },
  };
}

/** The client as stored: as it is when short, its SHA-256 otherwise (a proxy's odd header never breaks the table's CHECK). */
function clientKey(client: string): string {
  if (client.length > 0 && client.length <= CLIENT_LENGTH) return client;
  return `sha256:${createHash('sha256').update(client).digest('hex')}`;
}

/**
 * The address a request came from: the connection's, or behind a trusted reverse proxy
 * the last `X-Forwarded-For` entry (the one the proxy added; earlier ones the client can
 * forge). `unknown` when neither exists (a request made in-process).
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The throttle as the hosted pages use it: by the request's client address. */
export interface RequestThrottle {
  /** True when this request's client must wait before trying again; `Retry-After` is then set on the answer. Reads only. */
  mustWait(c: Context): Promise<boolean>;
  /** Counts a wrong attempt by this request's client. */
  failed(c: Context): Promise<void>;
  /**
   * Counts this request, for limits on every request (quotes), in one round trip: true,
   * with `Retry-After` set and nothing counted, when its client must wait.
   */
  spend(c: Context): Promise<boolean>;
}

/** @example const identifyThrottle = throttleByClient(createAttemptThrottle({ db, name: 'identify', limit: 20 }), { trustProxy: false }) */
export function throttleByClient(throttle: AttemptThrottle, options: { trustProxy: boolean }): RequestThrottle {
  const waited = (c: Context, wait: number) => {
    if (wait > 0) c.header('retry-after', String(wait));
    return wait > 0;
  };
  return {
    mustWait: async (c) => waited(c, await throttle.retryAfter(clientAddress(c, options.trustProxy))),
    async failed(c) {
      await throttle.failed(clientAddress(c, options.trustProxy));
    },
    spend: async (c) => waited(c, await throttle.failed(clientAddress(c, options.trustProxy))),
  };
}
