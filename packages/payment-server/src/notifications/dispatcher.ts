import { setMaxListeners } from 'node:events';
import { type Mode, TOKEN_TYPES } from '@caisse/protocol';
import { NOTIFICATION_MAX_AGE, signJws } from '@caisse/server-kit';
import { createAlertService } from '../alerts/service.js';
import type { ServerKeys } from '../keys/service.js';
import type { Logger } from '../log.js';
import type { Database } from '../storage/database.js';
import { NOTIFICATION_COLUMNS, NOTIFICATION_PARKED_ALERT, type NotificationRow } from './model.js';
import { afterFailure, checkRetryPolicy, DEFAULT_RETRY_POLICY, type RetryPolicy } from './schedule.js';

/**
 * Sends the outbox: every notification until the merchant acknowledges it with a 2xx, or
 * until its retry window (3 days) is over and it is parked for the operator.
 *
 * 1. A pass claims due rows in one statement (`FOR UPDATE SKIP LOCKED`) that counts the
 *    attempt and pushes `next_attempt_at` past the attempt's time-out: a lease, committed
 *    before anything is sent. Another dispatcher, on this instance or another, skips the
 *    row meanwhile; if this process dies mid-send, the row is due again once the lease ends.
 * 2. Each attempt is signed anew (`iat` now, `exp` now + 300 s, the row's id as `jti`)
 *    with the server's current key: receivers refuse a notification older than 5 minutes,
 *    and dedupe by `jti`.
 * 3. It is POSTed as `application/jose` with a time-out; redirects are not followed.
 * 4. 2xx: delivered. Anything else (a status, a time-out, a refused connection): the
 *    next attempt is scheduled with exponential backoff and full jitter, never after the
 *    end of the window; a failure at or after it parks the row and raises an alert, in one
 *    transaction.
 *
 * Delivery is at least once: a crash or a lost acknowledgement means the same `jti` again,
 * which the merchant's handler (server-kit `createNotificationHandler`) acknowledges
 * without processing it twice. The token is never stored nor logged.
 */
export interface NotificationDispatcherDeps {
  readonly db: Database;
  readonly keys: Pick<ServerKeys, 'signingKey'>;
  /** The payment server's issuer: the notifications' `iss`. */
  readonly issuer: string;
  /** In `test` mode each notification is signed with `test: true`; in `live` mode (the default) without it. */
  readonly mode?: Mode;
  readonly now: () => Date;
  /** Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
  readonly log: Logger;
  /** How long one POST may take, headers and all, ms. */
  readonly timeoutMs: number;
  /** Default {@link DEFAULT_RETRY_POLICY}: 10 s doubling, waits capped at 1 h, parked after 3 days. */
  readonly retry?: RetryPolicy;
  /** Uniform in [0, 1), for the jitter. Default `Math.random`. */
  readonly random?: () => number;
}

export interface DispatchReport {
  /** Rows this pass took (due, not taken by another dispatcher). */
  readonly claimed: number;
  readonly delivered: number;
  /** Failed this time, scheduled again. */
  readonly retrying: number;
  /** Failed at the end of their window: parked, alert raised. */
  readonly parked: number;
}

export interface NotificationDispatcher {
  /**
   * One pass: claims up to `limit` due notifications (default 50) and sends them at once.
   * @example const report = await dispatcher.runOnce({ limit: 100 })
   */
  runOnce(options?: { limit?: number }): Promise<DispatchReport>;
  /**
   * Runs passes in the background: every `intervalMs` (default 2 s), at once again when a
   * pass was full. Its timer does not keep the process alive. `stop` aborts the requests
   * in flight (their rows are sent again when their lease ends) and waits for the pass.
   */
  start(options?: { intervalMs?: number; limit?: number }): { stop(): Promise<void> };
}

/** Time beyond the POST's own time-out before a claimed row may be taken again (signing, recording the result). */
const LEASE_MARGIN_MS = 30_000;
const MAX_ERROR_LENGTH = 200;
const COMPACT_JWS = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;

const CLAIM_DUE = `
UPDATE notifications
   SET attempts = attempts + 1, last_attempt_at = $1, next_attempt_at = $3
 WHERE status = 'pending' AND next_attempt_at <= $1 AND id IN (
   SELECT id FROM notifications
    WHERE status = 'pending' AND next_attempt_at <= $1
    ORDER BY next_attempt_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED)
RETURNING ${NOTIFICATION_COLUMNS}`;

