import { checkOperatorActions } from '../console/activity.js';
import { type Executor, type Queryable, withTransaction } from '../storage/database.js';
import { approvalOf, checkAnswers, checkNamedApprovals, sealedApprovalOf } from './approvals.js';
import { batchHash, encodeTransfer, type LineRecord, type LoadedTransfer, loadRange, type TransferRecord, ZERO_HASH } from './encoding.js';

export type AuditFindingKind =
  /** A batch of the chain is gone (a gap in the sequence numbers, or seal records without their batch). */
  | 'batch_missing'
  /** A batch does not point at the hash of the one before it. */
  | 'chain_broken'
  /** A batch's seal records no longer produce its hash (a seal record or the batch row was edited). */
  | 'batch_tampered'
  /** The newest batch is not the one anchored outside the database. */
  | 'head_mismatch'
  | 'transfer_edited'
  /** A transfer that was not there when its serial range was sealed (or whose serial the register never issued). */
  | 'transfer_inserted'
  | 'transfer_deleted'
  | 'line_edited'
  | 'line_inserted'
  | 'line_deleted'
  /** A transfer whose lines do not sum to zero in a currency, or that has no lines. */
  | 'transfer_unbalanced'
  /** A wallet's balance row (or reservations) disagrees with its entries (or open pending lines). */
  | 'balance_mismatch'
  /** A roll-up disagrees with the entries it sums. */
  | 'rollup_mismatch'
  /**
   * A phone's kept answer (`confirmation_answers`, an approval or a decline) was edited: its
   * token no longer hashes to the SHA-256 a sealed transfer names or that was recorded with
   * it, or its row states another request, device or decision than the token signed.
   */
  | 'answer_edited'
  /** A transfer names an approval (its SHA-256, in its metadata) that no kept answer has: the answer was deleted, or rewritten whole. */
  | 'approval_missing'
  /** The register of operator actions (console/activity.ts) was edited: a row no longer hashes as recorded, points elsewhere, or is gone. */
  | 'operator_action_edited';

/** One problem: what, where, and the values that disagree. */
export interface AuditFinding {
  kind: AuditFindingKind;
  detail: string;
  /** The batch whose seal the finding contradicts. */
  batch?: bigint;
  serial?: bigint;
  accountId?: string;
  /** The confirmation request whose kept answer the finding is about. */
  requestId?: string;
  field?: string;
  /** As sealed (or as derived from the entries). */
  expected?: string | null;
  /** As found. */
  actual?: string | null;
}

export interface AuditReport {
  ok: boolean;
  findings: AuditFinding[];
  batches: number;
  sealedTransfers: number;
  /** Transfers committed after the last seal: checked for structure only (nothing to compare them to yet). */
  unsealedTransfers: number;
  /** The phones' signed answers kept as evidence (`confirmation_answers`), each checked against its hash and the transfers naming it. */
  answers: number;
  head: { seq: bigint; hash: string } | null;
}

export interface VerifyOptions {
  /**
   * A batch hash kept outside the database (logged, published, printed): the verifier
   * checks the chain still contains it. Without an anchor, deleting the newest batches and
   * the rows they sealed, together, cannot be told from never having sealed them.
   */
  expectedHead?: { seq: bigint; hash: string };
  /** Unsealed transfers, and kept answers, loaded at a time. Default 10,000. */
  chunkSize?: number;
}

const TRANSFER_FIELDS = ['idempotencyKey', 'pendingId', 'requestHash', 'metadata', 'createdAt'] as const;
const LINE_FIELDS = ['amount', 'currency', 'type', 'owner'] as const;

/**
 * Recomputes the whole register from the rows as they are and reports every difference
 * with what was sealed: edited, inserted or deleted transfers and lines, broken or
 * tampered batches, wallets whose balance row disagrees with their entries, and the
 * phones' kept answers edited or gone (audit/approvals.ts), and the hash chain of the
 * operators' actions (console/activity.ts). Runs in one
 * repeatable-read, read-only snapshot (or inside the caller's transaction), so payments
 * can continue meanwhile.
 * @example
 * const report = await verifyAudit(db);
 * if (!report.ok) for (const f of report.findings) console.error(f.kind, f.serial, f.detail);
 */
