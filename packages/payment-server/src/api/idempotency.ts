import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ProblemError, problemResponse } from '../http/problem.js';
import type { Logger } from '../log.js';
import type { Queryable } from '../storage/database.js';
import type { ApiEnv } from './context.js';
import { createIdempotencyStore, type StoredResponse } from './idempotency-store.js';
import { periodic } from './periodic.js';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** On a replayed response, as Stripe names it. */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';
/** How long a key is kept from its first use, in seconds (24 h, as Stripe). */
export const IDEMPOTENCY_RETENTION = 86_400;
/** How long an execution holds its key, in seconds, before a retry may take over from a crashed one. */
export const IDEMPOTENCY_LEASE = 120;
/** The response headers a replay repeats; the app adds its security headers to every response anyway. */
export const REPLAYED_HEADERS: readonly string[] = ['content-type', 'content-language', 'location', 'link'];

/** 1–255 printable ASCII characters without spaces (a UUID fits; so does Stripe's 255-character limit). */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface IdempotencyOptions {
  /** Where keys and responses are kept (`api_idempotency_keys`). */
  db: Queryable;
  now?: () => Date;
  /** Seconds; default {@link IDEMPOTENCY_RETENTION}. */
  retention?: number;
  /** Seconds; default {@link IDEMPOTENCY_LEASE}. */
  lease?: number;
  /** Methods that need a key; default `['POST']`. */
  methods?: readonly string[];
  /** Default {@link REPLAYED_HEADERS}. */
  replayHeaders?: readonly string[];
  /** Milliseconds between two purges of expired keys by this instance. Default 60 000. */
  purgeInterval?: number;
  log?: Logger;
}

/**
 * What makes two requests "the same" under one key: the method, the path and query as
 * sent, and the exact body bytes, hashed (SHA-256, base64url). Headers are left out, so
 * a retry with another assertion (which it must have: assertions are single use) is the
 * same request.
 */
export function requestFingerprint(method: string, url: string, body: Uint8Array): string {
  const { pathname, search } = new URL(url);
  return createHash('sha256').update(`${method}\n${pathname}${search}\n`).update(body).digest('base64url');
}

/**
 * Whether the outcome is kept for replay. Not kept — the key is released so that the
 * request can be corrected or simply retried — when nothing was decided: the request was
 * unreadable (400, 413: endpoints validate before they change anything) or the server
 * failed (5xx: "try again" must mean try again; an endpoint's own writes are keyed so that
 * a second run after a failure does not repeat them).
 */
function kept(status: number): boolean {
  return status < 500 && status !== 400 && status !== 413;
}

function replay(stored: StoredResponse): Response {
  const empty = stored.status === 204 || stored.status === 205 || stored.status === 304;
  const response = new Response(empty ? null : stored.body, { status: stored.status, headers: stored.headers });
  response.headers.set(IDEMPOTENT_REPLAYED_HEADER, 'true');
  return response;
}

/**
 * Idempotency keys with Stripe's semantics, as Hono middleware. It must run after
 * {@link merchantAssertion} (keys are per merchant) and applies to POST (`methods`):
 *
 * - no `Idempotency-Key` → 400 `idempotency_key_missing`; a malformed one → 400 `request_invalid`;
 * - a new key → the endpoint runs, and its response (status, {@link REPLAYED_HEADERS}, body) is kept 24 h;
 * - the same key with the same request (method, path and query, body) → that response again,
 *   with `Idempotent-Replayed: true`, and the endpoint does not run;
 * - the same key with another request → 422 `idempotency_conflict`;
 * - the same key while its first request is still running → 409 `idempotency_in_progress`
 *   (`Retry-After: 1`).
 *
 * Concurrent requests with one key: the database decides which one runs (a row inserted
 * `in_progress` first, under a primary key); the others get 409. 400, 413 and 5xx
 * responses are not kept (see `kept`). If an execution dies holding its key, a retry of the
 * same request takes it over once its lease ({@link IDEMPOTENCY_LEASE}) has run out.
 * The key is on the context (`idempotencyKey`) for endpoints to key their own writes by.
 *
 * `apiRoutes` applies it to every POST under `/v1`; a second instance on the same
 * request steps aside, so an endpoint that also lists it does not lock itself out.
 * @example api.use('*', merchantAssertion(deps), idempotency({ db }))
 */
export function idempotency(options: IdempotencyOptions): MiddlewareHandler<ApiEnv> {
  const now = options.now ?? (() => new Date());
  const methods = options.methods ?? ['POST'];
  const replayHeaders = options.replayHeaders ?? REPLAYED_HEADERS;
  const retention = options.retention ?? IDEMPOTENCY_RETENTION;
  const lease = options.lease ?? IDEMPOTENCY_LEASE;
  const store = createIdempotencyStore(options.db);
  const purge = periodic(() => store.purgeExpired(now()), {
    interval: options.purgeInterval ?? 60_000,
    now,
    name: 'api_idempotency_keys',
    ...(options.log ? { log: options.log } : {}),
  });

  return async (c, next) => {
    if (!methods.includes(c.req.method) || c.get('idempotencyKey') !== undefined) return next();
    const merchantId = c.get('merchantId');
    if (merchantId === undefined) throw new Error('idempotency() runs after merchantAssertion(): keys are kept per merchant.');

    const key = c.req.header(IDEMPOTENCY_KEY_HEADER);
    if (key === undefined || key === '') throw new ProblemError('idempotency_key_missing');
    if (!KEY_PATTERN.test(key)) {
      const message = 'must be 1–255 printable ASCII characters without spaces, such as a UUID';
      throw new ProblemError('request_invalid', `${IDEMPOTENCY_KEY_HEADER}: ${message}.`, {
        issues: [{ path: IDEMPOTENCY_KEY_HEADER, message }],
      });
    }
    const fingerprint = requestFingerprint(c.req.method, c.req.url, new Uint8Array(await c.req.arrayBuffer()));

    await purge();
    const claim = await store.claim({ merchantId, key, fingerprint, now: now(), lease, retention });
    switch (claim.outcome) {
      case 'replay':
        return replay(claim.response);
      case 'conflict':
        throw new ProblemError(
          'idempotency_conflict',
          `This ${IDEMPOTENCY_KEY_HEADER} was first used with another request (method, path or body); use a new key for a new request.`,
        );
      case 'in_progress':
        return problemResponse(new ProblemError('idempotency_in_progress'), { 'retry-after': '1' });
      case 'acquired':
        break;
    }

    c.set('idempotencyKey', key);
    try {
      await next();
    } catch (error) {
      await store.release(merchantId, key, claim.owner).catch((failure: unknown) => {
        options.log?.error('api.idempotency_not_released', { merchantId, error: failure });
      });
      throw error;
    }

    const response = c.res;
    try {
      if (!kept(response.status)) {
        await store.release(merchantId, key, claim.owner);
        return;
      }
      const headers: Record<string, string> = {};
      for (const name of replayHeaders) {
        const value = response.headers.get(name);
        if (value !== null) headers[name] = value;
      }
      const body = new Uint8Array(await response.clone().arrayBuffer());
      if (!(await store.complete(merchantId, key, claim.owner, { status: response.status, headers, body }))) {
        options.log?.warn('api.idempotency_lease_lost', { merchantId, status: response.status });
      }
    } catch (error) {
      // The endpoint has done its work: its answer goes out. The key stays in progress
      // until its lease runs out, then a retry runs the endpoint (whose writes are keyed) again.
      options.log?.error('api.idempotency_not_recorded', { merchantId, status: response.status, error });
    }
  };
}
