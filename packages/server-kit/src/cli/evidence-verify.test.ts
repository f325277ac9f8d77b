import { type EvidenceBundle, TOKEN_TYPES } from '@caisse/protocol';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ISSUER, NOW_SECONDS } from '../__fixtures__/parties.js';
import { signJws } from '../jws/sign.js';
import { generateKey } from '../keys/generate.js';
import { capture, tempDir } from './__fixtures__/capture.js';
import { paidEvidence, testDevice } from './__fixtures__/evidence.js';
import { tamperSignature } from './__fixtures__/tokens.js';
import { evidenceVerify } from './evidence-verify.js';
import { runCli } from './main.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
let paid: Awaited<ReturnType<typeof paidEvidence>>;
let jwks: string;

beforeAll(async () => {
  dir = await tempDir();
  paid = await paidEvidence();
  jwks = await dir.file('server.jwks.json', paid.p.server.jwks);
});
afterAll(async () => {
  await dir.cleanup();
});

async function verify(bundle: unknown, extra: string[] = [], keys = jwks) {
  const file = await dir.file(`bundle-${Math.random().toString(36).slice(2)}.json`, bundle);
  const out = capture();
  const code = await evidenceVerify([file, '--jwks', keys, ...extra], out.io);
  return { code, out };
}

/** The status (and code, when it failed) of each check, by name. */
async function statuses(bundle: EvidenceBundle) {
  const file = await dir.file(`bundle-${Math.random().toString(36).slice(2)}.json`, bundle);
  const out = capture();
  const code = await evidenceVerify([file, '--jwks', jwks, '--json'], out.io);
  const checks = out.json().checks as { name: string; status: string; code?: string }[];
  return {
    code,
    checks: Object.fromEntries(checks.map((check) => [check.name, check.code ? `${check.status} ${check.code}` : check.status])),
  };
}

describe('caisse evidence verify: a genuine bundle', () => {
  test('passes every check, one line each, exit 0', async () => {
    const { code, out } = await verify(paid.bundle);
    expect(code).toBe(0);
    const lines = out.stdout.split('\n');
    expect(lines[0]).toBe(`Evidence of pay_42 (bookshop, ticket ${paid.ticket.id}) from ${ISSUER} VERIFIED`);
    expect(lines.slice(1, 10).map((line) => line.trim().split(/\s+/).slice(0, 2))).toEqual([
      ['ok', 'ticket.signature'],
      ['ok', 'voucher.signature'],
      ['ok', 'voucher.ticket'],
      ['ok', 'certificate.signature'],
      ['ok', 'certificate.device'],
      ['ok', 'approval.signature'],
      ['ok', 'approval.facts'],
      ['ok', 'audit.batch'],
      ['ok', 'audit.transfer'],
    ]);
    expect(out.stdout).toContain(`device ${paid.device.id} certified by key "${paid.p.server.kid}" of ${jwks}`);
    expect(out.stdout).toContain('approves 15.90 EUR to bookshop for this ticket');
    expect(out.stdout).toContain('transfer 42 is sealed in it');
    // What the bundle cannot prove alone is said, not hidden.
    expect(out.stderr).toContain('give --merchant-jwks');
    expect(out.stderr).toContain(`compare batch 3's hash ${paid.bundle.audit.sealed ? paid.bundle.audit.batch.hash : ''}`);
  });

  test('checks the ticket with the merchant keys given, and prints one JSON object with --json', async () => {
    const merchant = await dir.file('merchant.jwks.json', paid.p.merchant.jwks);
    const { code, out } = await verify(paid.bundle, ['--merchant-jwks', merchant, '--json']);
    expect(code).toBe(0);
    const report = out.json();
    expect(report).toMatchObject({
      ok: true,
      payment: { id: 'pay_42' },
      issuer: ISSUER,
      batch: { seq: '3' },
      warnings: [expect.any(String)],
    });
    expect(report.checks).toHaveLength(9);
    expect(report.checks[0].detail).toContain(`of ${merchant}`);
  });

  test('reads the bundle from stdin with -', async () => {
    const out = capture({ stdin: JSON.stringify(paid.bundle) });
    expect(await evidenceVerify(['-', '--jwks', jwks], out.io)).toBe(0);
  });

  test('a payment held in escrow has no sealed transfer yet: the audit checks are skipped, not failed', async () => {
    const held = await paidEvidence({ voucher: { status: 'held' } });
    const file = await dir.file('held.jwks.json', held.p.server.jwks);
    const bundle = { ...held.bundle, audit: { sealed: false, reason: 'no_transfer' } };
    const { code, out } = await verify(bundle, [], file);
    expect(code).toBe(0);
    expect(out.stdout).toMatch(/skipped audit\.batch {2,}the payment is held in escrow/);
    // An authorised payment moved money: its transfer must be sealed.
    expect((await verify({ ...paid.bundle, audit: { sealed: false, reason: 'no_transfer' } })).out.stdout).toMatch(
      /FAILED {2}audit\.batch {2,}audit_not_sealed/,
    );
  });

  test('is reached through `caisse evidence verify`, with its help', async () => {
    const file = await dir.file('main.json', paid.bundle);
    const out = capture();
    expect(await runCli(['evidence', 'verify', file, '--jwks', jwks], out.io)).toBe(0);
    const help = capture();
    expect(await runCli(['evidence', 'verify', '--help'], help.io)).toBe(0);
    expect(help.stdout).toContain('Usage: caisse evidence verify <bundle.json|-> --jwks FILE|URL');
  });
});

