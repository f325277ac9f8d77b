import {
  EVIDENCE_BUNDLE_TYPE,
  type EvidenceAudit,
  type EvidenceBundle,
  type Mode,
  PROTOCOL_VERSION,
  type PublicJwk,
  paymentId,
  TOKEN_TYPES,
  type TokenType,
} from '@caisse/protocol';
import { decodeJws, unverifiedClaims } from '@caisse/server-kit';
import { approvalOf } from '../audit/approvals.js';
import { sha256Hex } from '../audit/encoding.js';
import { sealAudit } from '../audit/seal.js';
import type { ServerKeys } from '../keys/service.js';
import { paymentLedgerKey } from '../ledger/postings.js';
import type { Database, Queryable } from '../storage/database.js';
import { signDeviceCertificate } from './certificate.js';
import { EvidenceError } from './errors.js';

export interface EvidenceDeps {
  db: Database;
  /** The server's keys: the current one signs the device certificate. */
  keys: Pick<ServerKeys, 'signingKey'>;
  issuer: string;
  mode: Mode;
  now?: () => Date;
}

/** A payment by its register serial (`pay_1042` is 1042n), or by its merchant and the ticket it paid. */
export type PaymentReference = { serial: bigint } | { merchantId: string; ticketJti: string };

interface PaymentRow {
  serial: bigint;
  merchant_id: string;
  ticket_jti: string;
  voucher: string;
  ticket: string | null;
  session_id: string | null;
}

interface AnswerRow {
  request_id: string;
  device_id: string;
  token: string;
}

interface DeviceRow {
  id: string;
  customer_id: string;
  jwk: PublicJwk;
  created_at: Date;
  revoked_at: Date | null;
}

const PAYMENT = `SELECT p.serial, p.merchant_id, p.ticket_jti, p.voucher, t.token AS ticket, s.id AS session_id
                   FROM payments p
                   LEFT JOIN tickets t ON t.merchant_id = p.merchant_id AND t.jti = p.ticket_jti
                   LEFT JOIN checkout_sessions s ON s.merchant_id = p.merchant_id AND s.ticket_jti = p.ticket_jti`;

async function findPayment(db: Queryable, reference: PaymentReference): Promise<PaymentRow> {
  const { rows } =
    'serial' in reference
      ? await db.query<PaymentRow>(`${PAYMENT} WHERE p.serial = $1`, [reference.serial])
      : await db.query<PaymentRow>(`${PAYMENT} WHERE p.merchant_id = $1 AND p.ticket_jti = $2`, [
          reference.merchantId,
          reference.ticketJti,
        ]);
  const row = rows[0];
  if (row === undefined) throw new EvidenceError('payment_unknown');
  return row;
}

/**
 * The payment's ledger transfer: the one booked under its key, or the posting of the
 * transfer held under it (a deferred payment escrow released). None for an authentication,
 * a payment still held, or one whose hold was voided.
 */
async function paymentTransfer(db: Queryable, payment: PaymentRow): Promise<{ serial: bigint; metadata: string } | undefined> {
  const { rows } = await db.query<{ serial: bigint; metadata: string }>(
    `SELECT serial, metadata::text AS metadata FROM ledger_transfers WHERE idempotency_key = $1
     UNION ALL
     SELECT t.serial, t.metadata::text FROM ledger_pending p JOIN ledger_transfers t ON t.pending_id = p.id WHERE p.idempotency_key = $1`,
    [paymentLedgerKey(payment.merchant_id, payment.ticket_jti)],
  );
  return rows[0];
}

/**
 * The approval that paid: the one the ledger transfer names (the audit register sealed
 * that link), else, for a payment with no transfer, the approval of its checkout.
 */
async function findApproval(db: Queryable, payment: PaymentRow, named: string | undefined): Promise<AnswerRow> {
  const { rows } =
    named !== undefined
      ? await db.query<AnswerRow>('SELECT request_id, device_id, token FROM confirmation_answers WHERE token_sha256 = $1', [named])
      : await db.query<AnswerRow>(
          `SELECT request_id, device_id, token FROM confirmation_answers
            WHERE session_id = $1 AND decision = 'approve' ORDER BY answered_at DESC LIMIT 1`,
          [payment.session_id],
        );
  const row = rows[0];
  if (row !== undefined) return row;
  const method = confirmationMethod(payment.voucher);
  throw new EvidenceError(
    'approval_missing',
    named !== undefined
      ? `The ledger transfer of ${paymentId(payment.serial)} names the approval ${named}, which is not kept: run \`caisse-server audit verify\`.`
      : method === 'device' || method === 'tap'
        ? `${paymentId(payment.serial)} was approved on a phone before answers were kept (migration 29): there is no signed approval to export.`
        : `${paymentId(payment.serial)} was confirmed by ${method ?? 'no phone'}, not on a phone: there is no signed approval to export.`,
  );
}

/** The voucher's `confirmation.method`, read from the payment server's own stored voucher. */
function confirmationMethod(voucher: string): string | undefined {
  return (unverifiedClaims(voucher)?.confirmation as { method?: string } | undefined)?.method;
}

