import { createHash } from 'node:crypto';
import {
  AcquirerError,
  type AcquirerResult,
  type AuthoriseRequest,
  amount as amountSchema,
  currency as currencySchema,
  type Declined,
  description,
  isAcquirerError,
  idempotencyKey as key,
  type OperationKind,
  type PayoutRequest,
  type PendingCause,
  reference,
} from '@caisse/acquirer';
import { canonicalJson } from '@caisse/protocol';
import { z } from 'zod';
import type { JsonObject } from '../ledger/model.js';
import { createLogger, type Logger } from '../log.js';
import type { Database, Queryable, Transaction } from '../storage/database.js';
import { fromDatabaseError } from './errors.js';
import {
  type AcquirerOperation,
  type ApprovedOperation,
  type DeclinedOperation,
  OPERATION_COLUMNS,
  type OperationRow,
  storedRequest,
  toOperation,
} from './model.js';
import { type AcquirerConfig, checkAcquirers, type RoutedOperation, route } from './routing.js';

/**
 * Bank operations that can never be charged twice.
 *
 * 1. The operation is recorded and committed, under its idempotency key, before the bank
 *    is called. A crash after that point leaves a `pending` row that reconciliation finds.
 * 2. The bank is called with that key. A retry of the same business operation (same key,
 *    same content) reuses the row and the key; there is no code path that makes a new key.
 * 3. The answer is stored. A time-out or any doubt leaves the row `pending`.
 * 4. {@link AcquirerOperations.reconcile} asks the bank what it did under each pending key
 *    (`lookup`) and, if the bank never received it, sends it again under the same key.
 *
 * Several acquirers: an authorisation goes to the first acquirer its route names
 * (routing.ts); every later operation on it (capture, refund, void) goes to the acquirer
 * that authorised, which the database enforces. An authorisation is handed over to the
 * next acquirer of its route only when the first provably did not charge: it refused the
 * request before acting (`request_rejected`), or reconciliation's lookup says it never
 * received it. Never on a time-out or an error whose outcome is unknown: that stays
 * pending until the same acquirer answers. The handover is one transaction that declines
 * the first operation and records the next (`handed_over_to`), so a crash in between
 * leaves either the first pending or the next pending, never both and never neither; the
 * purpose hooks do not run for a handed-over decline.
 *
 * Leaving `pending` is one `UPDATE … WHERE status = 'pending'`: whichever of the caller,
 * a retry or a reconciler on another instance gets there first moves it, the others see
 * it already moved. The `onApproved` / `onDeclined` hooks run inside that same
 * transaction, so the payment flow books the money (debit `bank_clearing`, credit the
 * till) exactly when, and only when, the operation becomes approved: if the hook fails
 * the transition is rolled back too, and reconciliation tries both again later.
 *
 * Because it commits before calling the bank, the service works over a {@link Database},
 * never inside a caller's transaction.
 */

export interface AcquirerOperationsDeps {
  readonly db: Database;
  /** The named acquirers, in routing order (routing.ts). */
  readonly acquirers: readonly AcquirerConfig[];
  readonly now?: () => Date;
  /** Default: info-level JSON lines on stdout. Customer bank references are never logged. */
  readonly log?: Logger;
  /**
   * Runs in the transaction that moves an operation from pending to approved: exactly once
   * per operation, whichever path (first call, retry, reconciliation) gets the answer.
   * Database work through `tx` only: the transaction may be re-run after a serialization
   * failure, and anything it does outside the database would not be rolled back.
   */
  readonly onApproved?: (tx: Transaction, operation: ApprovedOperation) => Promise<void>;
  /** The same, for a decline (e.g. release a reservation, refuse the checkout). */
  readonly onDeclined?: (tx: Transaction, operation: DeclinedOperation) => Promise<void>;
  /**
   * How long after an attempt reconciliation may look at a pending operation again,
   * doubling with each attempt. Keep it above the acquirer's timeout, so reconciliation
   * does not ask about a request still in flight (harmless, since the key is the same, but
   * wasted). Default 30 s.
   */
  readonly retryAfterMs?: number;
  /** The longest wait between two attempts. Default 15 min. */
  readonly maxRetryAfterMs?: number;
}

