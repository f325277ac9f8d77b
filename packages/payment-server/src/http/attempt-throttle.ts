import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

export interface AttemptThrottleOptions {
  /** Wrong attempts one client may make per window; 0 turns the throttle off. */
  limit: number;
  /** Default 10 minutes. */
  windowMs?: number;
  /** Clients remembered at most; past it, the longest idle are forgotten first. Default 100 000. */
  maxClients?: number;
  now?: () => number;
}

export interface AttemptThrottle {
  /** Whole seconds `client` must wait before it may try again; 0 when it may now. */
  retryAfter(client: string): number;
  /** Counts a wrong attempt by `client`. */
  failed(client: string): void;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Wrong credentials per client, as a token bucket: `limit` tries at once, then one more
 * every `windowMs / limit`. Every try costs the server a scrypt, and the per-account
 * lockout does not stop one client trying many accounts; this does. Right attempts cost
 * nothing, so a busy shop behind one address is not slowed by its own customers.
 * In memory, per instance: with N instances a client gets N times the limit.
 * @example const throttle = createAttemptThrottle({ limit: 20 }); if (throttle.retryAfter(ip) > 0) return tooMany()
 */
export function createAttemptThrottle(options: AttemptThrottleOptions): AttemptThrottle {
  const { limit } = options;
  const windowMs = options.windowMs ?? 600_000;
  const maxClients = options.maxClients ?? 100_000;
  const now = options.now ?? Date.now;
  const perMs = limit / windowMs;
  const buckets = new Map<string, Bucket>();

  function current(client: string): Bucket | undefined {
    const bucket = buckets.get(client);
    if (bucket === undefined) return undefined;
    const at = now();
    bucket.tokens = Math.min(limit, bucket.tokens + (at - bucket.at) * perMs);
    bucket.at = at;
    if (bucket.tokens >= limit) {
      buckets.delete(client);
      return undefined;
    }
    return bucket;
  }

  return {
    retryAfter(client) {
      if (limit === 0) return 0;
      const bucket = current(client);
      if (bucket === undefined || bucket.tokens >= 1) return 0;
      return Math.ceil((1 - bucket.tokens) / perMs / 1000);
    },

    failed(client) {
      if (limit === 0) return;
      const bucket = current(client) ?? { tokens: limit, at: now() };
      bucket.tokens = Math.max(0, bucket.tokens - 1);
      // Moved to the end: the Map's order is then least recently failed first.
      buckets.delete(client);
      buckets.set(client, bucket);
      for (const oldest of buckets.keys()) {
        if (buckets.size <= maxClients) break;
        buckets.delete(oldest);
      }
    },
  };
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
  /** True when this request's client must wait before trying again; `Retry-After` is then set on the answer. */
  mustWait(c: Context): boolean;
  /** Counts a wrong attempt by this request's client. */
  failed(c: Context): void;
}

/** @example const identifyThrottle = throttleByClient(createAttemptThrottle({ limit: 20 }), { trustProxy: false }) */
export function throttleByClient(throttle: AttemptThrottle, options: { trustProxy: boolean }): RequestThrottle {
  return {
    mustWait(c) {
      const wait = throttle.retryAfter(clientAddress(c, options.trustProxy));
      if (wait > 0) c.header('retry-after', String(wait));
      return wait > 0;
    },
    failed: (c) => throttle.failed(clientAddress(c, options.trustProxy)),
  };
}