export function verifyAudit(executor: Executor, options: VerifyOptions = {}): Promise<AuditReport> {
  const chunkSize = options.chunkSize ?? 10_000;
  return withTransaction(executor, (tx) => verifyIn(tx, options, chunkSize), { isolation: 'repeatable read', readOnly: true });
}

async function verifyIn(db: Queryable, options: VerifyOptions, chunkSize: number): Promise<AuditReport> {
  const findings: AuditFinding[] = [];
  const { rows: batches } = await db.query<{ seq: bigint; last_serial: bigint; transfer_count: number; prev_hash: string; hash: string }>(
    'SELECT seq, last_serial, transfer_count, prev_hash, hash FROM audit_batches ORDER BY seq',
  );

  let prevSeq = 0n;
  let prevHash = ZERO_HASH;
  let prevLast = 0n;
  let sealedTransfers = 0;
  /** Kept answers already reported against a sealed transfer, not to be reported again on their own. */
  const reportedAnswers = new Set<string>();
  for (const batch of batches) {
    if (batch.seq !== prevSeq + 1n) {
      findings.push({
        kind: 'batch_missing',
        batch: batch.seq,
        detail: `Batches ${prevSeq + 1n} to ${batch.seq - 1n} are missing from the chain.`,
      });
    }
    if (batch.prev_hash !== prevHash) {
      findings.push({
        kind: 'chain_broken',
        batch: batch.seq,
        field: 'prev_hash',
        expected: prevHash,
        actual: batch.prev_hash,
        detail: `Batch ${batch.seq} does not point at the hash of the batch before it.`,
      });
    }
    const { rows: sealed } = await db.query<{ serial: bigint; encoding: string }>(
      'SELECT serial, encoding FROM audit_sealed_transfers WHERE batch_seq = $1 ORDER BY serial',
      [batch.seq],
    );
    sealedTransfers += sealed.length;
    const recomputed = batchHash(
      batch.prev_hash,
      batch.seq,
      batch.last_serial,
      sealed.map((row) => row.encoding),
    );
    const outOfRange = sealed.filter((row) => row.serial <= prevLast || row.serial > batch.last_serial);
    if (recomputed !== batch.hash || sealed.length !== batch.transfer_count || outOfRange.length > 0) {
      findings.push({
        kind: 'batch_tampered',
        batch: batch.seq,
        expected: batch.hash,
        actual: recomputed,
        detail: `The seal records of batch ${batch.seq} no longer match its hash: a seal record or the batch row was edited, added or removed.`,
      });
    }
    const live = await loadRange(db, prevLast, batch.last_serial, Number.MAX_SAFE_INTEGER);
    compareBatch(
      batch.seq,
      batch.last_serial,
      new Map(sealed.map((row) => [row.serial, row.encoding])),
      live.transfers,
      live.orphanLines,
      findings,
    );
    for (const transfer of live.transfers) checkStructure(transfer, findings);
    const named = sealed.flatMap((row) => {
      const sha256 = sealedApprovalOf(row.encoding);
      return sha256 === undefined ? [] : [{ serial: row.serial, batch: batch.seq, sha256 }];
    });
    await checkNamedApprovals(db, named, findings, reportedAnswers);
    prevSeq = batch.seq;
    prevHash = batch.hash;
    prevLast = batch.last_serial;
  }

  const { rows: orphanSeals } = await db.query<{ batch_seq: bigint; count: bigint }>(
    `SELECT s.batch_seq, count(*)::bigint AS count FROM audit_sealed_transfers s
     WHERE NOT EXISTS (SELECT 1 FROM audit_batches b WHERE b.seq = s.batch_seq) GROUP BY s.batch_seq ORDER BY s.batch_seq`,
  );
  for (const orphan of orphanSeals) {
    findings.push({
      kind: 'batch_missing',
      batch: orphan.batch_seq,
      detail: `Batch ${orphan.batch_seq} is gone but ${orphan.count} of its seal records remain.`,
    });
  }

  const unsealedTransfers = await verifyUnsealed(db, prevLast, chunkSize, findings, reportedAnswers);
  const answers = await checkAnswers(db, chunkSize, findings, reportedAnswers);
  await verifyBalances(db, findings);
  await verifyRollups(db, findings);
  await checkOperatorActions(db, findings, chunkSize);

  const last = batches.at(-1);
  const head = last === undefined ? null : { seq: last.seq, hash: last.hash };
  if (options.expectedHead !== undefined) {
    const anchored = batches.find((batch) => batch.seq === options.expectedHead?.seq);
    if (anchored === undefined || anchored.hash !== options.expectedHead.hash) {
      findings.push({
        kind: 'head_mismatch',
        batch: options.expectedHead.seq,
        expected: options.expectedHead.hash,
        actual: anchored?.hash ?? null,
        detail:
          anchored === undefined
            ? `The anchored batch ${options.expectedHead.seq} is no longer in the chain: batches were removed.`
            : `Batch ${options.expectedHead.seq} does not have the anchored hash: the chain was rewritten.`,
      });
    }
  }
  return { ok: findings.length === 0, findings, batches: batches.length, sealedTransfers, unsealedTransfers, answers, head };
}