interface Common<M extends JsonObject = JsonObject> {
  readonly idempotencyKey: string;
  /** The caller's context, handed back to the hooks; part of the content compared on retry. */
  readonly metadata?: M;
}

export type AuthoriseInput<M extends JsonObject = JsonObject> = AuthoriseRequest & Pick<Common<M>, 'metadata'>;
export type PayoutInput<M extends JsonObject = JsonObject> = PayoutRequest & Pick<Common<M>, 'metadata'>;

export interface CaptureInput<M extends JsonObject = JsonObject> extends Common<M> {
  /** The idempotency key of the approved authorisation to capture. */
  readonly authorisationKey: string;
  readonly amount: number;
}

export interface RefundInput<M extends JsonObject = JsonObject> extends Common<M> {
  /** The idempotency key of the authorisation whose captured funds are refunded. */
  readonly authorisationKey: string;
  readonly amount: number;
}

export interface VoidInput<M extends JsonObject = JsonObject> extends Common<M> {
  /** The idempotency key of the authorisation to release. */
  readonly authorisationKey: string;
  /** What is released: the authorised amount not captured. */
  readonly amount: number;
}

export interface OperationOutcome {
  readonly operation: AcquirerOperation;
  /**
   * True when this call moved the operation out of `pending` (and ran `onApproved` or
   * `onDeclined` in that transaction). At most one call ever sees it true.
   */
  readonly transitioned: boolean;
  /** True when the operation was approved or declined before this call: the bank was not asked again. */
  readonly replayed: boolean;
  /** Why it is still pending after this call, when it is. */
  readonly cause: PendingCause | null;
}

export interface ReconcileReport {
  /** Pending operations due for an attempt that this pass took. */
  readonly examined: number;
  readonly approved: number;
  readonly declined: number;
  /** Still pending (the bank silent again, or its answer did not match our record). */
  readonly pending: number;
  /** Sent again under their key because the bank had never received them. */
  readonly resent: number;
  /** Authorisations their bank never received, handed over to the next acquirer of their route. */
  readonly handedOver: number;
  /** Attempts that raised an error (logged); the operation stays pending. */
  readonly failed: number;
}

/** `M`: what the callers' metadata must be (the payment server's `BankMetadata`). */
export interface AcquirerOperations<M extends JsonObject = JsonObject> {
  /** The names of the acquirers that take this operation, in the order they would be asked. */
  route(operation: RoutedOperation): string[];
  /**
   * Authorises with the first acquirer of the route, handing over as described above; the
   * outcome is that of the last operation of the chain.
   * @throws AcquirerError `invalid_request`, `no_acquirer`, `idempotency_conflict`, `bank_idempotency_conflict`
   */
  authorise(input: AuthoriseInput<M>): Promise<OperationOutcome>;
  /** @throws AcquirerError as `authorise`, and `authorisation_unknown`, `authorisation_pending`, `authorisation_declined` */
  capture(input: CaptureInput<M>): Promise<OperationOutcome>;
  /** @throws AcquirerError as `capture` */
  refund(input: RefundInput<M>): Promise<OperationOutcome>;
  /** Releases the authorisation (what is not captured). @throws AcquirerError as `capture` */
  void(input: VoidInput<M>): Promise<OperationOutcome>;
  /** Pays out through the first acquirer that takes the currency and merchant. @throws AcquirerError as `authorise` */
  payout(input: PayoutInput<M>): Promise<OperationOutcome>;
  /** The operation under this key; for an authorisation handed over, the one that took over. */
  get(idempotencyKey: string): Promise<AcquirerOperation | undefined>;
  /** Pending operations, oldest first, for an operator's view. */
  listPending(limit?: number): Promise<AcquirerOperation[]>;
  /**
   * Settles pending operations that are due: `lookup` by key, and if the bank never got
   * the request, the same request under the same key. Safe to run from several instances
   * at once (rows are claimed with `FOR UPDATE SKIP LOCKED`, then pushed back in time).
   */
  reconcile(options?: { limit?: number }): Promise<ReconcileReport>;
}

