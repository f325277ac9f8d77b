import { createHash } from 'node:crypto';
import { unverifiedClaims } from '@caisse/server-kit';
import type { Queryable } from '../storage/database.js';
import type { AuditFinding } from './verify.js';

/**
 * The phones' kept answers (`confirmation_answers`, devices/answer.ts) checked against
 * what the register sealed: a payment's ledger transfer names its approval's SHA-256 in
 * its metadata (`approval`), so an answer edited after the fact, or deleted, contradicts a
 * sealed transfer. And each answer against itself: its token against the hash recorded
 * with it, its columns against the claims it signed.
 */

/** A transfer that names an approval: its serial, the batch that sealed it (none yet: unsealed), the approval's SHA-256. */
export interface NamedApproval {
  serial: bigint;
  batch?: bigint;
  sha256: string;
}

interface AnswerRow {
  request_id: string;
  device_id: string;
  decision: string;
  token: string;
  token_sha256: string;
}

const tokenSha256 = (token: string) => createHash('sha256').update(token, 'ascii').digest('base64url');

/**
 * The approval a transfer's metadata (PostgreSQL's jsonb text) names, if any. Metadata
 * that is not JSON names none: comparing the transfer with its seal reports it.
 */
export function approvalOf(metadata: string): string | undefined {
  if (!metadata.includes('"approval"')) return undefined;
  try {
    const approval = (JSON.parse(metadata) as { approval?: unknown }).approval;
    return typeof approval === 'string' ? approval : undefined;
  } catch {
    return undefined;
  }
}

/** The approval a sealed encoding names, read from the encoding as sealed (not from the rows as they are now). */
export function sealedApprovalOf(encoding: string): string | undefined {
  if (!encoding.includes('approval')) return undefined;
  try {
    const { metadata } = JSON.parse(encoding) as { metadata?: unknown };
    return typeof metadata === 'string' ? approvalOf(metadata) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reports each named approval that no kept answer has (`approval_missing`), or whose kept
 * answer no longer hashes to it (`answer_edited`), adding the latter to `reported` so that
 * {@link checkAnswers} does not report them twice.
 */
export async function checkNamedApprovals(
  db: Queryable,
  named: readonly NamedApproval[],
  findings: AuditFinding[],
  reported: Set<string>,
): Promise<void> {
  if (named.length === 0) return;
  const { rows } = await db.query<AnswerRow>(
    'SELECT request_id, device_id, decision, token, token_sha256 FROM confirmation_answers WHERE token_sha256 = ANY($1::text[])',
    [[...new Set(named.map((approval) => approval.sha256))]],
  );
  const byHash = new Map(rows.map((row) => [row.token_sha256, row]));
  for (const { serial, batch, sha256 } of named) {
    const where = batch === undefined ? `Transfer ${serial}` : `Transfer ${serial}, sealed in batch ${batch},`;
    const answer = byHash.get(sha256);
    if (answer === undefined) {
      findings.push({
        kind: 'approval_missing',
        ...(batch === undefined ? {} : { batch }),
        serial,
        expected: sha256,
        detail: `${where} names the approval ${sha256}, which no kept answer has: it was deleted, or rewritten with its hash.`,
      });
      continue;
    }
    const actual = tokenSha256(answer.token);
    if (actual === sha256) continue;
    reported.add(answer.request_id);
    findings.push({
      kind: 'answer_edited',
      ...(batch === undefined ? {} : { batch }),
      serial,
      requestId: answer.request_id,
      field: 'token',
      expected: sha256,
      actual,
      detail: `${where} names the approval ${sha256}; the kept answer to ${answer.request_id} now hashes to ${actual}: its token was edited.`,
    });
  }
}

/**
 * Every kept answer, `chunkSize` at a time: its token still hashes to the SHA-256 stored
 * with it, and the request, device and decision its row states are the ones it signed.
 * Answers already in `reported` are skipped. Returns how many answers are kept.
 */
export async function checkAnswers(db: Queryable, chunkSize: number, findings: AuditFinding[], reported: Set<string>): Promise<number> {
  let count = 0;
  let after = '';
  for (;;) {
    const { rows } = await db.query<AnswerRow>(
      `SELECT request_id, device_id, decision, token, token_sha256 FROM confirmation_answers
        WHERE request_id > $1 ORDER BY request_id LIMIT $2`,
      [after, chunkSize],
    );
    for (const row of rows) {
      count++;
      if (reported.has(row.request_id)) continue;
      const actual = tokenSha256(row.token);
      if (actual !== row.token_sha256) {
        findings.push({
          kind: 'answer_edited',
          requestId: row.request_id,
          field: 'token',
          expected: row.token_sha256,
          actual,
          detail: `The kept answer to ${row.request_id} no longer hashes to the SHA-256 recorded with it: its token was edited.`,
        });
        continue;
      }
      // Read without checking the signature: the row's hash already binds the bytes.
      const facts = unverifiedClaims(row.token);
      const pairs = [
        ['request_id', facts?.request, row.request_id],
        ['device_id', facts?.iss, row.device_id],
        ['decision', facts?.decision, row.decision],
      ] as const;
      for (const [field, signed, stated] of pairs) {
        if (signed === stated) continue;
        findings.push({
          kind: 'answer_edited',
          requestId: row.request_id,
          field,
          expected: typeof signed === 'string' ? signed : null,
          actual: stated,
          detail: `The kept answer to ${row.request_id}: its row says ${field} ${JSON.stringify(stated)}, the token it keeps signed ${JSON.stringify(signed ?? null)}.`,
        });
      }
    }
    if (rows.length < chunkSize) return count;
    after = (rows.at(-1) as AnswerRow).request_id;
  }
}