function compareBatch(
  batch: bigint,
  lastSerial: bigint,
  sealed: Map<bigint, string>,
  live: readonly LoadedTransfer[],
  orphanLines: Map<bigint, LineRecord[]>,
  findings: AuditFinding[],
): void {
  const liveBySerial = new Map(live.map((transfer) => [transfer.serial, transfer]));
  const serials = [...new Set([...sealed.keys(), ...liveBySerial.keys(), ...orphanLines.keys()])].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  for (const serial of serials) {
    const encoding = sealed.get(serial);
    const current = liveBySerial.get(serial);
    const orphans = orphanLines.get(serial) ?? [];
    if (encoding !== undefined && current === undefined) {
      findings.push({
        kind: 'transfer_deleted',
        batch,
        serial,
        detail: `Transfer ${serial}, sealed in batch ${batch}, is gone${orphans.length > 0 ? ` (${orphans.length} of its lines remain)` : ''}.`,
      });
      continue;
    }
    if (encoding === undefined && current !== undefined) {
      findings.push({
        kind: 'transfer_inserted',
        batch,
        serial,
        detail: `Transfer ${serial} was not there when batch ${batch} sealed every serial up to ${lastSerial}.`,
      });
      continue;
    }
    if (encoding === undefined && current === undefined) {
      for (const line of orphans) {
        findings.push({
          kind: 'line_inserted',
          batch,
          serial,
          accountId: line.account,
          actual: line.amount,
          detail: `A line of ${line.amount} on account ${line.account} refers to transfer ${serial}, which does not exist.`,
        });
      }
      continue;
    }
    if (encoding === undefined || current === undefined) continue;
    if (encodeTransfer(current.record) === encoding) continue;
    diffTransfer(batch, serial, encoding, current.record, findings);
  }
}

