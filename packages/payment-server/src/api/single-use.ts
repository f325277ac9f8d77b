import type { AssertionClaims } from '@caisse/protocol';
import { ProblemError } from '../http/problem.js';
import type { Logger } from '../log.js';
import type { Queryable } from '../storage/database.js';
import { ASSERTION_CLOCK_TOLERANCE } from './assertion.js';
import { createAssertionStore } from './assertion-store.js';
import { periodic } from './periodic.js';

export interface SingleUseOptions {
  /** Where used `jti`s are recorded (`api_assertions`, keyed by the assertion's `iss`). */
  db: Queryable;
  now?: () => Date;
  /** Seconds; the same tolerance the assertion was verified with. */
  clockTolerance?: number;
  log?: Logger;
  /** Milliseconds between two purges of expired `jti`s by this instance. Default 60 000. */
  purgeInterval?: number;
}

/**
 * Spends a verified assertion's `jti`, so that a captured request cannot be sent again:
 * the second use of a live `jti` by the same issuer is `token_replayed`. Call it only once
 * every other check has passed, so a refused request does not burn the assertion.
 * Merchant and device requests share it, and so share one replay rule.
 * @example const spend = singleUse({ db }); await spend(claims)
 */
export function singleUse(options: SingleUseOptions): (claims: AssertionClaims) => Promise<void> {
  const now = options.now ?? (() => new Date());
  const tolerance = options.clockTolerance ?? ASSERTION_CLOCK_TOLERANCE;
  const store = createAssertionStore(options.db);
  const purge = periodic(() => store.purgeExpired(now()), {
    interval: options.purgeInterval ?? 60_000,
    now,
    name: 'api_assertions',
    ...(options.log ? { log: options.log } : {}),
  });

  return async (claims) => {
    await purge();
    // Kept until the assertion would be refused as expired anyway.
    const expiresAt = new Date((claims.exp + tolerance) * 1000);
    if (!(await store.consume(claims.iss, claims.jti, expiresAt, now()))) {
      throw new ProblemError('token_replayed', 'This assertion was already used: sign a new one, with a new jti, for every request.');
    }
  };
}