// Delivery is the truth: it also ends a row that a slower dispatcher's failure parked meanwhile.
const DELIVERED = `
UPDATE notifications SET status = 'delivered', delivered_at = $2, parked_at = NULL, last_error = NULL
 WHERE id = $1 AND status IN ('pending', 'parked')`;

// Only while this attempt is still the latest: a row re-claimed after its lease belongs to that attempt.
const RETRY = `UPDATE notifications SET next_attempt_at = $3, last_error = $4 WHERE id = $1 AND status = 'pending' AND attempts = $2`;

const PARK = `
UPDATE notifications SET status = 'parked', parked_at = $3, next_attempt_at = $3, last_error = $4
 WHERE id = $1 AND status = 'pending' AND attempts = $2
RETURNING ${NOTIFICATION_COLUMNS}`;

type Attempt = { ok: true; status: number } | { ok: false; error: string; stopped?: boolean };

function shorten(text: string): string {
  return text.replace(COMPACT_JWS, '[token]').slice(0, MAX_ERROR_LENGTH);
}

/** A short, secret-free reason for a failed POST. */
function failureReason(error: unknown): string {
  const name = (error as { name?: unknown })?.name;
  if (name === 'TimeoutError') return 'timeout';
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  if (typeof cause?.code === 'string') return shorten(`network: ${cause.code}`);
  const message = error instanceof Error ? error.message : String(error);
  return shorten(`network: ${typeof cause?.message === 'string' ? cause.message : message}`);
}

/** The most notifications one pass claims, and so sends at once. */
const MAX_CLAIM = 1_000;

/** Its signal has one listener per send in flight, removed when the send ends: as many as a pass claims, not a leak. */
function stopController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(MAX_CLAIM + 1, controller.signal);
  return controller;
}

/**
 * @example
 * const dispatcher = createNotificationDispatcher({ db, keys, issuer, now: () => new Date(), log, timeoutMs: 10_000 });
 * const running = dispatcher.start();
 * // at shutdown
 * await running.stop();
 */
