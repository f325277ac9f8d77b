import { createHash } from 'node:crypto';
import {
  auditBatchHash,
  auditDigest,
  auditTransferRecord,
  type ConfirmationClaims,
  canonicalJson,
  confirmationClaims,
  type DeviceCertificateClaims,
  deviceCertificateClaims,
  type EvidenceBundle,
  parseMessage,
  parseTicketClaims,
  type TicketClaims,
  TOKEN_TYPES,
  type TokenType,
  toDecimalString,
  type VoucherClaims,
  voucherClaims,
} from '@caisse/protocol';
import { verifyJws } from '../jws/verify.js';
import { importPublicJwk, staticKeySet } from '../keys/import.js';
import type { KeySet } from '../keys/types.js';
import { describeError, printable } from './output.js';

/**
 * The checklist of `caisse evidence verify`: each check names what it proves, and runs
 * only when what it stands on passed (else it is `skipped`). Nothing in the bundle is
 * trusted by itself: the voucher and the device certificate verify with the payment
 * server's keys the caller gives, the approval with the device key the certificate
 * binds, and every fact is compared with the others.
 */

export const EVIDENCE_CHECKS = [
  'ticket.signature',
  'voucher.signature',
  'voucher.ticket',
  'certificate.signature',
  'certificate.device',
  'approval.signature',
  'approval.facts',
  'audit.batch',
  'audit.transfer',
] as const;

export type EvidenceCheckName = (typeof EVIDENCE_CHECKS)[number];

export interface EvidenceCheck {
  name: EvidenceCheckName;
  status: 'ok' | 'failed' | 'skipped';
  /** What was proved, why it failed, or why it was not run. */
  detail: string;
  /** The stable code of a failure: the kit's (`signature_invalid`, `key_unknown`, …) or the check's own (`ticket_mismatch`, …). */
  code?: string;
}

/** The keys a bundle is checked with: the payment server's (required), the merchant's (else the bundle's own). */
export interface EvidenceTrust {
  server: KeySet;
  /** Names the server keys in the output: a file or a URL. */
  serverSource: string;
  merchant?: KeySet;
  merchantSource?: string;
}

export interface EvidenceReport {
  ok: boolean;
  checks: EvidenceCheck[];
  warnings: string[];
}

/** Seconds of difference tolerated between the phone's clock and the payment server's: what the payment server tolerates. */
const CONFIRMATION_IAT_TOLERANCE = 60;

/** A check that failed, with its code. */
class CheckFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function mismatch(code: string, message: string): never {
  throw new CheckFailure(code, message);
}

const sha256Base64url = (text: string) => createHash('sha256').update(text, 'ascii').digest('base64url');

/** RFC 7638: the SHA-256 of the key's required members, canonical; a device id is `dev-` and it. */
function deviceIdOf(jwk: { kty: string; crv: string; x: string; y?: string }): string {
  const required = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return `dev-${createHash('sha256').update(canonicalJson(required)).digest('base64url')}`;
}

async function signed<T>(
  token: string,
  typ: TokenType,
  keys: KeySet,
  schema: (payload: unknown) => T,
): Promise<{ kid: string; claims: T }> {
  const verified = await verifyJws(token, [typ], keys);
  return { kid: verified.kid, claims: schema(verified.payload) };
}

const money = (amount: number, currency: string) => `${toDecimalString({ amount, currency })} ${currency}`;

/**
 * Runs every check on a bundle already parsed by `evidenceBundle`.
 * @example const report = await checkEvidence(bundle, { server: staticKeySet(jwks), serverSource: 'jwks.json' })
 */