describe('caisse evidence verify: an altered bundle fails, naming the check', () => {
  test('an approval altered: its signature, and the sealed transfer that names it', async () => {
    const { code, checks } = await statuses({ ...paid.bundle, approval: tamperSignature(paid.bundle.approval) });
    expect(code).toBe(1);
    expect(checks).toMatchObject({
      'approval.signature': 'failed signature_invalid',
      'approval.facts': 'skipped',
      'audit.transfer': 'failed approval_mismatch',
      'voucher.ticket': 'ok',
    });
  });

  test('an approval re-signed by the device for another amount, or declining', async () => {
    for (const [claims, expected] of [
      [{ amount: 1 }, 'failed approval_mismatch'],
      [{ decision: 'decline' }, 'failed approval_mismatch'],
      [{ payee: 'another-shop' }, 'failed approval_mismatch'],
    ] as const) {
      const other = await paidEvidence({ approval: claims });
      const file = await dir.file(`other-${Math.random()}.jwks.json`, other.p.server.jwks);
      const { code, out } = await verify({ ...other.bundle }, ['--json'], file);
      expect(code).toBe(1);
      const failed = (out.json().checks as { name: string; status: string; code?: string }[]).find(
        (check) => check.name === 'approval.facts',
      );
      expect(`${failed?.status} ${failed?.code}`).toBe(expected);
    }
  });

  test('a voucher altered, or signed by a key the JWKS does not hold', async () => {
    expect((await statuses({ ...paid.bundle, voucher: tamperSignature(paid.bundle.voucher) })).checks).toMatchObject({
      'voucher.signature': 'failed signature_invalid',
      'voucher.ticket': 'skipped',
      'approval.facts': 'skipped',
    });
    const forger = generateKey();
    const claims = JSON.parse(Buffer.from(paid.bundle.voucher.split('.')[1] as string, 'base64url').toString());
    const forged = signJws(TOKEN_TYPES.voucher, { ...claims, amount: 1 }, forger.signingKey);
    expect((await statuses({ ...paid.bundle, voucher: forged })).checks).toMatchObject({ 'voucher.signature': 'failed key_unknown' });
  });

  test('a voucher for another ticket', async () => {
    const other = await paidEvidence({
      voucher: { ticket: { jti: paid.ticket.id, sha256: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } },
    });
    const file = await dir.file('another.jwks.json', other.p.server.jwks);
    const { code, out } = await verify(other.bundle, [], file);
    expect(code).toBe(1);
    expect(out.stdout).toMatch(/FAILED {2}voucher\.ticket {2,}ticket_mismatch/);
  });

  test('a certificate altered, forged, or binding another key', async () => {
    expect(
      (await statuses({ ...paid.bundle, device: { ...paid.bundle.device, certificate: tamperSignature(paid.bundle.device.certificate) } }))
        .checks,
    ).toMatchObject({
      'certificate.signature': 'failed signature_invalid',
      'certificate.device': 'skipped',
      'approval.signature': 'skipped',
    });
    // The forger's own device key, certified by the forger: the payment server's JWKS does not hold its key.
    const forger = generateKey();
    const mine = testDevice();
    const forged = signJws(
      TOKEN_TYPES.deviceCertificate,
      { ver: 1, iss: ISSUER, sub: mine.id, iat: NOW_SECONDS, customer: 'alice', cnf: { jwk: mine.jwk }, enrolledAt: NOW_SECONDS - 10 },
      forger.signingKey,
    );
    expect((await statuses({ ...paid.bundle, device: { jwk: mine.jwk, certificate: forged } })).checks).toMatchObject({
      'certificate.signature': 'failed key_unknown',
    });
    // A genuine certificate, but of another device than the key the bundle shows.
    expect((await statuses({ ...paid.bundle, device: { ...paid.bundle.device, jwk: mine.jwk } })).checks).toMatchObject({
      'certificate.device': 'failed device_mismatch',
      'approval.signature': 'skipped',
    });
  });

  test('a device revoked before the payment', async () => {
    const revoked = await paidEvidence({ certificate: { revokedAt: NOW_SECONDS - 60 } });
    const file = await dir.file('revoked.jwks.json', revoked.p.server.jwks);
    expect((await verify(revoked.bundle, [], file)).out.stdout).toContain(
      'approval_mismatch: The approval was taken after the device was revoked.',
    );
  });

  test('a batch altered: a digest, its hash, or the transfer it seals', async () => {
    if (!paid.bundle.audit.sealed) throw new Error('expected a sealed bundle');
    const { batch, transfer } = paid.bundle.audit;
    const digests = [...batch.digests];
    digests[0] = 'f'.repeat(64);
    expect((await statuses({ ...paid.bundle, audit: { ...paid.bundle.audit, batch: { ...batch, digests } } })).checks).toMatchObject({
      'audit.batch': 'failed batch_mismatch',
      'audit.transfer': 'skipped',
    });
    expect(
      (await statuses({ ...paid.bundle, audit: { ...paid.bundle.audit, batch: { ...batch, hash: 'e'.repeat(64) } } })).checks,
    ).toMatchObject({
      'audit.batch': 'failed batch_mismatch',
    });
    const edited = transfer.encoding.replace('"amount":"1590"', '"amount":"1"');
    expect(
      (await statuses({ ...paid.bundle, audit: { ...paid.bundle.audit, transfer: { ...transfer, encoding: edited } } })).checks,
    ).toMatchObject({
      'audit.batch': 'ok',
      'audit.transfer': 'failed transfer_mismatch',
    });
  });

  test("a batch whose transfer names another approval: rebuilt whole, its hash recomputes, but not to this approval's", async () => {
    const other = await paidEvidence({ metadata: { approval: 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB' } });
    const file = await dir.file('rebuilt.jwks.json', other.p.server.jwks);
    const { out } = await verify(other.bundle, ['--json'], file);
    const checks = out.json().checks as { name: string; status: string; code?: string }[];
    expect(checks.find((check) => check.name === 'audit.batch')?.status).toBe('ok');
    expect(checks.find((check) => check.name === 'audit.transfer')).toMatchObject({ status: 'failed', code: 'approval_mismatch' });
  });

  test('a file that is not an evidence bundle is a usage error, exit 2', async () => {
    const { code, out } = await verify({ type: 'caisse-evidence', ver: 1 });
    expect(code).toBe(2);
    expect(out.stderr).toMatch(/^caisse: input_invalid: The file is not an evidence bundle: /);
    const missing = capture();
    expect(await evidenceVerify([await dir.file('x.json', paid.bundle)], missing.io)).toBe(2);
    expect(missing.stderr).toContain('--jwks is required.');
  });
});
