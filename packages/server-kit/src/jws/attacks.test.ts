import { createHmac, createPublicKey, type KeyObject, sign } from 'node:crypto';
import { type ErrorCode, TOKEN_TYPES } from '@caisse/protocol';
import { describe, expect, it } from 'vitest';
import { outcome } from '../__fixtures__/outcome.js';
import { ISSUER, MERCHANT_ID, NOW, parties } from '../__fixtures__/parties.js';
import { generateKey } from '../keys/generate.js';
import type { KeySet } from '../keys/types.js';
import { verifyNotification } from '../notification/verify.js';
import { memoryReplayStore } from '../replay/memory.js';
import { type VerifyVoucherOptions, verifyVoucher } from '../voucher/verify.js';
import { verifyJws } from './verify.js';

/*
 * The token attacks of the Foundation issue, each through the whole `verifyVoucher` path
 * with real keys and a frozen clock, each refused with its exact code. Forged tokens are
 * built here with node:crypto alone, never with the kit's signer.
 */

const b64 = (data: string | Uint8Array) => Buffer.from(data as Uint8Array).toString('base64url');

/** A compact JWS over exactly these header and payload texts; `signature` gets the signing input. */
function forge(header: object | string, payload: object | string, signature: (signingInput: string) => Uint8Array | string): string {
  const text = (part: object | string) => (typeof part === 'string' ? part : JSON.stringify(part));
  const signingInput = `${b64(text(header))}.${b64(text(payload))}`;
  const sig = signature(signingInput);
  return `${signingInput}.${typeof sig === 'string' ? sig : b64(sig)}`;
}

function signer(alg: 'EdDSA' | 'ES256', key: KeyObject) {
  return (signingInput: string) =>
    alg === 'EdDSA'
      ? sign(null, Buffer.from(signingInput), key)
      : sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
}

