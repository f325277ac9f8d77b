import * as z from 'zod';
import { canonicalJson } from './canonical-json.js';

/**
 * The payment server's audit register, as far as anyone outside it needs to know it: how a
 * sealed batch's hash is made from the transfers it seals, and what one sealed transfer
 * says. The payment server seals and verifies with these (its `audit/`), and the server
 * kit's `caisse evidence verify` recomputes a batch from an evidence bundle with them,
 * with no access to the payment server.
 */

/** The version of the register's encoding, named in every transfer record and in the batch hash. */
export const AUDIT_ENCODING_VERSION = 1;

/** The `prevHash` of the first batch: 64 zeros. */
export const AUDIT_ZERO_HASH = '0'.repeat(64);

/** A SHA-256 digest in lower-case hex, as the register writes them. */
const hexDigest = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 digest in lower-case hex (64 characters)');

/** A positive whole number in decimal, up to the int8 maximum's 19 digits: serials and sequence numbers. */
const decimal = z.string().regex(/^[1-9][0-9]{0,18}$/, 'must be a positive whole number in decimal');

/** One line of a sealed transfer: the account, its type and owner as they stood, the signed amount in minor units (decimal). */
export const auditLineRecord = z.strictObject({
  account: z.string(),
  type: z.string().nullable(),
  owner: z.string().nullable(),
  currency: z.string(),
  amount: z.string().regex(/^-?[0-9]{1,19}$/, 'must be a whole number in decimal'),
});

/**
 * What the register seals of one transfer: every value a string (amounts and serials in
 * decimal, `createdAt` in UTC to the microsecond, `metadata` as PostgreSQL's jsonb text).
 * Its encoding is the RFC 8785 canonical JSON of this object ({@link canonicalJson}).
 */
export const auditTransferRecord = z.strictObject({
  v: z.literal(AUDIT_ENCODING_VERSION),
  serial: decimal,
  idempotencyKey: z.string().nullable(),
  pendingId: z.string().nullable(),
  requestHash: z.string(),
  metadata: z.string(),
  createdAt: z.string(),
  lines: z.array(auditLineRecord),
});

/**
 * A sealed batch as an evidence bundle carries it: its header, and the SHA-256 (hex) of
 * each transfer encoding it sealed, in serial order. Digests rather than encodings: the
 * hash is recomputed from them alone, and the other customers' transfers stay private.
 */
export const auditBatch = z.strictObject({
  seq: decimal,
  prevHash: hexDigest,
  hash: hexDigest,
  lastSerial: decimal,
  digests: z.array(hexDigest).min(1).max(100_000),
});

export type AuditLineRecord = z.infer<typeof auditLineRecord>;
export type AuditTransferRecord = z.infer<typeof auditTransferRecord>;
export type AuditBatch = z.infer<typeof auditBatch>;

/**
 * The text a batch's hash is the SHA-256 (hex) of: the encoding version, the previous
 * batch's hash, the batch header (count, last serial, sequence number) and the digest of
 * each transfer encoding, in serial order, one per line. Pure, so each side hashes it with
 * its own SHA-256 (the payment server in its thread, a browser or the kit with WebCrypto).
 * @example sha256Hex(auditBatchPreimage(AUDIT_ZERO_HASH, 1n, 42n, digests))
 */
export function auditBatchPreimage(prevHash: string, seq: bigint, lastSerial: bigint, digests: readonly string[]): string {
  const header = canonicalJson({ count: digests.length, lastSerial: lastSerial.toString(), seq: seq.toString() });
  return `caisse-audit-v${AUDIT_ENCODING_VERSION}\n${prevHash}\n${header}\n${digests.join('\n')}`;
}

/**
 * SHA-256 of UTF-8 text, lower-case hex: the digest of a transfer encoding, and of a batch's preimage.
 * Uses WebCrypto, present in Node 20+, browsers, Deno and Bun.
 * @example await auditDigest(encoding) // '9f86d0…'
 */
export async function auditDigest(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * A batch's hash from its header and the digests of its transfer encodings: what the
 * payment server stored when it sealed the batch, if nothing has changed since.
 * @example (await auditBatchHash(batch)) === batch.hash
 */
export function auditBatchHash(batch: Pick<AuditBatch, 'prevHash' | 'seq' | 'lastSerial' | 'digests'>): Promise<string> {
  return auditDigest(auditBatchPreimage(batch.prevHash, BigInt(batch.seq), BigInt(batch.lastSerial), batch.digests));
}
