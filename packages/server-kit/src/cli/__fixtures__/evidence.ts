import { createHash, generateKeyPairSync } from 'node:crypto';
import {
  AUDIT_ZERO_HASH,
  auditBatchHash,
  auditDigest,
  type ConfirmationClaims,
  canonicalJson,
  type DeviceCertificateClaims,
  type EvidenceBundle,
  PROTOCOL_VERSION,
  type PublicJwk,
  TOKEN_TYPES,
  type VoucherClaims,
} from '@caisse/protocol';
import { ISSUER, MERCHANT_ID, NOW_SECONDS, parties } from '../../__fixtures__/parties.js';
import { signJws } from '../../jws/sign.js';
import { importSigningKey } from '../../keys/import.js';
import type { SigningKey } from '../../keys/types.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

/** A phone's key, with its id as the payment server derives it: `dev-` and its RFC 7638 thumbprint. */
export function testDevice(): { id: string; jwk: PublicJwk; signingKey: SigningKey } {
  const material = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as {
    kty: string;
    crv: string;
    x: string;
    d: string;
  };
  const id = `dev-${createHash('sha256')
    .update(canonicalJson({ crv: material.crv, kty: material.kty, x: material.x }))
    .digest('base64url')}`;
  const jwk = { kty: 'OKP', crv: 'Ed25519', x: material.x, kid: id, alg: 'EdDSA' } as PublicJwk;
  return { id, jwk, signingKey: importSigningKey({ ...material, kid: id, alg: 'EdDSA' }) };
}

/**
 * A paid payment's evidence, as the payment server exports it: the parties' keys, a ticket
 * of 15.90 EUR, its voucher (payment `pay_42`), the phone's approval, the device
 * certificate, and audit batch 3 sealing transfer 42 among two others. `change` alters
 * the claims before they are signed, to build the bundles a forger would.
 */
export async function paidEvidence(
  change: {
    voucher?: Partial<VoucherClaims>;
    approval?: Partial<ConfirmationClaims>;
    certificate?: Partial<DeviceCertificateClaims>;
    metadata?: Record<string, unknown>;
  } = {},
) {
  const p = parties();
  const device = testDevice();
  const ticket = p.ticket();
  const voucher = p.voucher(ticket, {
    jti: 'pay_42',
    iat: NOW_SECONDS,
    confirmation: { method: 'device', at: NOW_SECONDS - 2 },
    ...change.voucher,
  });
  const approvalClaims: ConfirmationClaims = {
    ver: PROTOCOL_VERSION,
    iss: device.id,
    aud: ISSUER,
    jti: 'c0ffee-answer',
    iat: NOW_SECONDS - 3,
    request: 'cfr_AAAAAAAAAAAAAAAAAAAAAA',
    challenge: 'Vd3Gq7Jm0Zl9sX2cR8tY1uB4nK6pW5eA3hF7gD0iQ2o',
    ticket: ticket.sha256,
    amount: ticket.claims.amount,
    currency: ticket.claims.currency,
    payee: MERCHANT_ID,
    decision: 'approve',
    pinProof: 'q8Zr0M1tW3xYv7Ln5Ks2Jd9Fh4Gb6Pc1xxxxxxxxxx',
    ...change.approval,
  };
  const approval = signJws(TOKEN_TYPES.confirmation, approvalClaims, device.signingKey);
  const certificateClaims: DeviceCertificateClaims = {
    ver: PROTOCOL_VERSION,
    iss: ISSUER,
    sub: device.id,
    iat: NOW_SECONDS + 86_400,
    customer: 'alice',
    cnf: { jwk: device.jwk },
    enrolledAt: NOW_SECONDS - 86_400,
    ...change.certificate,
  };
  const certificate = p.sign(TOKEN_TYPES.deviceCertificate, certificateClaims);
  const transfer = {
    v: 1,
    serial: '42',
    idempotencyKey: `ticket:${MERCHANT_ID}:${ticket.id}`,
    pendingId: null,
    // The ledger's digest of the request (ticket hash, lines, metadata), as it stores it.
    requestHash: createHash('sha256').update(ticket.sha256).digest('hex'),
    metadata: JSON.stringify({
      ticket: ticket.id,
      serial: ticket.claims.serial,
      customer: 'alice',
      merchant: MERCHANT_ID,
      approval: sha256(approval),
      ...change.metadata,
    }),
    createdAt: '2026-11-22T09:59:58.123456Z',
    lines: [
      { account: 'a1', type: 'customer_wallet', owner: 'alice', currency: 'EUR', amount: `-${ticket.claims.amount}` },
      { account: 'a2', type: 'merchant_till', owner: MERCHANT_ID, currency: 'EUR', amount: `${ticket.claims.amount}` },
    ],
  };
  const encoding = canonicalJson(transfer);
  const digests = [await auditDigest('{"v":1,"serial":"41"}'), await auditDigest(encoding), await auditDigest('{"v":1,"serial":"43"}')];
  const batch = { seq: '3', prevHash: AUDIT_ZERO_HASH.replaceAll('0', 'a'), lastSerial: '43', digests };
  const bundle: EvidenceBundle = {
    type: 'caisse-evidence',
    ver: 1,
    issuer: ISSUER,
    exportedAt: NOW_SECONDS + 86_400,
    payment: { id: 'pay_42', merchant: MERCHANT_ID, ticket: ticket.id },
    ticket: ticket.token,
    voucher,
    approval,
    device: { jwk: device.jwk, certificate },
    keys: { server: p.server.jwks, merchant: p.merchant.jwks },
    audit: { sealed: true, batch: { ...batch, hash: await auditBatchHash(batch) }, transfer: { serial: '42', encoding } },
  };
  return { p, device, ticket, bundle };
}
