import { canonicalJson } from '@caisse/protocol';
import { sha256Hex, ZERO_HASH } from '../audit/encoding.js';
import type { AuditFinding } from '../audit/verify.js';
import { type Executor, type Queryable, withTransaction } from '../storage/database.js';

/** Facts about an action, as flat JSON. Never a password, code, secret, token or access key. */
export type ActionDetails = Readonly<Record<string, string | number | boolean | null>>;

/** What an operator did (or tried, and was refused): one row of the register. */
export interface OperatorActionInput {
  /** The operator's id; `cli` for a command run on the server's host. */
  operatorId: string;
  /** `merchant.suspend`, `sign_in`, `sign_in.refused`… (`a-z 0-9 _ .`). */
  action: string;
  /** What it was done to: a merchant id, a payment id, a notification id, an operator id. */
  subject: string;
  details?: ActionDetails;
  /** The request's client address (`CAISSE_TRUST_PROXY` applies), or `cli`. */
  client: string;
}

export interface OperatorAction extends Required<OperatorActionInput> {
  readonly seq: bigint;
  readonly at: Date;
  readonly prevHash: string;
  readonly hash: string;
}

interface ActionRow {
  seq: bigint;
  operator_id: string;
  action: string;
  subject: string;
  details: ActionDetails;
  client: string;
  at: Date;
  prev_hash: string;
  hash: string;
}

const ACTION_COLUMNS = 'seq, operator_id, action, subject, details, client, at, prev_hash, hash';

/**
 * The hash of one action: SHA-256 over the previous action's hash and the action's own
 * content as RFC 8785 canonical JSON (every column but the hashes). Recomputed by
 * `verifyAudit` from the rows as they are.
 */
export function actionHash(prevHash: string, action: Omit<OperatorAction, 'prevHash' | 'hash'>): string {
  const content = canonicalJson({
    v: 1,
    seq: action.seq.toString(),
    operator: action.operatorId,
    action: action.action,
    subject: action.subject,
    details: action.details,
    client: action.client,
    at: action.at.toISOString(),
  });
  return sha256Hex(`${prevHash}\n${content}`);
}

/**
 * Appends an action to the register, chained to the one before. Concurrent writers take
 * turns on the table lock (readers are not blocked), and the database refuses a row that
 * does not extend the chain, so two instances can never fork it. Joins the caller's
 * transaction when given one.
 * @example await recordAction(db, { operatorId: 'alice', action: 'merchant.suspend', subject: 'bookshop', details: { reason }, client }, now())
 */
export function recordAction(executor: Executor, input: OperatorActionInput, at: Date): Promise<OperatorAction> {
  return withTransaction(executor, async (tx) => {
    await tx.query('LOCK TABLE operator_actions IN SHARE ROW EXCLUSIVE MODE');
    const { rows } = await tx.query<{ seq: bigint; hash: string }>('SELECT seq, hash FROM operator_actions ORDER BY seq DESC LIMIT 1');
    const head = rows[0];
    const action = {
      seq: (head?.seq ?? 0n) + 1n,
      operatorId: input.operatorId,
      action: input.action,
      subject: input.subject.slice(0, 200),
      details: input.details ?? {},
      client: input.client.slice(0, 100),
      at,
    };
    const prevHash = head?.hash ?? ZERO_HASH;
    const hash = actionHash(prevHash, action);
    await tx.query(
      `INSERT INTO operator_actions (seq, operator_id, action, subject, details, client, at, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5::text::jsonb, $6, $7, $8, $9)`,
      [action.seq, action.operatorId, action.action, action.subject, JSON.stringify(action.details), action.client, at, prevHash, hash],
    );
    return { ...action, prevHash, hash };
  });
}

export interface ListActionsOptions {
  /** Only this operator's. */
  operatorId?: string;
  /** Only actions on this subject. */
  subject?: string;
  /** Only these actions. */
  actions?: readonly string[];
  /** Keyset paging: actions older than this one. */
  before?: bigint;
  /** Default 100, at most 500. */
  limit?: number;
}

/** The register, newest first. @example const latest = await listActions(db, { subject: 'bookshop', limit: 20 }) */
export async function listActions(db: Queryable, options: ListActionsOptions = {}): Promise<OperatorAction[]> {
  const limit = Math.min(Math.max(options.limit ?? 100, 1), 500);
  const { rows } = await db.query<ActionRow>(
    `SELECT ${ACTION_COLUMNS} FROM operator_actions
      WHERE ($1::text IS NULL OR operator_id = $1) AND ($2::text IS NULL OR subject = $2)
        AND ($3::text[] IS NULL OR action = ANY($3)) AND ($4::int8 IS NULL OR seq < $4)
      ORDER BY seq DESC LIMIT $5`,
    [options.operatorId ?? null, options.subject ?? null, options.actions ?? null, options.before ?? null, limit],
  );
  return rows.map(toAction);
}

function toAction(row: ActionRow): OperatorAction {
  return {
    seq: BigInt(row.seq),
    operatorId: row.operator_id,
    action: row.action,
    subject: row.subject,
    details: row.details,
    client: row.client,
    at: row.at,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * `verifyAudit`'s check of the register of operator actions: every row hashes to its
 * stored hash from the rows as they are, points at the hash of the row before it, and no
 * sequence number is missing. Each difference is an `operator_action_edited` finding.
 * Like the audit batches, deleting the newest actions cannot be told from never having
 * recorded them: keep the head (`seq:hash`) outside the database to catch that.
 * @returns the number of actions checked
 */
export async function checkOperatorActions(db: Queryable, findings: AuditFinding[], chunkSize: number): Promise<number> {
  let prevSeq = 0n;
  let prevHash = ZERO_HASH;
  let count = 0;
  for (;;) {
    const { rows } = await db.query<ActionRow>(`SELECT ${ACTION_COLUMNS} FROM operator_actions WHERE seq > $1 ORDER BY seq LIMIT $2`, [
      prevSeq,
      chunkSize,
    ]);
    for (const row of rows) {
      const action = toAction(row);
      count++;
      if (action.seq !== prevSeq + 1n) {
        findings.push({
          kind: 'operator_action_edited',
          detail: `Operator actions ${prevSeq + 1n} to ${action.seq - 1n} are missing from the register.`,
        });
      }
      if (action.prevHash !== prevHash) {
        findings.push({
          kind: 'operator_action_edited',
          field: 'prev_hash',
          expected: prevHash,
          actual: action.prevHash,
          detail: `Operator action ${action.seq} does not point at the hash of the action before it.`,
        });
      }
      const recomputed = actionHash(action.prevHash, action);
      if (recomputed !== action.hash) {
        findings.push({
          kind: 'operator_action_edited',
          field: 'hash',
          expected: action.hash,
          actual: recomputed,
          detail: `Operator action ${action.seq} (${action.action} by ${action.operatorId}) no longer hashes as it was recorded: it was edited.`,
        });
      }
      prevSeq = action.seq;
      prevHash = action.hash;
    }
    if (rows.length < chunkSize) return count;
  }
}
