import { purge } from '../housekeeping/batch.js';
import { EXPIRED_ASSERTIONS } from '../housekeeping/replay.js';
import type { Queryable } from '../storage/database.js';

/** The `jti` of every accepted assertion, per merchant, until it would be refused as expired anyway. */
export interface AssertionStore {
  /**
   * Records the assertion as used. True for the first use; false when this merchant's
   * `jti` is already recorded and still live. The primary key decides, so of any number of
   * concurrent uses on any number of instances exactly one is first. A row already past
   * its `expires_at` (not yet purged) is taken over: a `jti` need only be unique while
   * an assertion carrying it could still be accepted.
   */
  consume(merchantId: string, jti: string, expiresAt: Date, now: Date): Promise<boolean>;
  /** Deletes rows past their `expires_at`; returns how many. */
  purgeExpired(now: Date): Promise<number>;
}

/** @example if (!(await createAssertionStore(db).consume(claims.iss, claims.jti, expiresAt, now))) throw new ProblemError('token_replayed') */
export function createAssertionStore(db: Queryable): AssertionStore {
  return {
    async consume(merchantId, jti, expiresAt, now) {
      const { rows } = await db.query(
        `INSERT INTO api_assertions (merchant_id, jti, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (merchant_id, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at
         WHERE api_assertions.expires_at <= $4
         RETURNING 1 AS first`,
        [merchantId, jti, expiresAt, now],
      );
      return rows.length === 1;
    },

    purgeExpired: (now) => purge(db, EXPIRED_ASSERTIONS, now),
  };
}
