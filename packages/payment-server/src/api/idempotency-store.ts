import { randomBytes } from 'node:crypto';
import { purge } from '../housekeeping/batch.js';
import { EXPIRED_IDEMPOTENCY_KEYS } from '../housekeeping/replay.js';
import type { Queryable } from '../storage/database.js';

/** A response kept to be replayed: status, the headers worth replaying, and the body bytes. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer>;
}

export type Claim =
  /** This request runs: it holds the key until it completes or releases it with `owner`. */
  | { outcome: 'acquired'; owner: string }
  /** The key has a completed response for this same request. */
  | { outcome: 'replay'; response: StoredResponse }
  /** The key was used with another request (method, path, query or body). */
  | { outcome: 'conflict' }
  /** Another execution holds the key for this same request and its lease has not run out. */
  | { outcome: 'in_progress' };

export interface ClaimInput {
  merchantId: string;
  key: string;
  /** SHA-256 of the request (see `requestFingerprint`). */
  fingerprint: string;
  now: Date;
  /** Seconds an execution holds the key before another may take it over. */
  lease: number;
  /** Seconds a key is kept, from its first use. */
  retention: number;
}

export interface IdempotencyStore {
  /**
   * Takes the key for this request, or says why not. The row is inserted `in_progress`
   * before the endpoint runs, so the database's primary key picks the one execution among
   * concurrent requests. A row past its retention is treated as absent; an `in_progress`
   * row for the same request whose lease has run out (its execution crashed) is taken over.
   */
  claim(input: ClaimInput): Promise<Claim>;
  /** Stores the response; false when `owner` no longer holds the key (its lease was taken over). */
  complete(merchantId: string, key: string, owner: string, response: StoredResponse): Promise<boolean>;
  /** Gives the key back unused (the request failed in a way a retry should run again). */
  release(merchantId: string, key: string, owner: string): Promise<void>;
  /** Deletes keys past their retention; returns how many. */
  purgeExpired(now: Date): Promise<number>;
}

interface KeyRow {
  request_sha256: string;
  state: 'in_progress' | 'completed';
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: Uint8Array | null;
}

/** @example const claim = await createIdempotencyStore(db).claim({ merchantId, key, fingerprint, now, lease: 120, retention: 86_400 }) */
export function createIdempotencyStore(db: Queryable): IdempotencyStore {
  async function claimOnce(input: ClaimInput): Promise<Claim | undefined> {
    const owner = randomBytes(16).toString('base64url');
    const at = input.now.getTime();
    const { rows: won } = await db.query(
      `INSERT INTO api_idempotency_keys (merchant_id, key, request_sha256, state, owner, locked_until, created_at, expires_at)
       VALUES ($1, $2, $3, 'in_progress', $4, $5, $6, $7)
       ON CONFLICT (merchant_id, key) DO UPDATE SET
         request_sha256 = EXCLUDED.request_sha256, state = 'in_progress', owner = EXCLUDED.owner,
         locked_until = EXCLUDED.locked_until, response_status = NULL, response_headers = NULL, response_body = NULL,
         created_at = CASE WHEN api_idempotency_keys.expires_at <= $6 THEN EXCLUDED.created_at ELSE api_idempotency_keys.created_at END,
         expires_at = CASE WHEN api_idempotency_keys.expires_at <= $6 THEN EXCLUDED.expires_at ELSE api_idempotency_keys.expires_at END
       WHERE api_idempotency_keys.expires_at <= $6
          OR (api_idempotency_keys.state = 'in_progress' AND api_idempotency_keys.locked_until <= $6
              AND api_idempotency_keys.request_sha256 = EXCLUDED.request_sha256)
       RETURNING owner`,
      [
        input.merchantId,
        input.key,
        input.fingerprint,
        owner,
        new Date(at + input.lease * 1000),
        input.now,
        new Date(at + input.retention * 1000),
      ],
    );
    if (won.length === 1) return { outcome: 'acquired', owner };

    const { rows } = await db.query<KeyRow>(
      `SELECT request_sha256, state, response_status, response_headers, response_body
       FROM api_idempotency_keys WHERE merchant_id = $1 AND key = $2`,
      [input.merchantId, input.key],
    );
    const row = rows[0];
    // Purged or released between the two statements: try again.
    if (row === undefined) return undefined;
    if (row.request_sha256 !== input.fingerprint) return { outcome: 'conflict' };
    if (row.state === 'in_progress') return { outcome: 'in_progress' };
    return {
      outcome: 'replay',
      response: {
        status: row.response_status as number,
        headers: row.response_headers ?? {},
        body: new Uint8Array(row.response_body ?? new Uint8Array()),
      },
    };
  }

  return {
    async claim(input) {
      for (let attempt = 0; attempt < 5; attempt++) {
        const claim = await claimOnce(input);
        if (claim !== undefined) return claim;
      }
      return { outcome: 'in_progress' };
    },

    async complete(merchantId, key, owner, response) {
      const { rows } = await db.query(
        `UPDATE api_idempotency_keys
         SET state = 'completed', response_status = $4, response_headers = $5::text::jsonb, response_body = $6
         WHERE merchant_id = $1 AND key = $2 AND owner = $3 AND state = 'in_progress'
         RETURNING 1 AS done`,
        [merchantId, key, owner, response.status, JSON.stringify(response.headers), response.body],
      );
      return rows.length === 1;
    },

    async release(merchantId, key, owner) {
      await db.query(`DELETE FROM api_idempotency_keys WHERE merchant_id = $1 AND key = $2 AND owner = $3 AND state = 'in_progress'`, [
        merchantId,
        key,
        owner,
      ]);
    },

    purgeExpired: (now) => purge(db, EXPIRED_IDEMPOTENCY_KEYS, now),
  };
}