const kidOf = (token: string, typ: TokenType) => decodeJws(token, [typ]).kid;

/**
 * The sealed batch of a transfer, with the digest of every encoding it sealed. Seals first
 * when the transfer is not sealed yet (what the background sealer would do within
 * seconds); `audit_busy` when payments in flight kept it from sealing.
 */
async function sealedProof(db: Database, serial: bigint): Promise<EvidenceAudit> {
  const sealedAs = async () =>
    (
      await db.query<{ batch_seq: bigint; encoding: string }>('SELECT batch_seq, encoding FROM audit_sealed_transfers WHERE serial = $1', [
        serial,
      ])
    ).rows[0];
  let sealed = await sealedAs();
  if (sealed === undefined) {
    await sealAudit(db);
    sealed = await sealedAs();
  }
  if (sealed === undefined) throw new EvidenceError('audit_busy');
  const { rows: batches } = await db.query<{ seq: bigint; prev_hash: string; hash: string; last_serial: bigint }>(
    'SELECT seq, prev_hash, hash, last_serial FROM audit_batches WHERE seq = $1',
    [sealed.batch_seq],
  );
  const batch = batches[0];
  if (batch === undefined) throw new Error(`Audit batch ${sealed.batch_seq} is gone: run \`caisse-server audit verify\`.`);
  const { rows: encodings } = await db.query<{ encoding: string }>(
    'SELECT encoding FROM audit_sealed_transfers WHERE batch_seq = $1 ORDER BY serial',
    [batch.seq],
  );
  return {
    sealed: true,
    batch: {
      seq: batch.seq.toString(),
      prevHash: batch.prev_hash,
      hash: batch.hash,
      lastSerial: batch.last_serial.toString(),
      digests: encodings.map((row) => sha256Hex(row.encoding)),
    },
    transfer: { serial: serial.toString(), encoding: sealed.encoding },
  };
}

/**
 * The evidence bundle of one payment approved on a phone: its ticket and voucher as
 * signed, the phone's signed approval, the phone's key with a certificate of it signed
 * now, the public keys that signed them all, and the audit batch that sealed the
 * payment's ledger transfer (sealed first if need be). Reads only, but for that seal.
 * @throws EvidenceError `payment_unknown`, `approval_missing`, `ticket_not_kept`, `audit_busy`
 * @example const bundle = await exportEvidence({ db, keys, issuer, mode }, { serial: 1042n })
 */
export async function exportEvidence(deps: EvidenceDeps, reference: PaymentReference): Promise<EvidenceBundle> {
  const now = deps.now ?? (() => new Date());
  const { db } = deps;
  const payment = await findPayment(db, reference);
  if (payment.ticket === null) throw new EvidenceError('ticket_not_kept');
  const transfer = await paymentTransfer(db, payment);
  const approval = await findApproval(db, payment, transfer === undefined ? undefined : approvalOf(transfer.metadata));
  const { rows: devices } = await db.query<DeviceRow>('SELECT id, customer_id, jwk, created_at, revoked_at FROM devices WHERE id = $1', [
    approval.device_id,
  ]);
  const device = devices[0] as DeviceRow;
  const signer = await deps.keys.signingKey();
  const certificate = signDeviceCertificate(
    { id: device.id, customerId: device.customer_id, jwk: device.jwk, enrolledAt: device.created_at, revokedAt: device.revoked_at },
    { issuer: deps.issuer, mode: deps.mode, key: signer, at: now() },
  );
  const serverKids = [...new Set([kidOf(payment.voucher, TOKEN_TYPES.voucher), signer.kid])];
  const { rows: serverKeys } = await db.query<{ public_jwk: PublicJwk }>(
    'SELECT public_jwk FROM server_keys WHERE kid = ANY($1::text[]) ORDER BY kid',
    [serverKids],
  );
  // The merchant's key by the ticket's kid, retired or not: it signed the ticket then.
  const { rows: merchantKeys } = await db.query<{ jwk: PublicJwk }>('SELECT jwk FROM merchant_keys WHERE merchant_id = $1 AND kid = $2', [
    payment.merchant_id,
    kidOf(payment.ticket, TOKEN_TYPES.ticket),
  ]);
  return {
    type: EVIDENCE_BUNDLE_TYPE,
    ver: PROTOCOL_VERSION,
    issuer: deps.issuer,
    exportedAt: Math.floor(now().getTime() / 1000),
    payment: { id: paymentId(payment.serial), merchant: payment.merchant_id, ticket: payment.ticket_jti },
    ticket: payment.ticket,
    voucher: payment.voucher,
    approval: approval.token,
    device: { jwk: device.jwk, certificate: certificate.token },
    keys: { server: { keys: serverKeys.map((row) => row.public_jwk) }, merchant: { keys: merchantKeys.map((row) => row.jwk) } },
    audit: transfer === undefined ? { sealed: false, reason: 'no_transfer' } : await sealedProof(db, transfer.serial),
  };
}
