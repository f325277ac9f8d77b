/**
 * When the client sends a request again, and after how long. Durations in milliseconds.
 * @example createMerchantClient({ …, retry: { limit: 4, backoff: 500, maxRetryAfter: 30_000 } })
 */
export interface RetryOptions {
  /** Retries after the first request (default 2; 0 turns retries off). */
  limit?: number;
  /** First back-off delay, doubled on each retry, with full jitter (default 300). */
  backoff?: number;
  /** Longest back-off delay (default 5,000). */
  backoffLimit?: number;
  /** Longest `Retry-After` the client waits for; a longer one ends the retries (default 60,000). */
  maxRetryAfter?: number;
}

export const RETRY_DEFAULTS = { limit: 2, backoff: 300, backoffLimit: 5_000, maxRetryAfter: 60_000 } as const;

/** What one attempt ended with, as far as the retry decision is concerned. */
export type AttemptOutcome =
  | { kind: 'network' }
  | { kind: 'timeout' }
  /** A success whose body cannot be read: no reason to believe the next one could. */
  | { kind: 'response_invalid' }
  | { kind: 'status'; status: number; code: string; retryAfter: number | undefined };

/**
 * Checks the options once, at construction, so a typo fails at start-up and not on the first outage.
 * @throws TypeError for a negative, fractional or non-finite value
 */
export function retryPolicy(options: RetryOptions | number | undefined): Required<RetryOptions> {
  const given = typeof options === 'number' ? { limit: options } : (options ?? {});
  const policy = { ...RETRY_DEFAULTS, ...given };
  for (const [name, value] of Object.entries(policy)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (name === 'limit' && !Number.isSafeInteger(value))) {
      throw new TypeError(`createMerchantClient: retry.${name} must be a non-negative ${name === 'limit' ? 'integer' : 'number'}.`);
    }
  }
  return policy;
}

/**
 * `Retry-After` (RFC 9110 §10.2.3) in seconds: a number of seconds or an HTTP date.
 * @example parseRetryAfter('2') // 2
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  // An IMF-fixdate (RFC 9110 §5.6.7); Date.parse alone would take "-1" for a year.
  if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * Whether a failed attempt may be sent again, and after how many milliseconds; undefined
 * when it must not. The caller only asks for requests that are safe to repeat: GETs, PUTs
 * (a repeat stores the same thing again), and POSTs carrying their `Idempotency-Key` (the
 * server runs a keyed POST at most once and answers a repeat with the first response).
 *
 * Retried: network errors and time-outs (the request may not have arrived, or its answer
 * was lost); 5xx other than 501 (the server keeps no outcome of a 5xx, so the repeat runs
 * afresh); 429 only when it says when (`Retry-After`); and 409 `idempotency_in_progress`,
 * the answer to a repeat that overtook its still-running original, which is the one way
 * to obtain that original's result. Any other 4xx is an answer about the request itself:
 * sending it again would get the same answer.
 * @example retryDelay({ kind: 'status', status: 503, code: 'internal_error', retryAfter: 2 }, 1, policy) // 2000
 */
export function retryDelay(
  outcome: AttemptOutcome,
  retry: number,
  policy: Required<RetryOptions>,
  random: () => number = Math.random,
): number | undefined {
  if (retry > policy.limit) return undefined;
  const backoff = () => Math.round(random() * Math.min(policy.backoffLimit, policy.backoff * 2 ** (retry - 1)));
  if (outcome.kind === 'response_invalid') return undefined;
  if (outcome.kind !== 'status') return backoff();
  const { status, code, retryAfter } = outcome;
  const retriable =
    (status >= 500 && status !== 501) ||
    (status === 429 && retryAfter !== undefined) ||
    (status === 409 && code === 'idempotency_in_progress');
  if (!retriable) return undefined;
  if (retryAfter === undefined) return backoff();
  const wait = retryAfter * 1000;
  return wait > policy.maxRetryAfter ? undefined : wait;
}
