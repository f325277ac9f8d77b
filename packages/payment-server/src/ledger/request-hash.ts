import { createHash } from 'node:crypto';
import { canonicalJson } from '@caisse/protocol';
import type { LineInput } from './model.js';

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