const metadata = z
  .record(z.string(), z.unknown())
  .optional()
  .transform((value, context) => {
    try {
      const text = canonicalJson(value ?? {});
      if (text.length <= 4_096) return JSON.parse(text) as JsonObject;
      context.addIssue({ code: 'custom', message: 'must be at most 4096 characters of canonical JSON' });
    } catch {
      context.addIssue({ code: 'custom', message: 'must hold only strings, safe integers, booleans, null, arrays and objects' });
    }
    return z.NEVER;
  });

const authoriseInput = z.object({
  idempotencyKey: key,
  customerBankRef: reference,
  amount: amountSchema,
  currency: currencySchema,
  merchantId: reference,
  description,
  metadata,
});
const followUpInput = z.object({ idempotencyKey: key, authorisationKey: key, amount: amountSchema, metadata });
const payoutInput = z.object({
  idempotencyKey: key,
  merchantId: reference,
  accountRef: reference,
  amount: amountSchema,
  currency: currencySchema,
  metadata,
});

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new AcquirerError('invalid_request', `Invalid bank operation: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
}

/** SQL for the next attempt's time after attempt number `attempts`: `at` + base · 2^(attempts − 1) ms, at most `max` ms. */
function nextAttempt(at: string, attempts: string, base: string, max: string): string {
  return `${at}::timestamptz + make_interval(secs => least(${base}::float8 * power(2, least(${attempts} - 1, 30)), ${max}::float8) / 1000.0)`;
}

const INSERT = `
INSERT INTO acquirer_operations
  (idempotency_key, kind, authorisation_id, request, request_hash, metadata, amount, currency,
   attempts, created_at, updated_at, last_attempt_at, next_attempt_at, acquirer, fallbacks)
VALUES ($1, $2, $3, $4::text::jsonb, $5, $6::text::jsonb, $7, $8, 1, $9, $9, $9, ${nextAttempt('$9', '1', '$10', '$11')}, $12, $13::text[])
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING ${OPERATION_COLUMNS}`;

const BEGIN_ATTEMPT = `
UPDATE acquirer_operations
SET attempts = attempts + 1, last_attempt_at = $2, updated_at = $2, next_attempt_at = ${nextAttempt('$2', '(attempts + 1)', '$3', '$4')}
WHERE id = $1 AND status = 'pending'
RETURNING ${OPERATION_COLUMNS}`;

const CLAIM_DUE = `
UPDATE acquirer_operations
SET attempts = attempts + 1, last_attempt_at = $1, updated_at = $1, next_attempt_at = ${nextAttempt('$1', '(attempts + 1)', '$3', '$4')}
WHERE id IN (
  SELECT id FROM acquirer_operations
  WHERE status = 'pending' AND next_attempt_at <= $1
  ORDER BY next_attempt_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED
)
RETURNING ${OPERATION_COLUMNS}`;

const RESOLVE = `
UPDATE acquirer_operations
SET status = $2, bank_reference = $3, decline_reason = $4, resolved_at = $5, updated_at = $5, last_error = NULL, handed_over_to = $6
WHERE id = $1 AND status = 'pending'
RETURNING ${OPERATION_COLUMNS}`;

const LOCK_PENDING = `SELECT id FROM acquirer_operations WHERE id = $1 AND status = 'pending' FOR UPDATE`;

/** Declines that prove the bank did nothing: the only ones after which another acquirer may be asked. */
const HANDOVER_REASONS: ReadonlySet<string> = new Set(['request_rejected', 'not_received']);

const NOTE_PENDING = `UPDATE acquirer_operations SET last_error = $2, updated_at = $3 WHERE id = $1 AND status = 'pending'`;

/**
 * @example
 * const operations = createAcquirerOperations({
 *   db, acquirers: [{ name: 'my-bank', acquirer: createMyBankAdapter(options) }], log,
 *   onApproved: (tx, operation) => dispatch(handlers, tx, operation), // the purpose's handler books it, same transaction
 * });
 * const outcome = await operations.authorise({ idempotencyKey: `acq:authorise:${merchant}:${jti}`, … });
 * setInterval(() => operations.reconcile().catch((error) => log.error('acquirer.reconcile.failed', { error })), 30_000);
 */
export function createAcquirerOperations<M extends JsonObject = JsonObject>(deps: AcquirerOperationsDeps): AcquirerOperations<M> {
  const { db } = deps;
  const acquirers = checkAcquirers(deps.acquirers);
  const byName = new Map(acquirers.map((config) => [config.name, config.acquirer]));
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? createLogger();
  const retryAfterMs = deps.retryAfterMs ?? 30_000;
  const maxRetryAfterMs = deps.maxRetryAfterMs ?? 15 * 60_000;
  if (!(retryAfterMs > 0 && maxRetryAfterMs >= retryAfterMs)) {
    throw new AcquirerError('invalid_request', 'retryAfterMs must be positive and maxRetryAfterMs at least as large.');
  }

  async function query<T extends object>(executor: Queryable, sql: string, params: readonly unknown[]): Promise<T[]> {
    try {
      return (await executor.query<T>(sql, params)).rows;
    } catch (error) {
      throw fromDatabaseError(error);
    }
  }

  async function load(executor: Queryable, column: 'id' | 'idempotency_key', value: string): Promise<OperationRow | undefined> {
    const rows = await query<OperationRow>(executor, `SELECT ${OPERATION_COLUMNS} FROM acquirer_operations WHERE ${column} = $1`, [value]);
    return rows[0];
  }

  /** The operation under a key or, for an authorisation handed over, the one that took over. */
  async function latest(executor: Queryable, row: OperationRow): Promise<OperationRow> {
    let current = row;
    while (current.handed_over_to !== null) {
      const next = await load(executor, 'id', current.handed_over_to);
      if (next === undefined) throw new Error('acquirer: a handover points nowhere (operations are never deleted)');
      current = next;
    }
    return current;
  }

  function outcome(row: OperationRow, fields: Partial<Omit<OperationOutcome, 'operation'>> = {}): OperationOutcome {
    return { operation: toOperation(row), transitioned: false, replayed: false, cause: null, ...fields };
  }

  /** Records the operation (or finds it under its key) and counts the attempt about to be made. */
  async function record(
    kind: OperationKind,
    idempotencyKey: string,
    request: Record<string, unknown>,
    money: { amount: number; currency: string },
    authorisationId: string | null,
    meta: JsonObject,
    target: { acquirer: string; fallbacks: readonly string[] },
  ): Promise<{ row: OperationRow; replayed: boolean }> {
    const requestJson = canonicalJson(request);
    const metadataJson = canonicalJson(meta);
    const hash = createHash('sha256')
      .update(canonicalJson({ kind, request, metadata: meta }))
      .digest('hex');
    const at = now();
    const inserted = await query<OperationRow>(db, INSERT, [
      idempotencyKey,
      kind,
      authorisationId,
      requestJson,
      hash,
      metadataJson,
      money.amount,
      money.currency,
      at,
      retryAfterMs,
      maxRetryAfterMs,
      target.acquirer,
      target.fallbacks,
    ]);
    const created = inserted[0];
    if (created !== undefined) {
      log.info('acquirer.operation.recorded', {
        idempotencyKey,
        kind,
        acquirer: target.acquirer,
        amount: money.amount,
        currency: money.currency,
      });
      return { row: created, replayed: false };
    }
    const existing = await load(db, 'idempotency_key', idempotencyKey);
    if (existing === undefined) throw new Error('acquirer: key conflicted but no operation holds it (operations are never deleted)');
    if (existing.request_hash !== hash) {
      throw new AcquirerError('idempotency_conflict', undefined, { details: { idempotencyKey, kind: existing.kind } });
    }
    return again(await latest(db, existing));
  }

  /** A recorded operation asked for again: resolved, it is replayed; pending, the attempt about to be made is counted. */
  async function again(existing: OperationRow): Promise<{ row: OperationRow; replayed: boolean }> {
    if (existing.status !== 'pending') return { row: existing, replayed: true };
    const attempt = await query<OperationRow>(db, BEGIN_ATTEMPT, [existing.id, now(), retryAfterMs, maxRetryAfterMs]);
    const row = attempt[0] ?? (await load(db, 'id', existing.id));
    if (row === undefined) throw new Error('acquirer: an operation vanished (operations are never deleted)');
    // Resolved in between by someone else: nothing left to ask the bank.
    return { row, replayed: row.status !== 'pending' };
  }

  /** Sends the stored request under the stored key: the only way this service talks to the bank about an operation. */
  function send(row: OperationRow): Promise<AcquirerResult> {
    const request = storedRequest(row);
    const idempotencyKey = row.idempotency_key;
    const acquirer = byName.get(row.acquirer);
    // Renamed or removed from the configuration: the operation waits, pending, for it to come back.
    if (acquirer === undefined) return Promise.reject(new Error(`No acquirer named ${row.acquirer} is configured.`));
    switch (row.kind) {
      case 'authorise':
        return acquirer.authorise({ ...(request as Omit<AuthoriseRequest, 'idempotencyKey'>), idempotencyKey });
      case 'capture':
        return acquirer.capture({ idempotencyKey, authorisationId: String(request.authorisationId), amount: Number(request.amount) });
      case 'refund':
        return acquirer.refund({ idempotencyKey, authorisationId: String(request.authorisationId), amount: Number(request.amount) });
      case 'void':
        return acquirer.void({ idempotencyKey, authorisationId: String(request.authorisationId), amount: Number(request.amount) });
      case 'payout':
        return acquirer.payout({ ...(request as Omit<PayoutRequest, 'idempotencyKey'>), idempotencyKey });
    }
  }

  async function notePending(row: OperationRow, cause: PendingCause | 'adapter_error' | 'hook_failed', detail: string): Promise<void> {
    await query(db, NOTE_PENDING, [row.id, `${cause}: ${detail}`.slice(0, 500), now()]);
  }

  /** The bank's answer does not describe the operation we recorded: never settle on it. */
  function mismatch(row: OperationRow, result: AcquirerResult): string | undefined {
    if (result.status === 'pending') return undefined;
    if (result.kind !== row.kind) return `kind ${result.kind}, recorded ${row.kind}`;
    if (BigInt(result.amount) !== row.amount) return `amount ${result.amount}, recorded ${row.amount}`;
    if (result.status === 'approved' && result.currency !== row.currency) return `currency ${result.currency}, recorded ${row.currency}`;
    return undefined;
  }

  /** The key of the operation an authorisation is handed over to: readable, and never longer than a key may be. */
  function handoverKey(row: OperationRow, next: string): string {
    const key = `${row.idempotency_key}~${next}`;
    return key.length <= 255 ? key : `acq:handover:${createHash('sha256').update(row.idempotency_key).digest('hex')}~${next}`;
  }

  /** Records, in the handover's transaction, the same authorisation at the next acquirer of its route. */
  async function handOver(tx: Transaction, row: OperationRow): Promise<OperationRow> {
    const [next, ...rest] = row.fallbacks;
    if (next === undefined) throw new Error('acquirer: handover without a fallback');
    const at = now();
    const inserted = await query<OperationRow>(tx, INSERT, [
      handoverKey(row, next),
      row.kind,
      null,
      canonicalJson(storedRequest(row)),
      row.request_hash,
      canonicalJson(toOperation(row).metadata),
      row.amount,
      row.currency,
      at,
      retryAfterMs,
      maxRetryAfterMs,
      next,
      rest,
    ]);
    const created = inserted[0];
    if (created === undefined) throw new Error(`acquirer: the handover key of ${row.idempotency_key} is taken`);
    return created;
  }

  /** Stores the bank's answer; moves the operation out of pending at most once, with its hook (or its handover). */
  async function settle(row: OperationRow, result: AcquirerResult): Promise<OperationOutcome & { next?: OperationRow }> {
    const fields = { idempotencyKey: row.idempotency_key, kind: row.kind, acquirer: row.acquirer, attempts: row.attempts };
    if (result.status === 'pending') {
      await notePending(row, result.cause, result.detail);
      log.warn('acquirer.operation.pending', { ...fields, cause: result.cause });
      return outcome((await load(db, 'id', row.id)) ?? row, { cause: result.cause });
    }
    const wrong = mismatch(row, result);
    if (wrong !== undefined) {
      await notePending(row, 'response_invalid', `the bank's answer does not match: ${wrong}`);
      log.error('acquirer.operation.mismatch', { ...fields, detail: wrong });
      return outcome((await load(db, 'id', row.id)) ?? row, { cause: 'response_invalid' });
    }
    const bankReference = result.bankReference;
    const declineReason = result.status === 'declined' ? result.reason : null;
    const handsOver = declineReason !== null && HANDOVER_REASONS.has(declineReason) && row.fallbacks.length > 0;
    try {
      const settled = await db.transaction(async (tx) => {
        // A handover records the next operation before resolving this one (the resolution points at it): lock this one first.
        if (handsOver && (await query(tx, LOCK_PENDING, [row.id])).length === 0) throw new Settled();
        const next = handsOver ? await handOver(tx, row) : undefined;
        const moved = (
          await query<OperationRow>(tx, RESOLVE, [row.id, result.status, bankReference, declineReason, now(), next?.id ?? null])
        )[0];
        // Someone else settled it first; the handover recorded above rolls back with this transaction.
        if (moved === undefined) throw new Settled();
        const operation = toOperation(moved);
        if (next !== undefined) return { operation, transitioned: true, replayed: false, cause: null, next };
        if (operation.status === 'approved') await deps.onApproved?.(tx, operation);
        if (operation.status === 'declined') await deps.onDeclined?.(tx, operation);
        return { operation, transitioned: true, replayed: false, cause: null };
      });
      if (settled.next !== undefined) {
        log.warn('acquirer.operation.handed_over', { ...fields, declineReason, to: settled.next.acquirer });
      } else {
        const level = declineReason === 'request_rejected' ? 'error' : 'info';
        log[level]('acquirer.operation.resolved', { ...fields, status: result.status, declineReason, bankReference });
      }
      return settled;
    } catch (error) {
      if (error instanceof Settled) {
        const stored = (await load(db, 'id', row.id)) ?? row;
        if (stored.status !== result.status) {
          log.error('acquirer.operation.outcome_disagrees', { ...fields, stored: stored.status, answered: result.status });
        }
        return outcome(stored);
      }
      // The bank has answered but the transition (or its hook) failed and was rolled back:
      // the operation stays pending and reconciliation will settle it, hook included.
      log.error('acquirer.operation.settle_failed', { ...fields, status: result.status, error });
      await notePending(row, 'hook_failed', error instanceof Error ? error.message : String(error)).catch(() => undefined);
      throw error;
    }
  }

  /** One attempt at the bank for a recorded, pending operation, and at each acquirer it is handed over to. */
  async function attempt(row: OperationRow): Promise<OperationOutcome> {
    let result: AcquirerResult;
    try {
      result = await send(row);
    } catch (error) {
      const cause = isAcquirerError(error) ? error.code : 'adapter_error';
      log.error('acquirer.operation.failed', { idempotencyKey: row.idempotency_key, kind: row.kind, acquirer: row.acquirer, cause, error });
      await notePending(row, 'adapter_error', isAcquirerError(error) ? error.code : error instanceof Error ? error.message : String(error));
      throw error;
    }
    const { next, ...settled } = await settle(row, result);
    return next === undefined ? settled : attempt(next);
  }

  async function run(
    kind: OperationKind,
    idempotencyKey: string,
    request: Record<string, unknown>,
    money: { amount: number; currency: string },
    authorisationId: string | null,
    meta: JsonObject,
    target: { acquirer: string; fallbacks: readonly string[] },
  ): Promise<OperationOutcome> {
    const { row, replayed } = await record(kind, idempotencyKey, request, money, authorisationId, meta, target);
    if (replayed) return outcome(row, { replayed: true });
    return attempt(row);
  }

  /** The first acquirer of the route and those an authorisation may be handed over to. */
  function target(operation: RoutedOperation, handover: boolean): { acquirer: string; fallbacks: readonly string[] } {
    const [first, ...rest] = route(acquirers, operation);
    if (first === undefined) {
      throw new AcquirerError('no_acquirer', undefined, {
        details: {
          currency: operation.currency,
          merchantId: operation.merchantId,
          ...(operation.amount === undefined ? {} : { amount: String(operation.amount) }),
        },
      });
    }
    return { acquirer: first.name, fallbacks: handover ? rest.map((config) => config.name) : [] };
  }

  async function authorisationFor(authorisationKey: string): Promise<OperationRow & { bank_reference: string }> {
    const found = await load(db, 'idempotency_key', authorisationKey);
    if (found === undefined || found.kind !== 'authorise') {
      throw new AcquirerError('authorisation_unknown', undefined, { details: { authorisationKey } });
    }
    const parent = await latest(db, found);
    if (parent.status === 'pending') throw new AcquirerError('authorisation_pending', undefined, { details: { authorisationKey } });
    if (parent.status === 'declined' || parent.bank_reference === null) {
      throw new AcquirerError('authorisation_declined', undefined, { details: { authorisationKey } });
    }
    return parent as OperationRow & { bank_reference: string };
  }

  async function followUp(kind: 'capture' | 'refund' | 'void', input: CaptureInput | RefundInput | VoidInput): Promise<OperationOutcome> {
    const valid = parse(followUpInput, input);
    const parent = await authorisationFor(valid.authorisationKey);
    const request = { authorisationId: parent.bank_reference, amount: valid.amount };
    // Always the acquirer that authorised: only it knows the authorisation.
    return run(kind, valid.idempotencyKey, request, { amount: valid.amount, currency: parent.currency }, parent.id, valid.metadata, {
      acquirer: parent.acquirer,
      fallbacks: [],
    });
  }

  return {
    route: (operation) => route(acquirers, operation).map((config) => config.name),
    async authorise(input) {
      const valid = parse(authoriseInput, input);
      const { idempotencyKey, metadata: meta, ...request } = valid;
      return run('authorise', idempotencyKey, request, request, null, meta, target(request, true));
    },
    capture: (input) => followUp('capture', input),
    refund: (input) => followUp('refund', input),
    void: (input) => followUp('void', input),
    async payout(input) {
      const valid = parse(payoutInput, input);
      const { idempotencyKey, metadata: meta, ...request } = valid;
      const routed = target({ currency: request.currency, merchantId: request.merchantId }, false);
      return run('payout', idempotencyKey, request, request, null, meta, routed);
    },
    async get(idempotencyKey) {
      const row = await load(db, 'idempotency_key', idempotencyKey);
      return row === undefined ? undefined : toOperation(await latest(db, row));
    },
    async listPending(limit = 100) {
      const rows = await query<OperationRow>(
        db,
        `SELECT ${OPERATION_COLUMNS} FROM acquirer_operations WHERE status = 'pending' ORDER BY created_at, id LIMIT $1`,
        [limit],
      );
      return rows.map(toOperation);
    },
    async reconcile(options = {}) {
      const limit = options.limit ?? 100;
      const due = await query<OperationRow>(db, CLAIM_DUE, [now(), limit, retryAfterMs, maxRetryAfterMs]);
      const report = { examined: due.length, approved: 0, declined: 0, pending: 0, resent: 0, handedOver: 0, failed: 0 };
      for (const row of due) {
        try {
          const acquirer = byName.get(row.acquirer);
          if (acquirer === undefined) throw new Error(`No acquirer named ${row.acquirer} is configured.`);
          const found = await acquirer.lookup(row.idempotency_key);
          let settled: OperationOutcome;
          if (found.status === 'unknown' && row.fallbacks.length > 0) {
            // Its bank never received it: the next acquirer of the route is asked instead.
            report.handedOver += 1;
            const { next } = await settle(row, notReceived(row));
            settled = next === undefined ? outcome((await load(db, 'id', row.id)) ?? row) : await attempt(next);
          } else if (found.status === 'unknown') {
            // The bank never received it: send it now, under the same key and the same body.
            report.resent += 1;
            log.info('acquirer.reconcile.resend', { idempotencyKey: row.idempotency_key, kind: row.kind, attempts: row.attempts });
            settled = await attempt(row);
          } else {
            const { next, ...answered } = await settle(row, found);
            settled = next === undefined ? answered : await attempt(next);
          }
          report[settled.operation.status] += 1;
        } catch (error) {
          report.failed += 1;
          log.error('acquirer.reconcile.failed', { idempotencyKey: row.idempotency_key, kind: row.kind, error });
        }
      }
      if (due.length > 0) log.info('acquirer.reconcile.done', report);
      return report;
    },
  };
}

/** Thrown inside a settling transaction that lost the race, to roll back what it recorded. */
class Settled extends Error {}

/** What a lookup that found nothing proves: this bank never acted on the key. */
function notReceived(row: OperationRow): Declined {
  return {
    status: 'declined',
    kind: row.kind,
    reason: 'not_received',
    refusal: 'bank_declined',
    bankReference: null,
    amount: Number(row.amount),
  };
}
