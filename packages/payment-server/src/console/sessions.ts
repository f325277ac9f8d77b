import { createHash, randomBytes } from 'node:crypto';
import { type Executor, type Queryable, withTransaction } from '../storage/database.js';
import { OPERATOR_COLUMNS, type Operator, type OperatorRow, toOperator } from './model.js';

/** How long the code may take after the right password: an authenticator app shows a new one every 30 s. */
export const SECOND_FACTOR_MS = 5 * 60_000;

export interface OperatorSessionsDeps {
  db: Executor;
  /** Longest a session lasts, however active (CAISSE_CONSOLE_SESSION_MINUTES). */
  lifetimeMs: number;
  /** A session unused this long ends (CAISSE_CONSOLE_IDLE_MINUTES). */
  idleMs: number;
  now?: () => Date;
}

/**
 * Console sessions, in the database so any instance serves them. The browser holds a
 * random token (32 bytes); the table holds only its SHA-256. A session starts at the
 * `second_factor` stage after the right password and is replaced by a new `signed_in`
 * one (a new token: what a page saw before sign-in is worth nothing after) once the code
 * is right. The only writer of `operator_sessions`.
 * @example const sessions = createOperatorSessions({ db, lifetimeMs: 8 * 3_600_000, idleMs: 15 * 60_000 })
 */
export function createOperatorSessions(deps: OperatorSessionsDeps) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  async function insert(executor: Queryable, operatorId: string, stage: 'second_factor' | 'signed_in', at: Date): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const lifetime = stage === 'second_factor' ? SECOND_FACTOR_MS : deps.lifetimeMs;
    await executor.query(
      `INSERT INTO operator_sessions (token_sha256, operator_id, stage, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $4)`,
      [tokenHash(token), operatorId, stage, at, new Date(at.getTime() + lifetime)],
    );
    return token;
  }

  return {
    /** After the right password: a session waiting for the code. Also clears the operator's dead sessions, so the table stays small. */
    async start(operatorId: string): Promise<string> {
      const at = now();
      await db.query('DELETE FROM operator_sessions WHERE operator_id = $1 AND (ended_at IS NOT NULL OR expires_at <= $2)', [
        operatorId,
        at,
      ]);
      return insert(db, operatorId, 'second_factor', at);
    },

    /** The operator a live `second_factor` session waits for, or undefined. */
    async awaitingCode(token: string | undefined): Promise<string | undefined> {
      if (!isToken(token)) return undefined;
      const { rows } = await db.query<{ operator_id: string }>(
        `SELECT operator_id FROM operator_sessions
          WHERE token_sha256 = $1 AND stage = 'second_factor' AND ended_at IS NULL AND expires_at > $2`,
        [tokenHash(token), now()],
      );
      return rows[0]?.operator_id;
    },

    /** After the right code: ends the waiting session and returns the token of a signed-in one. */
    async complete(token: string, operatorId: string): Promise<string> {
      const at = now();
      return withTransaction(db, async (tx) => {
        await tx.query('UPDATE operator_sessions SET ended_at = $2 WHERE token_sha256 = $1 AND ended_at IS NULL', [tokenHash(token), at]);
        return insert(tx, operatorId, 'signed_in', at);
      });
    },

    /**
     * The signed-in operator of this token, read afresh (a role changed or an account
     * disabled applies at the next page), and the session kept alive; undefined when the
     * session is unknown, ended, past its lifetime or idle too long.
     */
    async signedIn(token: string | undefined): Promise<Operator | undefined> {
      if (!isToken(token)) return undefined;
      const at = now();
      const { rows } = await db.query<OperatorRow>(
        `UPDATE operator_sessions s SET last_seen_at = $2
           FROM operators o
          WHERE s.token_sha256 = $1 AND s.stage = 'signed_in' AND s.ended_at IS NULL AND s.expires_at > $2
            AND s.last_seen_at > $3 AND o.id = s.operator_id AND o.disabled_at IS NULL
        RETURNING ${OPERATOR_COLUMNS.split(', ')
          .map((column) => `o.${column}`)
          .join(', ')}`,
        [tokenHash(token), at, new Date(at.getTime() - deps.idleMs)],
      );
      return rows[0] === undefined ? undefined : toOperator(rows[0]);
    },

    /** Signs out: the token is worth nothing from now on, on every instance. */
    async end(token: string | undefined): Promise<void> {
      if (!isToken(token)) return;
      await db.query('UPDATE operator_sessions SET ended_at = $2 WHERE token_sha256 = $1 AND ended_at IS NULL', [tokenHash(token), now()]);
    },
  };
}

export type OperatorSessions = ReturnType<typeof createOperatorSessions>;

/** Ends every session of an operator (disabled, or their second factor reset), in the caller's transaction. */
export async function endSessionsOf(executor: Queryable, operatorId: string, at: Date): Promise<void> {
  await executor.query('UPDATE operator_sessions SET ended_at = $2 WHERE operator_id = $1 AND ended_at IS NULL', [operatorId, at]);
}

function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function isToken(token: string | undefined): token is string {
  return token !== undefined && /^[A-Za-z0-9_-]{43}$/.test(token);
}
