import { execFileSync, spawnSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { itemsDigest, TOKEN_TYPES } from '@caisse/protocol';
import { describe, expect, it } from 'vitest';
import { ISSUER, MERCHANT_ID, NOW, NOW_SECONDS, parties } from './__fixtures__/parties.js';
import { memoryReplayStore } from './replay/memory.js';
import { verifyVoucher } from './voucher/verify.js';

/*
 * Interop: tokens cross the boundary between the kit and code that shares nothing with it.
 * (a) a voucher from a plain node:crypto script verifies with `verifyVoucher`;
 * (b) a ticket from `createTicket` verifies with openssl and with plain node:crypto.
 */

const PLAIN_VOUCHER_SCRIPT = fileURLToPath(new URL('./__fixtures__/plain-node-voucher.mjs', import.meta.url));

const OPENSSL = spawnSync('openssl', ['version'], { encoding: 'utf8' });
const HAS_OPENSSL = OPENSSL.status === 0 && /^OpenSSL 3\./.test(OPENSSL.stdout);
const IN_CI = process.env.CI === 'true';
if (!HAS_OPENSSL && !IN_CI) {
  console.warn('interop.test.ts: openssl 3 not found on PATH; the openssl ticket checks are skipped here (they fail under CI=true).');
}

describe.each(['EdDSA', 'ES256'] as const)('a voucher from a plain node:crypto script, payment server key %s', (serverAlg) => {
  const checkout = parties({ serverAlg });

  function plainVoucher(ticketToken: string): string {
    const input = JSON.stringify({
      privateJwk: checkout.server.privateJwk,
      issuer: ISSUER,
      ticket: ticketToken,
      now: NOW_SECONDS,
      sub: 'c_pairwise_1',
    });
    return execFileSync(process.execPath, [PLAIN_VOUCHER_SCRIPT], { input, encoding: 'utf8', timeout: 10_000 }).trim();
  }
  const trust = { issuer: ISSUER, audience: MERCHANT_ID, keys: checkout.serverKeys, now: () => NOW };

  it('verifies for a purchase, committing to the exact ticket and items', async () => {
    const ticket = checkout.ticket();
    const token = plainVoucher(ticket.token);
    const voucher = await verifyVoucher(token, {
      ...trust,
      replayStore: memoryReplayStore({ now: () => NOW.getTime() }),
      ticket: ticket.reference,
      state: ticket.claims.state,
    });
    expect(voucher).toMatchObject({
      iss: ISSUER,
      aud: MERCHANT_ID,
      ticket: { jti: ticket.id, sha256: ticket.sha256 },
      serial: ticket.claims.serial,
      amount: ticket.claims.amount,
      currency: 'EUR',
      status: 'authorised',
      funding: 'wallet',
      state: ticket.claims.state,
    });
    // The script's own RFC 8785 canonicalisation agrees with the protocol package's.
    expect(voucher.items).toBe(await itemsDigest(ticket.claims.items));
    expect(JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString())).toEqual({
      alg: serverAlg,
      typ: TOKEN_TYPES.voucher,
      kid: checkout.server.kid,
    });
  });

  it('verifies for an authentication ticket (amount 0, no funding)', async () => {
    const ticket = checkout.ticket({ items: [] });
    const voucher = await verifyVoucher(plainVoucher(ticket.token), {
      ...trust,
      replayStore: memoryReplayStore({ now: () => NOW.getTime() }),
      ticket: ticket.reference,
    });
    expect(voucher).toMatchObject({ amount: 0, status: 'authenticated' });
    expect(voucher.funding).toBeUndefined();
  });

  it('is refused for another ticket than the one it answers: ticket_mismatch', async () => {
    const answered = checkout.ticket();
    const other = checkout.ticket();
    const attempt = verifyVoucher(plainVoucher(answered.token), {
      ...trust,
      replayStore: memoryReplayStore({ now: () => NOW.getTime() }),
      ticket: other.reference,
    });
    await expect(attempt).rejects.toMatchObject({ code: 'ticket_mismatch' });
  });
});