function diffTransfer(batch: bigint, serial: bigint, encoding: string, current: TransferRecord, findings: AuditFinding[]): void {
  let sealed: TransferRecord;
  try {
    sealed = JSON.parse(encoding) as TransferRecord;
  } catch {
    findings.push({ kind: 'batch_tampered', batch, serial, detail: `The seal record of transfer ${serial} is not valid JSON.` });
    return;
  }
  let explained = false;
  for (const field of TRANSFER_FIELDS) {
    if (sealed[field] !== current[field]) {
      explained = true;
      findings.push({
        kind: 'transfer_edited',
        batch,
        serial,
        field,
        expected: sealed[field],
        actual: current[field],
        detail: `Transfer ${serial}: ${field} was ${JSON.stringify(sealed[field])} when sealed, is now ${JSON.stringify(current[field])}.`,
      });
    }
  }
  const sealedLines = new Map((sealed.lines ?? []).map((line) => [line.account, line]));
  const currentLines = new Map(current.lines.map((line) => [line.account, line]));
  for (const [account, was] of sealedLines) {
    const now = currentLines.get(account);
    if (now === undefined) {
      explained = true;
      findings.push({
        kind: 'line_deleted',
        batch,
        serial,
        accountId: account,
        expected: was.amount,
        detail: `Transfer ${serial}: the line of ${was.amount} ${was.currency} on account ${account} is gone.`,
      });
      continue;
    }
    for (const field of LINE_FIELDS) {
      if (was[field] !== now[field]) {
        explained = true;
        findings.push({
          kind: 'line_edited',
          batch,
          serial,
          accountId: account,
          field,
          expected: was[field],
          actual: now[field],
          detail: `Transfer ${serial}, account ${account}: ${field} was ${JSON.stringify(was[field])} when sealed, is now ${JSON.stringify(now[field])}${field === 'type' || field === 'owner' ? ' (the account row was changed)' : ''}.`,
        });
      }
    }
  }
  for (const [account, now] of currentLines) {
    if (!sealedLines.has(account)) {
      explained = true;
      findings.push({
        kind: 'line_inserted',
        batch,
        serial,
        accountId: account,
        actual: now.amount,
        detail: `Transfer ${serial}: a line of ${now.amount} ${now.currency} on account ${account} was added after sealing.`,
      });
    }
  }
  if (!explained) {
    findings.push({ kind: 'transfer_edited', batch, serial, detail: `Transfer ${serial} no longer encodes as it was sealed.` });
  }
}

/** What the database guarantees for every transfer, checked again on the rows as they are. */
function checkStructure(transfer: LoadedTransfer, findings: AuditFinding[]): void {
  const { serial, record } = transfer;
  if (record.lines.length === 0) {
    findings.push({ kind: 'transfer_unbalanced', serial, detail: `Transfer ${serial} has no lines.` });
    return;
  }
  const sums = new Map<string, bigint>();
  for (const line of record.lines) {
    sums.set(line.currency, (sums.get(line.currency) ?? 0n) + BigInt(line.amount));
    const accountCurrency = transfer.accountCurrencies.get(line.account);
    if (accountCurrency === null || accountCurrency === undefined) {
      findings.push({
        kind: 'line_edited',
        serial,
        accountId: line.account,
        detail: `Transfer ${serial}: account ${line.account} does not exist.`,
      });
    } else if (accountCurrency !== line.currency) {
      findings.push({
        kind: 'line_edited',
        serial,
        accountId: line.account,
        field: 'currency',
        expected: accountCurrency,
        actual: line.currency,
        detail: `Transfer ${serial}: a line in ${line.currency} on an account held in ${accountCurrency}.`,
      });
    }
  }
  for (const [currency, sum] of sums) {
    if (sum !== 0n) {
      findings.push({
        kind: 'transfer_unbalanced',
        serial,
        field: currency,
        expected: '0',
        actual: sum.toString(),
        detail: `Transfer ${serial}: its ${currency} lines sum to ${sum}, not 0.`,
      });
    }
  }
}

async function verifyUnsealed(
  db: Queryable,
  after: bigint,
  chunkSize: number,
  findings: AuditFinding[],
  reportedAnswers: Set<string>,
): Promise<number> {
  const { rows } = await db.query<{ last_value: bigint; is_called: boolean }>('SELECT last_value, is_called FROM ledger_register_serial');
  const issued = rows[0] === undefined ? 0n : rows[0].is_called ? rows[0].last_value : rows[0].last_value - 1n;
  let count = 0;
  let from = after;
  const ceiling = 9_223_372_036_854_775_807n; // int8 maximum
  for (;;) {
    const range = await loadRange(db, from, ceiling, chunkSize);
    for (const transfer of range.transfers) {
      count++;
      checkStructure(transfer, findings);
      if (transfer.serial > issued) {
        findings.push({
          kind: 'transfer_inserted',
          serial: transfer.serial,
          detail: `Transfer ${transfer.serial} has a serial the register never issued (it is at ${issued}).`,
        });
      }
    }
    const named = range.transfers.flatMap(({ serial, record }) => {
      const sha256 = approvalOf(record.metadata);
      return sha256 === undefined ? [] : [{ serial, sha256 }];
    });
    await checkNamedApprovals(db, named, findings, reportedAnswers);
    for (const [serial, lines] of range.orphanLines) {
      for (const line of lines) {
        findings.push({
          kind: 'line_inserted',
          serial,
          accountId: line.account,
          actual: line.amount,
          detail: `A line of ${line.amount} on account ${line.account} refers to transfer ${serial}, which does not exist.`,
        });
      }
    }
    if (range.transfers.length < chunkSize) return count;
    from = range.upTo;
  }
}