export async function checkEvidence(bundle: EvidenceBundle, trust: EvidenceTrust): Promise<EvidenceReport> {
  const checks: EvidenceCheck[] = [];
  const warnings: string[] = [];
  const passed = new Set<EvidenceCheckName>();

  async function check(name: EvidenceCheckName, needs: readonly EvidenceCheckName[], run: () => Promise<string> | string) {
    const missing = needs.filter((need) => !passed.has(need));
    if (missing.length > 0) {
      checks.push({ name, status: 'skipped', detail: `not checked: it stands on ${missing.join(', ')}` });
      return;
    }
    try {
      checks.push({ name, status: 'ok', detail: await run() });
      passed.add(name);
    } catch (error) {
      const { code, message } =
        error instanceof CheckFailure ? { code: error.code, message: printable(error.message) } : describeError(error);
      checks.push({ name, status: 'failed', code, detail: message });
    }
  }

  const { issuer, payment } = bundle;
  let ticket: TicketClaims | undefined;
  let voucher: VoucherClaims | undefined;
  let certificate: DeviceCertificateClaims | undefined;
  let approval: ConfirmationClaims | undefined;
  const ticketSha256 = sha256Base64url(bundle.ticket);
  const approvalSha256 = sha256Base64url(bundle.approval);

  await check('ticket.signature', [], async () => {
    const fromBundle = trust.merchant === undefined;
    if (fromBundle)
      warnings.push(
        "the ticket's signature is checked with the merchant key the bundle carries: give --merchant-jwks to check it with the merchant's own.",
      );
    const verified = await signed(
      bundle.ticket,
      TOKEN_TYPES.ticket,
      trust.merchant ?? staticKeySet(bundle.keys.merchant),
      parseTicketClaims,
    );
    ticket = verified.claims;
    if (ticket.iss !== payment.merchant || ticket.jti !== payment.ticket) {
      mismatch(
        'ticket_mismatch',
        `The ticket is ${ticket.iss}'s ${ticket.jti}; the bundle is about ${payment.merchant}'s ${payment.ticket}.`,
      );
    }
    if (ticket.aud !== issuer) mismatch('audience_mismatch', `The ticket is meant for ${ticket.aud}, not ${issuer}.`);
    return `${ticket.jti} (order ${ticket.serial}) signed by merchant key "${verified.kid}" ${fromBundle ? 'carried in the bundle' : `of ${trust.merchantSource}`}`;
  });

  await check('voucher.signature', [], async () => {
    const verified = await signed(bundle.voucher, TOKEN_TYPES.voucher, trust.server, (value) =>
      parseMessage(voucherClaims, value, 'claims_invalid'),
    );
    voucher = verified.claims;
    if (voucher.iss !== issuer) mismatch('issuer_mismatch', `The voucher was issued by ${voucher.iss}, the bundle by ${issuer}.`);
    if (voucher.jti !== payment.id)
      mismatch('ticket_mismatch', `The voucher is payment ${voucher.jti}, the bundle is about ${payment.id}.`);
    const mode = voucher.test === true ? ' (a test payment server: no money moved)' : '';
    return `${voucher.jti} signed by key "${verified.kid}" of ${trust.serverSource}${mode}`;
  });

  await check('voucher.ticket', ['ticket.signature', 'voucher.signature'], () => {
    const [t, v] = [ticket as TicketClaims, voucher as VoucherClaims];
    if (v.ticket.sha256 !== ticketSha256)
      mismatch('ticket_mismatch', `The voucher answers a ticket hashing to ${v.ticket.sha256}; this one hashes to ${ticketSha256}.`);
    if (v.ticket.jti !== t.jti || v.aud !== t.iss || v.serial !== t.serial)
      mismatch('ticket_mismatch', 'The voucher names another ticket, merchant or order serial.');
    if (v.amount !== t.amount || v.currency !== t.currency) {
      mismatch('ticket_mismatch', `The voucher says ${money(v.amount, v.currency)}, the ticket ${money(t.amount, t.currency)}.`);
    }
    return `answers this ticket exactly (SHA-256 ${ticketSha256}, ${money(v.amount, v.currency)}), status ${v.status}`;
  });

  await check('certificate.signature', [], async () => {
    const verified = await signed(bundle.device.certificate, TOKEN_TYPES.deviceCertificate, trust.server, (value) =>
      parseMessage(deviceCertificateClaims, value, 'claims_invalid'),
    );
    certificate = verified.claims;
    if (certificate.iss !== issuer)
      mismatch('issuer_mismatch', `The certificate was issued by ${certificate.iss}, the bundle by ${issuer}.`);
    return `device ${certificate.sub} certified by key "${verified.kid}" of ${trust.serverSource}`;
  });

  await check('certificate.device', ['certificate.signature'], () => {
    const c = certificate as DeviceCertificateClaims;
    if (canonicalJson(c.cnf.jwk) !== canonicalJson(bundle.device.jwk)) {
      mismatch('device_mismatch', "The bundle's device key is not the key the certificate binds.");
    }
    const derived = deviceIdOf(c.cnf.jwk);
    if (derived !== c.sub) mismatch('device_mismatch', `The certified key's thumbprint makes device ${derived}, not ${c.sub}.`);
    const revoked = c.revokedAt === undefined ? 'not revoked' : `revoked ${new Date(c.revokedAt * 1000).toISOString()}`;
    return `binds ${c.sub} (its key's own thumbprint) to customer ${c.customer}: enrolled ${new Date(c.enrolledAt * 1000).toISOString()}, ${revoked} as of ${new Date(c.iat * 1000).toISOString()}`;
  });

  await check('approval.signature', ['certificate.device'], async () => {
    const c = certificate as DeviceCertificateClaims;
    const deviceKey = importPublicJwk(c.cnf.jwk);
    const verified = await signed(
      bundle.approval,
      TOKEN_TYPES.confirmation,
      { get: (kid) => (kid === c.sub ? deviceKey : undefined) },
      (value) => parseMessage(confirmationClaims, value, 'claims_invalid'),
    );
    approval = verified.claims;
    if (approval.iss !== c.sub) mismatch('device_mismatch', `The approval says it comes from ${approval.iss}, signed by ${c.sub}.`);
    return `signed by the certified device ${c.sub}`;
  });

  await check('approval.facts', ['approval.signature', 'voucher.ticket'], () => {
    const [a, t, v, c] = [
      approval as ConfirmationClaims,
      ticket as TicketClaims,
      voucher as VoucherClaims,
      certificate as DeviceCertificateClaims,
    ];
    if (a.decision !== 'approve') mismatch('approval_mismatch', `The device's answer is "${a.decision}", not an approval.`);
    if (a.ticket !== ticketSha256)
      mismatch('approval_mismatch', `The approval is for a ticket hashing to ${a.ticket}; this one hashes to ${ticketSha256}.`);
    if (a.amount !== t.amount || a.currency !== t.currency) {
      mismatch('approval_mismatch', `The approval is for ${money(a.amount, a.currency)}, the ticket for ${money(t.amount, t.currency)}.`);
    }
    if (a.payee !== t.iss) mismatch('approval_mismatch', `The approval pays ${a.payee}, the ticket is ${t.iss}'s.`);
    if (a.aud !== issuer) mismatch('approval_mismatch', `The approval is meant for ${a.aud}, not ${issuer}.`);
    if (v.confirmation.method !== 'device' && v.confirmation.method !== 'tap') {
      mismatch('approval_mismatch', `The voucher says the payment was confirmed by ${v.confirmation.method}, not on the phone.`);
    }
    if (a.iat < c.enrolledAt - CONFIRMATION_IAT_TOLERANCE)
      mismatch('approval_mismatch', 'The approval is dated before the device was enrolled.');
    if (c.revokedAt !== undefined && v.confirmation.at >= c.revokedAt)
      mismatch('approval_mismatch', 'The approval was taken after the device was revoked.');
    if (a.iat > v.iat + CONFIRMATION_IAT_TOLERANCE) mismatch('approval_mismatch', 'The approval is dated after the voucher was issued.');
    return `approves ${money(a.amount, a.currency)} to ${a.payee} for this ticket (request ${a.request}, ${v.confirmation.method === 'tap' ? 'a tap' : 'with the PIN'}, ${new Date(a.iat * 1000).toISOString()})`;
  });

  const { audit } = bundle;
  if (!audit.sealed) {
    const status = voucher?.status;
    const why =
      status === 'authenticated'
        ? 'an authentication moves no money: there is no ledger transfer to seal'
        : status === 'held'
          ? 'the payment is held in escrow: its transfer is sealed once released; export the evidence again then'
          : undefined;
    for (const name of ['audit.batch', 'audit.transfer'] as const) {
      checks.push(
        why === undefined
          ? {
              name,
              status: 'failed',
              code: 'audit_not_sealed',
              detail: `The bundle has no sealed transfer, yet the voucher says ${status ?? 'nothing verified'}.`,
            }
          : { name, status: 'skipped', detail: why },
      );
    }
    return { ok: checks.every((entry) => entry.status !== 'failed'), checks, warnings };
  }

  await check('audit.batch', [], async () => {
    const recomputed = await auditBatchHash(audit.batch);
    if (recomputed !== audit.batch.hash) {
      mismatch('batch_mismatch', `Batch ${audit.batch.seq} recomputes to ${recomputed}, not its hash ${audit.batch.hash}.`);
    }
    warnings.push(
      `compare batch ${audit.batch.seq}'s hash ${audit.batch.hash} with one kept outside the payment server (each \`caisse-server audit verify\` prints the head) to know the register was not rewritten.`,
    );
    return `batch ${audit.batch.seq} (after ${audit.batch.prevHash.slice(0, 12)}…, up to serial ${audit.batch.lastSerial}) recomputes to its hash from its ${audit.batch.digests.length} transfer digest(s)`;
  });

  await check('audit.transfer', ['audit.batch', 'ticket.signature'], async () => {
    const t = ticket as TicketClaims;
    const digest = await auditDigest(audit.transfer.encoding);
    if (!audit.batch.digests.includes(digest))
      mismatch('transfer_mismatch', `Transfer ${audit.transfer.serial} is not among the transfers batch ${audit.batch.seq} sealed.`);
    let record: ReturnType<typeof auditTransferRecord.parse>;
    let metadata: Record<string, unknown>;
    try {
      record = parseMessage(auditTransferRecord, JSON.parse(audit.transfer.encoding));
      metadata = JSON.parse(record.metadata) as Record<string, unknown>;
    } catch (error) {
      throw new CheckFailure('transfer_mismatch', `The sealed transfer cannot be read: ${describeError(error).message}`);
    }
    if (record.serial !== audit.transfer.serial || BigInt(record.serial) > BigInt(audit.batch.lastSerial)) {
      mismatch(
        'transfer_mismatch',
        `The sealed transfer is serial ${record.serial}, not ${audit.transfer.serial} within batch ${audit.batch.seq}.`,
      );
    }
    if (metadata.merchant !== t.iss || metadata.ticket !== t.jti) {
      mismatch(
        'transfer_mismatch',
        `Transfer ${record.serial} books another ticket: ${String(metadata.merchant)}'s ${String(metadata.ticket)}.`,
      );
    }
    const till = record.lines.find((line) => line.type === 'merchant_till' && line.owner === t.iss);
    if (till === undefined || till.amount !== String(t.amount) || till.currency !== t.currency) {
      mismatch('transfer_mismatch', `Transfer ${record.serial} does not credit ${t.iss}'s till with ${money(t.amount, t.currency)}.`);
    }
    if (metadata.approval !== approvalSha256) {
      mismatch(
        'approval_mismatch',
        metadata.approval === undefined
          ? `Transfer ${record.serial} names no approval.`
          : `Transfer ${record.serial} names the approval ${String(metadata.approval)}; this one hashes to ${approvalSha256}.`,
      );
    }
    return `transfer ${record.serial} is sealed in it: ${money(t.amount, t.currency)} to ${t.iss}'s till for this ticket, naming this approval (SHA-256 ${approvalSha256})`;
  });

  return { ok: checks.every((entry) => entry.status !== 'failed'), checks, warnings };
}