/** DER `ECDSA-Sig-Value` (RFC 3279 §2.2.3) from JWS's raw r‖s, written out by hand. */
function p1363ToDer(signature: Buffer): Buffer {
  const integer = (bytes: Buffer) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    const trimmed = bytes.subarray(start);
    const body = (trimmed[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
    return Buffer.concat([Buffer.from([0x02, body.length]), body]);
  };
  const sequence = Buffer.concat([integer(signature.subarray(0, 32)), integer(signature.subarray(32))]);
  return Buffer.concat([Buffer.from([0x30, sequence.length]), sequence]);
}

describe.each(['EdDSA', 'ES256'] as const)('a ticket made by createTicket, merchant key %s', (merchantAlg) => {
  const checkout = parties({ merchantAlg });
  const ticket = checkout.ticket();
  const [encodedHeader, encodedPayload, encodedSignature] = ticket.token.split('.') as [string, string, string];
  const signingInput = Buffer.from(`${encodedHeader}.${encodedPayload}`, 'ascii');
  const signature = Buffer.from(encodedSignature, 'base64url');
  // The merchant publishes its JWKS; a verifier builds its key from that alone.
  const publicKey = createPublicKey({ key: checkout.merchant.publicJwk as never, format: 'jwk' });

  it('has the header and claims the format reference describes', () => {
    expect(JSON.parse(Buffer.from(encodedHeader, 'base64url').toString())).toEqual({
      alg: merchantAlg,
      typ: TOKEN_TYPES.ticket,
      kid: checkout.merchant.kid,
    });
    expect(JSON.parse(Buffer.from(encodedPayload, 'base64url').toString())).toMatchObject({
      iss: MERCHANT_ID,
      aud: ISSUER,
      jti: ticket.id,
      amount: 1590,
    });
    expect(signature).toHaveLength(64);
  });

  it('verifies with plain node:crypto, and not once a byte changes', () => {
    const check = (data: Buffer) =>
      merchantAlg === 'EdDSA'
        ? verify(null, data, publicKey, signature)
        : verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    expect(check(signingInput)).toBe(true);
    expect(check(Buffer.concat([signingInput, Buffer.from('A')]))).toBe(false);
  });

  it.runIf(HAS_OPENSSL || IN_CI)('verifies with openssl, and not once a byte changes', () => {
    expect(HAS_OPENSSL, 'openssl 3 must be installed on CI').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'caisse-interop-'));
    try {
      writeFileSync(join(dir, 'pub.pem'), publicKey.export({ format: 'pem', type: 'spki' }));
      writeFileSync(join(dir, 'data'), signingInput);
      writeFileSync(join(dir, 'tampered'), Buffer.concat([signingInput, Buffer.from('A')]));
      let command: (data: string) => string[];
      if (merchantAlg === 'EdDSA') {
        writeFileSync(join(dir, 'sig'), signature);
        command = (data) => ['pkeyutl', '-verify', '-pubin', '-inkey', 'pub.pem', '-rawin', '-in', data, '-sigfile', 'sig'];
      } else {
        const der = p1363ToDer(signature);
        // The hand-written DER is what node:crypto reads as DER too.
        expect(verify('sha256', signingInput, publicKey, der)).toBe(true);
        writeFileSync(join(dir, 'sig.der'), der);
        command = (data) => ['dgst', '-sha256', '-verify', 'pub.pem', '-signature', 'sig.der', data];
      }
      const run = (data: string) => spawnSync('openssl', command(data), { cwd: dir, encoding: 'utf8' });
      const good = run('data');
      expect(good.status, good.stderr).toBe(0);
      expect(good.stdout).toMatch(/Verified (OK|Successfully)/);
      const bad = run('tampered');
      expect(bad.status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