async function verifyBalances(db: Queryable, findings: AuditFinding[]): Promise<void> {
  const { rows } = await db.query<{
    account_id: string;
    balance: bigint | null;
    pending_debits: bigint | null;
    pending_credits: bigint | null;
    entries: bigint;
    open_debits: bigint;
    open_credits: bigint;
  }>(
    `SELECT * FROM (
       SELECT a.id::text AS account_id, b.balance, b.pending_debits, b.pending_credits,
         coalesce((SELECT sum(e.amount) FROM ledger_entries e WHERE e.account_id = a.id), 0)::bigint AS entries,
         coalesce((SELECT sum(-l.amount) FROM ledger_pending_lines l WHERE l.account_id = a.id AND l.amount < 0
           AND NOT EXISTS (SELECT 1 FROM ledger_pending_resolutions r WHERE r.pending_id = l.pending_id)), 0)::bigint AS open_debits,
         coalesce((SELECT sum(l.amount) FROM ledger_pending_lines l WHERE l.account_id = a.id AND l.amount > 0
           AND NOT EXISTS (SELECT 1 FROM ledger_pending_resolutions r WHERE r.pending_id = l.pending_id)), 0)::bigint AS open_credits
       FROM ledger_accounts a LEFT JOIN ledger_balances b ON b.account_id = a.id
       WHERE a.tracked
     ) checked
     WHERE balance IS DISTINCT FROM entries OR pending_debits IS DISTINCT FROM open_debits OR pending_credits IS DISTINCT FROM open_credits
     ORDER BY account_id`,
  );
  for (const row of rows) {
    const pairs = [
      ['balance', row.entries, row.balance],
      ['pending_debits', row.open_debits, row.pending_debits],
      ['pending_credits', row.open_credits, row.pending_credits],
    ] as const;
    for (const [field, expected, actual] of pairs) {
      if (expected === actual) continue;
      findings.push({
        kind: 'balance_mismatch',
        accountId: row.account_id,
        field,
        expected: expected.toString(),
        actual: actual?.toString() ?? null,
        detail: `Account ${row.account_id}: ${field} is ${actual ?? 'missing'}, its entries and pending lines say ${expected}.`,
      });
    }
  }
}

async function verifyRollups(db: Queryable, findings: AuditFinding[]): Promise<void> {
  const { rows } = await db.query<{ account_id: string; as_of_serial: bigint; balance: bigint; entries: bigint }>(
    `SELECT * FROM (
       SELECT r.account_id::text AS account_id, r.as_of_serial, r.balance,
         coalesce((SELECT sum(e.amount) FROM ledger_entries e WHERE e.account_id = r.account_id AND e.serial <= r.as_of_serial), 0)::bigint AS entries
       FROM ledger_rollups r
     ) checked WHERE balance <> entries ORDER BY account_id`,
  );
  for (const row of rows) {
    findings.push({
      kind: 'rollup_mismatch',
      accountId: row.account_id,
      serial: row.as_of_serial,
      expected: row.entries.toString(),
      actual: row.balance.toString(),
      detail: `Account ${row.account_id}: the roll-up up to serial ${row.as_of_serial} says ${row.balance}, its entries sum to ${row.entries}.`,
    });
  }
}