describe.each(['EdDSA', 'ES256'] as const)('attacks on verifyVoucher, payment server key %s', (serverAlg) => {
  const checkout = parties({ serverAlg });
  const ticket = checkout.ticket();
  const serverKid = checkout.server.kid;
  const signWithServer = signer(serverAlg, checkout.server.signingKey.key);
  const header = (extra: Record<string, unknown> = {}) => ({ alg: serverAlg, typ: TOKEN_TYPES.voucher, kid: serverKid, ...extra });
  const claims = () => checkout.voucherClaims(ticket);

  const options = (overrides: Partial<VerifyVoucherOptions> = {}): VerifyVoucherOptions => ({
    issuer: ISSUER,
    audience: MERCHANT_ID,
    keys: checkout.serverKeys,
    replayStore: memoryReplayStore({ now: () => NOW.getTime() }),
    now: () => NOW,
    ticket: ticket.reference,
    state: ticket.claims.state,
    ...overrides,
  });
  const verdict = (token: string, overrides?: Partial<VerifyVoucherOptions>) => outcome(verifyVoucher(token, options(overrides)));

  it('control: the same forging helpers make a voucher that verifies', async () => {
    expect(await verdict(forge(header(), claims(), signWithServer))).toBe('accepted');
  });

  it.each(['none', 'None', 'NONE', 'nOnE'])('alg %s, with an empty, a real or a random signature: algorithm_not_allowed', async (alg) => {
    for (const signature of [() => '', signWithServer, () => Buffer.alloc(64, 7)]) {
      expect(await verdict(forge(header({ alg }), claims(), signature))).toBe('algorithm_not_allowed');
    }
  });

  it('HS256 keyed with the public key (raw bytes, JWK, PEM, DER): algorithm_not_allowed', async () => {
    const publicKey = createPublicKey({ key: checkout.server.publicJwk as never, format: 'jwk' });
    const secrets = [
      Buffer.from(checkout.server.publicJwk.x, 'base64url'),
      Buffer.from(JSON.stringify(checkout.server.publicJwk)),
      Buffer.from(publicKey.export({ format: 'pem', type: 'spki' }) as string),
      publicKey.export({ format: 'der', type: 'spki' }),
    ];
    for (const secret of secrets) {
      const token = forge(header({ alg: 'HS256' }), claims(), (input) => createHmac('sha256', secret).update(input).digest());
      expect(await verdict(token)).toBe('algorithm_not_allowed');
    }
  });

  it(`${serverAlg === 'EdDSA' ? 'an ES256 header on the Ed25519 key' : 'an EdDSA header on the P-256 key'}: algorithm_not_allowed`, async () => {
    const other = serverAlg === 'EdDSA' ? 'ES256' : 'EdDSA';
    // Signed by the server key itself, and by a key of the claimed type.
    const otherKey = generateKey({ alg: other, kid: serverKid });
    expect(await verdict(forge(header({ alg: other }), claims(), signWithServer))).toBe('algorithm_not_allowed');
    expect(await verdict(forge(header({ alg: other }), claims(), signer(other, otherKey.signingKey.key)))).toBe('algorithm_not_allowed');
  });

  it('a ticket presented as a voucher: type_mismatch, even when the ticket is signed by the server key', async () => {
    expect(await verdict(ticket.token)).toBe('type_mismatch');
    const ticketHeader = header({ typ: TOKEN_TYPES.ticket });
    expect(await verdict(forge(ticketHeader, ticket.claims, signWithServer))).toBe('type_mismatch');
  });

  it('a voucher presented where a notification or a ticket is expected: type_mismatch', async () => {
    const voucher = checkout.voucher(ticket);
    const notificationOptions = {
      issuer: ISSUER,
      audience: MERCHANT_ID,
      keys: checkout.serverKeys,
      replayStore: memoryReplayStore({ now: () => NOW.getTime() }),
      now: () => NOW,
    };
    expect(await outcome(verifyNotification(voucher, notificationOptions))).toBe('type_mismatch');
    expect(await outcome(verifyJws(voucher, [TOKEN_TYPES.ticket], checkout.serverKeys))).toBe('type_mismatch');
    // The voucher itself was fine: the refusal is about where it was presented.
    expect(await verdict(voucher)).toBe('accepted');
  });

  it('a header jwk, even a valid self-signed one, jku, x5u or x5c: header_key_refused', async () => {
    const attacker = generateKey({ alg: serverAlg, kid: serverKid });
    const selfSigned = forge(header({ jwk: attacker.publicJwk }), claims(), signer(serverAlg, attacker.signingKey.key));
    expect(await verdict(selfSigned)).toBe('header_key_refused');
    expect(await verdict(forge(header({ jwk: checkout.server.publicJwk }), claims(), signWithServer))).toBe('header_key_refused');
    for (const extra of [{ jku: 'https://evil.example/jwks.json' }, { x5u: 'https://evil.example/cert.pem' }, { x5c: ['MIIB'] }]) {
      expect(await verdict(forge(header(extra), claims(), signWithServer))).toBe('header_key_refused');
    }
  });

  it.each([
    ['a number', 1],
    ['an object', { kid: serverKid }],
    ['an array', [serverKid]],
    ['null', null],
  ])('a kid that is %s: token_malformed', async (_what, kid) => {
    expect(await verdict(forge(header({ kid }), claims(), signWithServer))).toBe('token_malformed');
  });

  it('hostile kids: token_malformed or key_unknown, never a crash and never a prototype member', async () => {
    const looked: string[] = [];
    const keys: KeySet = {
      get: (kid) => {
        looked.push(kid);
        return checkout.serverKeys.get(kid);
      },
    };
    const cases: [string, ErrorCode][] = [
      ['../../etc/passwd', 'token_malformed'],
      ['__proto__', 'token_malformed'],
      ['constructor', 'key_unknown'],
      ['toString', 'key_unknown'],
      ['hasOwnProperty', 'key_unknown'],
      ['k'.repeat(10 * 1024), 'token_malformed'],
      ["k' OR '1'='1", 'token_malformed'],
      ['k"; DROP TABLE keys; --', 'token_malformed'],
      ['a\nb', 'token_malformed'],
      ['', 'token_malformed'],
    ];
    for (const [kid, code] of cases) {
      expect(await verdict(forge(header({ kid }), claims(), signWithServer), { keys }), JSON.stringify(kid).slice(0, 40)).toBe(code);
    }
    // Only well-formed kids reach the key set, and none of them found an inherited member.
    expect(looked).toEqual(['constructor', 'toString', 'hasOwnProperty']);
  });

  it('duplicate alg in the header, duplicate amount in the payload, escaped or not: duplicate_member', async () => {
    const { alg, typ, kid } = header();
    const payload = JSON.stringify(claims());
    const tokens = [
      forge(`{"alg":"${alg}","typ":"${typ}","kid":"${kid}","alg":"none"}`, payload, signWithServer),
      forge(`{"alg":"none","typ":"${typ}","kid":"${kid}","alg":"${alg}"}`, payload, signWithServer),
      forge(`{"alg":"${alg}","\\u0061lg":"${alg}","typ":"${typ}","kid":"${kid}"}`, payload, signWithServer),
      forge(header(), payload.replace(/"amount":(\d+)/, '"amount":1,"amount":$1'), signWithServer),
      forge(header(), payload.replace(/"amount":(\d+)/, '"amount":$1,"amount":1'), signWithServer),
      forge(header(), payload.replace(/"amount":(\d+)/, '"amount":$1,"am\\u006fun\\u0074":1'), signWithServer),
    ];
    for (const token of tokens) expect(await verdict(token)).toBe('duplicate_member');
  });

  it('a 1 MB token: token_too_large, before any parsing', async () => {
    const [head, body, sig] = checkout.voucher(ticket).split('.') as [string, string, string];
    const huge = `${head}.${body}${'A'.repeat(1 << 20)}.${sig}`;
    // The size check comes first: a 1 MB run of dots is not even three parts, yet that is not what is reported.
    expect(await verdict(huge)).toBe('token_too_large');
    expect(await verdict('.'.repeat(1 << 20))).toBe('token_too_large');
  });

  it('a voucher signed by a key outside the set: key_unknown', async () => {
    const stranger = generateKey({ alg: serverAlg });
    expect(await verdict(forge(header({ kid: stranger.kid }), claims(), signer(serverAlg, stranger.signingKey.key)))).toBe('key_unknown');
  });

  it("a voucher signed by an attacker key that reuses the server's kid: signature_invalid", async () => {
    const attacker = generateKey({ alg: serverAlg, kid: serverKid });
    expect(await verdict(forge(header(), claims(), signer(serverAlg, attacker.signingKey.key)))).toBe('signature_invalid');
  });
});
