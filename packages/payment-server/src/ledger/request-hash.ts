import { createHash } from 'node:crypto';
import { canonicalJson } from '@caisse/protocol';
import type { LineInput, TransferInput } from './model.js';
import * as check from './validate.js';

/**
 * The digest stored beside an idempotency key and compared on replay: SHA-256 (hex) of
 * the canonical JSON of everything the request asks for — the caller's own request hash,
 * the lines (ordered by account) and the metadata. Same key and same digest: the first
 * result is returned; same key and another digest: `idempotency_conflict`.
 */
export function contentHash(
  kind: 'transfer' | 'pending',
  callerHash: string | null,
  lines: readonly LineInput[],
  metadataJson: string,
): string {
  const content = canonicalJson({
    kind,
    request: callerHash,
    lines: lines.map((line) => ({ account: line.accountId, amount: line.amount.toString() })),
    metadata: metadataJson,
  });
  return createHash('sha256').update(content).digest('hex');
}

/**
 * A transfer or pending transfer request, checked and reduced to what the insert
 * statements take: `[key, content hash, metadata, account ids, amounts]`.
 */
export function movementRequest(kind: 'transfer' | 'pending', input: TransferInput) {
  const key = check.idempotencyKey(input.idempotencyKey);
  const lines = check.lines(input.lines);
  const metadataJson = check.metadata(input.metadata);
  const hash = contentHash(kind, check.requestHash(input.requestHash), lines, metadataJson);
  const params = [key, hash, metadataJson, lines.map((line) => line.accountId), lines.map((line) => line.amount.toString())];
  return { key, hash, metadataJson, params };
}