export function createNotificationDispatcher(deps: NotificationDispatcherDeps): NotificationDispatcher {
  const { db, log, now } = deps;
  const send = deps.fetch ?? fetch;
  const policy = checkRetryPolicy(deps.retry ?? DEFAULT_RETRY_POLICY);
  const random = deps.random ?? Math.random;
  // Added at signing, as `iss` is: the mode is the server's, not the event's.
  const marker = deps.mode === 'test' ? ({ test: true } as const) : {};
  if (!(Number.isSafeInteger(deps.timeoutMs) && deps.timeoutMs > 0)) throw new TypeError('timeoutMs must be a positive integer.');
  const leaseMs = deps.timeoutMs + LEASE_MARGIN_MS;
  /** Aborts the requests in flight when the background loop stops. */
  let stopping = stopController();

  async function post(row: NotificationRow): Promise<Attempt> {
    let token: string;
    try {
      const iat = Math.floor(now().getTime() / 1000);
      token = signJws(
        TOKEN_TYPES.notification,
        { ...row.payload, iss: deps.issuer, iat, exp: iat + NOTIFICATION_MAX_AGE, ...marker },
        await deps.keys.signingKey(),
      );
    } catch (error) {
      log.error('notification.sign_failed', { notificationId: row.id, error });
      return { ok: false, error: 'signing failed' };
    }
    const signal = stopping.signal;
    // One controller per request, aborted by its time-out or by stop(), and detached from
    // stop()'s long-lived signal once done. Not AbortSignal.any: on Node 20 each signal it
    // makes stays attached to the long-lived one for ever (nodejs/node#55351), a leak of
    // one entry per notification sent that the soak bench measured.
    const request = new AbortController();
    const timer = setTimeout(() => request.abort(new DOMException('The merchant did not answer in time.', 'TimeoutError')), deps.timeoutMs);
    const onStop = () => request.abort(signal.reason);
    signal.addEventListener('abort', onStop, { once: true });
    try {
      const response = await send(row.target_url, {
        method: 'POST',
        headers: { 'content-type': 'application/jose', accept: 'application/json, application/problem+json' },
        body: token,
        // A 3xx is a failure: following it would send the event wherever the answer points.
        redirect: 'manual',
        signal: request.signal,
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
      if (response.status >= 300 && response.status < 400) return { ok: false, error: `redirect ${response.status} not followed` };
      return { ok: false, error: `http ${response.status}` };
    } catch (error) {
      if (signal.aborted) return { ok: false, error: 'stopped', stopped: true };
      return { ok: false, error: failureReason(request.signal.aborted ? request.signal.reason : error) };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onStop);
    }
  }

  async function record(row: NotificationRow, attempt: Attempt): Promise<'delivered' | 'retrying' | 'parked' | 'left'> {
    // Not `event`: that is the log line's own name.
    const fields = { notificationId: row.id, merchantId: row.merchant_id, eventType: row.event, attempts: row.attempts };
    const at = now();
    if (attempt.ok) {
      await db.query(DELIVERED, [row.id, at]);
      log.info('notification.delivered', { ...fields, status: attempt.status });
      return 'delivered';
    }
    // Stopped mid-send: the lease brings it back, on this instance or another.
    if (attempt.stopped) return 'left';
    const next = afterFailure(row.attempts, at, row.retry_until, policy, random);
    if (!next.park) {
      await db.query(RETRY, [row.id, row.attempts, next.retryAt, attempt.error]);
      log.warn('notification.failed', { ...fields, error: attempt.error, retryAt: next.retryAt.toISOString() });
      return 'retrying';
    }
    const parked = await db.transaction(async (tx) => {
      const { rows } = await tx.query<NotificationRow>(PARK, [row.id, row.attempts, at, attempt.error]);
      const moved = rows[0];
      if (moved === undefined) return false;
      await createAlertService({ db: tx, now, log }).raise({
        kind: NOTIFICATION_PARKED_ALERT,
        subject: moved.id,
        details: {
          merchant: moved.merchant_id,
          event: moved.event,
          attempts: Number(moved.attempts),
          lastError: attempt.error,
          since: moved.created_at.toISOString(),
        },
      });
      return true;
    });
    if (parked) log.error('notification.parked', { ...fields, error: attempt.error });
    return parked ? 'parked' : 'left';
  }

  async function deliver(row: NotificationRow): Promise<'delivered' | 'retrying' | 'parked' | 'left'> {
    try {
      return await record(row, await post(row));
    } catch (error) {
      // Recording failed (the database went away): the lease brings the row back.
      log.error('notification.record_failed', { notificationId: row.id, error });
      return 'left';
    }
  }

  async function runOnce(options: { limit?: number } = {}): Promise<DispatchReport> {
    const limit = options.limit ?? 50;
    if (!(Number.isSafeInteger(limit) && limit > 0 && limit <= MAX_CLAIM))
      throw new TypeError(`limit must be an integer from 1 to ${MAX_CLAIM}.`);
    const at = now();
    const { rows } = await db.query<NotificationRow>(CLAIM_DUE, [at, limit, new Date(at.getTime() + leaseMs)]);
    const report = { claimed: rows.length, delivered: 0, retrying: 0, parked: 0 };
    const outcomes = await Promise.all(rows.map((row) => deliver({ ...row, attempts: Number(row.attempts) })));
    for (const outcome of outcomes) if (outcome !== 'left') report[outcome] += 1;
    return report;
  }

  return {
    runOnce,
    start(options = {}) {
      const intervalMs = options.intervalMs ?? 2_000;
      const limit = options.limit ?? 50;
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      let running: Promise<void> = Promise.resolve();
      stopping = stopController();
      const schedule = (delay: number) => {
        if (stopped) return;
        timer = setTimeout(tick, delay);
        timer.unref();
      };
      function tick() {
        running = runOnce({ limit }).then(
          (report) => schedule(report.claimed === limit ? 0 : intervalMs),
          (error: unknown) => {
            log.error('notification.dispatch_failed', { error });
            schedule(intervalMs);
          },
        );
      }
      schedule(0);
      return {
        async stop() {
          stopped = true;
          clearTimeout(timer);
          stopping.abort();
          await running;
        },
      };
    },
  };
}
