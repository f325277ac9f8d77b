/**
 * When a failed notification is tried again: exponential backoff with "full jitter"
 * (Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015): after the
 * n-th failed attempt, wait a uniformly random time in [0, min(cap, base · 2^(n−1))].
 * The randomness spreads the retries of many notifications that failed together (a
 * merchant's outage) instead of sending them back in waves.
 */
export interface RetryPolicy {
  /** Ceiling of the wait after the first failure, ms. Default 10 s. */
  readonly baseMs: number;
  /** Largest ceiling of any one wait, ms. Default 1 h. */
  readonly maxWaitMs: number;
  /** How long after creation (or a resend) attempts go on before the notification is parked, ms. Default 3 days. */
  readonly windowMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseMs: 10_000,
  maxWaitMs: 60 * 60_000,
  windowMs: 3 * 24 * 60 * 60_000,
};

/**
 * The wait after failed attempt number `attempt` (1 for the first), in ms.
 * @example retryDelay(3, DEFAULT_RETRY_POLICY) // somewhere in [0, 40 000)
 */
export function retryDelay(attempt: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxWaitMs, policy.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
  return Math.floor(random() * ceiling);
}

/**
 * What follows a failed attempt made at `at`: another attempt, never later than the end of
 * the window (so the last one is made right at its end), or parking once the window is over.
 * @example afterFailure(1, new Date(), retryUntil) // { retryAt: <within 10 s> }
 */
export function afterFailure(
  attempt: number,
  at: Date,
  retryUntil: Date,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): { park: false; retryAt: Date } | { park: true } {
  if (at.getTime() >= retryUntil.getTime()) return { park: true };
  const retryAt = Math.min(at.getTime() + retryDelay(attempt, policy, random), retryUntil.getTime());
  return { park: false, retryAt: new Date(retryAt) };
}

/** Checks a policy given by a caller: positive numbers, the cap at least the base. */
export function checkRetryPolicy(policy: RetryPolicy): RetryPolicy {
  const { baseMs, maxWaitMs, windowMs } = policy;
  const positive = (value: number) => Number.isFinite(value) && value > 0;
  if (!(positive(baseMs) && positive(maxWaitMs) && positive(windowMs) && maxWaitMs >= baseMs)) {
    throw new TypeError('The retry policy needs positive baseMs, maxWaitMs and windowMs, with maxWaitMs at least baseMs.');
  }
  return policy;
}
