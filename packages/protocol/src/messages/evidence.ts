import * as z from 'zod';
import { auditBatch } from '../audit.js';
import { LIMITS } from '../limits.js';
import { isPaymentId, PAYMENT_ID_FORM } from '../payment-id.js';
import { id, party, timestamp, version } from './fields.js';
import { publicJwk, publicJwks } from './keys.js';

/** The `type` of an evidence bundle: a JSON document, not a token. */
export const EVIDENCE_BUNDLE_TYPE = 'caisse-evidence';

/** A compact JWS as signed: three base64url parts, within the protocol's token length. */
const compactJws = z
  .string()
  .max(LIMITS.tokenLength)
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'must be a compact JWS (three base64url parts)');

/**
 * The register's proof that the payment's money moved as sealed: the batch that sealed
 * its ledger transfer (to recompute its hash) and that transfer's encoding (whose digest
 * is one of the batch's, and whose metadata names the approval's SHA-256). `sealed:
 * false` when the payment has no posted transfer to seal: an authentication moves no
 * money, and a held payment's transfer is posted when escrow releases it.
 */
export const evidenceAudit = z.discriminatedUnion('sealed', [
  z.strictObject({
    sealed: z.literal(true),
    batch: auditBatch,
    transfer: z.strictObject({ serial: z.string().regex(/^[1-9][0-9]{0,18}$/), encoding: z.string().max(1_048_576) }),
  }),
  z.strictObject({ sealed: z.literal(false), reason: z.literal('no_transfer') }),
]);

/**
 * What proves one payment, for anyone to check offline with the payment server's JWKS
 * (`caisse evidence verify`): the merchant's ticket, the payment server's voucher, the
 * customer's signed approval from their phone, the phone's key with the payment server's
 * certificate of it, the public keys that signed them, and the audit batch that sealed
 * the payment's ledger transfer. Nothing in it is trusted by itself: every signature is
 * checked against a key the verifier is given, and every fact against the others.
 */
export const evidenceBundle = z.strictObject({
  type: z.literal(EVIDENCE_BUNDLE_TYPE),
  ver: version,
  /** The payment server that exported it (the voucher's and the certificate's `iss`). */
  issuer: party,
  exportedAt: timestamp,
  payment: z.strictObject({
    id: z.string().refine(isPaymentId, `must be a payment id: ${PAYMENT_ID_FORM}`),
    merchant: id,
    /** The ticket's `jti`. */
    ticket: id,
  }),
  /** `caisse-ticket+jwt`, the exact bytes the payment server received. */
  ticket: compactJws,
  /** `caisse-voucher+jwt`, as signed at payment. */
  voucher: compactJws,
  /** `caisse-confirmation+jwt` with `decision: 'approve'`, signed by the device key. */
  approval: compactJws,
  device: z.strictObject({
    jwk: publicJwk,
    /** `caisse-device-cert+jwt`, signed by the payment server when the bundle was exported. */
    certificate: compactJws,
  }),
  keys: z.strictObject({
    /** The payment server's keys that signed the voucher and the certificate: for reference; the verifier trusts its own copy. */
    server: publicJwks,
    /** The merchant's key that signed the ticket. */
    merchant: publicJwks,
  }),
  audit: evidenceAudit,
});

export type EvidenceAudit = z.infer<typeof evidenceAudit>;
export type EvidenceBundle = z.infer<typeof evidenceBundle>;
