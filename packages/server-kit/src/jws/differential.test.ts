import { createECDH, createHash, createHmac, createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto';
import { type ErrorCode, isCaisseError, LIMITS, SUPPORTED_VERSIONS, TOKEN_TYPES, type TokenType } from '@caisse/protocol';
import { compactVerify, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { importSigningKey, staticKeySet } from '../keys/import.js';
import type { KeySet, SigningKey } from '../keys/types.js';
import {
  type CookbookFile,
  caisseKeySet,
  type Jwk,
  RFC7520_FILES,
  readVector,
  type WycheproofSignatureFile,
  wycheproofJwsCases,
} from './__fixtures__/vectors.js';
import { verifySignature } from './signature.js';
import { verifyJws } from './verify.js';

/*
 * jose stays the reference. Our verifier (`verifyJws`: node:crypto KeyObjects, no
 * WebCrypto hop) must take exactly the decisions of a reference built on jose's
 * `compactVerify`, for every vector and for thousands of fuzzed tokens.
 *
 * What jose decides in the reference (its own code, untouched):
 *   - compact shape (three parts), header base64url → UTF-8 → JSON object;
 *   - `alg` in the allow-list `['EdDSA', 'ES256']` (none, HS256, RS256, … refused);
 *   - the key fits the algorithm (an ES256 header cannot use an Ed25519 key and back);
 *   - the signature, through WebCrypto with keys imported by jose's `importJWK`.
 *
 * What is Caisse's own, so the thin wrapper below applies it on the reference side, written
 * here independently of src/jws (it shares no code with decode.ts or json.ts):
 *   0. the token is a string (jose also takes a Uint8Array);
 *   1. size: a token longer than LIMITS.tokenLength characters is refused before parsing;
 *   2. canonical base64url: alphabet only, no padding, zero unused trailing bits (jose's
 *      decoder accepts the non-canonical spellings of the same bytes);
 *   3. header and payload are UTF-8 (fatal; a BOM is not stripped — jose strips it) and
 *      RFC 8259 JSON objects with no member name repeated in any object, names compared after
 *      unescaping (RFC 7515 §5.2, RFC 8725 §3.6; JSON.parse keeps the last duplicate);
 *   4. no key-bearing header: jwk, jku, x5u, x5c, x5t, x5t#S256 (RFC 8725 §3.10);
 *   5. no `crit` at all (jose accepts `crit: ["b64"]`);
 *   6. `typ` present and exactly one of the expected types, compared as bytes (jose's
 *      jwtVerify would lower-case it and drop an `application/` prefix);
 *   7. `kid` present, a string of 1–64 of A-Z a-z 0-9 . _ : - starting with a letter or
 *      digit, and the key chosen by `kid` alone from the trusted set (a Map, no prototype);
 *   8. the payload's protocol version `ver` is one this kit reads.
 */

const EXPECTED: readonly TokenType[] = [TOKEN_TYPES.voucher];

// --------------------------------------------------------------------------- reference

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Canonical unpadded base64url: a 2- or 3-character tail must leave its unused low bits at zero. */
function isCanonicalBase64url(part: string): boolean {
  if (!/^[A-Za-z0-9_-]*$/.test(part) || part.length % 4 === 1) return false;
  const last = ALPHABET.indexOf(part.charAt(part.length - 1));
  if (part.length % 4 === 2) return (last & 0x0f) === 0;
  if (part.length % 4 === 3) return (last & 0x03) === 0;
  return true;
}

class DuplicateMember extends Error {}

/**
 * RFC 8259 JSON, refusing a member name repeated within one object (after unescaping).
 * Iterative, so that deep nesting cannot exhaust the stack; returns JSON.parse's value.
 */
function strictJson(text: string): unknown {
  let i = 0;
  const fail = (): never => {
    throw new SyntaxError(`invalid JSON at ${i}`);
  };
  const skip = () => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
  const readString = (): string => {
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) fail();
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return out;
      }
      if (c < 0x20) fail();
      if (c === 0x5c) {
        const e = text.charAt(i + 1);
        if (Object.hasOwn(ESCAPES, e)) {
          out += ESCAPES[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          fail();
        }
      } else {
        out += text.charAt(i);
        i++;
      }
    }
  };
  const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const readScalar = () => {
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    if (!NUMBER.test(text)) fail();
    i = NUMBER.lastIndex;
  };
  // One entry per open container: the names seen so far in an object, null for an array.
  const open: (Set<string> | null)[] = [];
  const readName = () => {
    skip();
    if (text.charAt(i) !== '"') fail();
    const name = readString();
    const names = open[open.length - 1] as Set<string>;
    if (names.has(name)) throw new DuplicateMember(name);
    names.add(name);
    skip();
    if (text.charAt(i) !== ':') fail();
    i++;
  };
  for (;;) {
    skip();
    const c = text.charAt(i);
    if (c === '{' || c === '[') {
      i++;
      open.push(c === '{' ? new Set() : null);
      skip();
      if (text.charAt(i) !== (c === '{' ? '}' : ']')) {
        if (c === '{') readName();
        continue;
      }
      i++;
      open.pop();
    } else if (c === '"') {
      readString();
    } else {
      readScalar();
    }
    // A value is complete: close what it completes, then expect the next value.
    for (;;) {
      skip();
      if (open.length === 0) {
        if (i !== text.length) fail();
        return JSON.parse(text);
      }
      const names = open[open.length - 1];
      const d = text.charAt(i);
      if (d === ',') {
        i++;
        if (names) readName();
        break;
      }
      if (d !== (names ? '}' : ']')) fail();
      i++;
      open.pop();
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function strictObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value = strictJson(utf8.decode(bytes));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const KEY_HEADERS = ['jwk', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256'];
const KID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

type ReferenceKey = Awaited<ReturnType<typeof importJWK>>;
type Decision = { accepted: true; payload: Record<string, unknown> } | { accepted: false; reason: string };

/** jose's compactVerify inside Caisse's own rules (numbered as in the comment at the top). */
async function referenceVerify(token: unknown, keys: ReadonlyMap<string, ReferenceKey>): Promise<Decision> {
  const refuse = (reason: string): Decision => ({ accepted: false, reason });
  if (typeof token !== 'string') return refuse('not a string');
  if (token.length > LIMITS.tokenLength) return refuse('1 size');
  const parts = token.split('.');
  if (parts.length === 3 && !parts.every(isCanonicalBase64url)) return refuse('2 base64url');
  const header = parts.length === 3 ? strictObject(Buffer.from(parts[0] as string, 'base64url')) : {};
  if (header === undefined) return refuse('3 header JSON');
  if (KEY_HEADERS.some((name) => Object.hasOwn(header, name))) return refuse('4 key header');
  if (Object.hasOwn(header, 'crit')) return refuse('5 crit');
  if (parts.length === 3 && !(typeof header.typ === 'string' && EXPECTED.includes(header.typ as TokenType))) return refuse('6 typ');
  if (parts.length === 3 && !(typeof header.kid === 'string' && KID.test(header.kid))) return refuse('7 kid');
  let payloadBytes: Uint8Array;
  try {
    const result = await compactVerify(
      token,
      (protectedHeader) => {
        const key = typeof protectedHeader.kid === 'string' ? keys.get(protectedHeader.kid) : undefined;
        if (key === undefined) throw new Error('7 no key with this kid');
        return key;
      },
      { algorithms: ['EdDSA', 'ES256'] },
    );
    payloadBytes = result.payload;
  } catch (error) {
    return refuse(`jose: ${(error as Error).message}`);
  }
  const payload = strictObject(payloadBytes);
  if (payload === undefined) return refuse('3 payload JSON');
  if (!(typeof payload.ver === 'number' && SUPPORTED_VERSIONS.includes(payload.ver))) return refuse('8 ver');
  return { accepted: true, payload };
}

async function ourVerify(
  token: unknown,
  keys: KeySet,
): Promise<{ accepted: true; payload: Record<string, unknown> } | { accepted: false; code: ErrorCode }> {
  try {
    return { accepted: true, payload: (await verifyJws(token, EXPECTED, keys)).payload };
  } catch (error) {
    if (isCaisseError(error)) return { accepted: false, code: error.code };
    throw error;
  }
}

async function referenceKeys(jwks: readonly Jwk[]): Promise<Map<string, ReferenceKey>> {
  const keys = new Map<string, ReferenceKey>();
  for (const jwk of jwks) {
    if (typeof jwk.kid !== 'string' || keys.has(jwk.kid)) continue;
    try {
      keys.set(
        jwk.kid,
        await importJWK(jwk as Parameters<typeof importJWK>[0], (jwk.alg as string | undefined) ?? (jwk.kty === 'OKP' ? 'EdDSA' : 'ES256')),
      );
    } catch {
      // jose cannot use this key either; tokens naming it are refused for want of a key.
    }
  }
  return keys;
}

interface Case {
  name: string;
  token: unknown;
  /** Our code when both refuse; `accept` when both must accept; undefined when either is fine as long as both agree. */
  expect?: readonly ErrorCode[] | 'accept';
}

interface Outcome {
  cases: number;
  agreements: number;
  accepted: number;
  disagreements: unknown[];
  wrongCodes: unknown[];
  codes: Partial<Record<ErrorCode, number>>;
}

const ALL_REFUSALS: readonly ErrorCode[] = [
  'token_malformed',
  'token_too_large',
  'duplicate_member',
  'type_mismatch',
  'algorithm_not_allowed',
  'header_key_refused',
  'header_unsupported',
  'key_unknown',
  'signature_invalid',
  'version_unsupported',
];

function preview(token: unknown): string {
  return typeof token === 'string' ? (token.length > 120 ? `${token.slice(0, 120)}…(${token.length})` : token) : String(token);
}

async function compare(cases: readonly Case[], ours: KeySet, reference: ReadonlyMap<string, ReferenceKey>): Promise<Outcome> {
  const outcome: Outcome = { cases: cases.length, agreements: 0, accepted: 0, disagreements: [], wrongCodes: [], codes: {} };
  for (const test of cases) {
    const [a, b] = await Promise.all([ourVerify(test.token, ours), referenceVerify(test.token, reference)]);
    if (a.accepted !== b.accepted || (a.accepted && b.accepted && JSON.stringify(a.payload) !== JSON.stringify(b.payload))) {
      outcome.disagreements.push({
        name: test.name,
        token: preview(test.token),
        ours: a.accepted ? 'accepted' : a.code,
        reference: b.accepted ? 'accepted' : b.reason,
      });
      continue;
    }
    outcome.agreements++;
    if (a.accepted) {
      outcome.accepted++;
      if (test.expect !== undefined && test.expect !== 'accept')
        outcome.wrongCodes.push({ name: test.name, expected: test.expect, got: 'accepted' });
    } else {
      outcome.codes[a.code] = (outcome.codes[a.code] ?? 0) + 1;
      const allowed = test.expect === undefined ? ALL_REFUSALS : test.expect === 'accept' ? [] : test.expect;
      if (!allowed.includes(a.code))
        outcome.wrongCodes.push({ name: test.name, expected: test.expect ?? 'any refusal', got: a.code, token: preview(test.token) });
    }
  }
  return outcome;
}

function expectAgreement(outcome: Outcome): void {
  expect(outcome.disagreements).toEqual([]);
  expect(outcome.wrongCodes).toEqual([]);
  expect(outcome.agreements).toBe(outcome.cases);
}

// --------------------------------------------------------------------------- vectors

describe('jose and verifyJws agree on every vector', () => {
  it('Wycheproof json_web_signature and json_web_key: all 427 cases', async () => {
    let total = 0;
    for (const file of ['wycheproof/json_web_signature_test.json', 'wycheproof/json_web_key_test.json']) {
      for (const test of wycheproofJwsCases(file)) {
        // Each case under its own group's keys, as both verifiers would be configured.
        const outcome = await compare(
          [
            {
              name: `${file}#${test.tcId}`,
              token: test.jws,
              expect: ['token_malformed', 'algorithm_not_allowed', 'type_mismatch', 'header_key_refused'],
            },
          ],
          caisseKeySet(test.jwks).keys,
          await referenceKeys(test.jwks),
        );
        expectAgreement(outcome);
        expect(outcome.accepted).toBe(0);
        total++;
      }
    }
    expect(total).toBe(427);
  });

  it('the JOSE cookbook: RFC 8037 A.4 and every RFC 7520 §4 serialization', async () => {
    const cases: { token: string; jwks: Jwk[] }[] = [];
    const rfc8037 = readVector<CookbookFile>('jose-cookbook/rfc8037-ed25519-jws.json');
    const { d: _d, ...ed25519 } = rfc8037.input.key as Jwk;
    cases.push({ token: rfc8037.output.compact as string, jwks: [{ ...ed25519, kid: 'rfc8037' }] });
    for (const file of RFC7520_FILES) {
      const example = readVector<CookbookFile>(file);
      const jwks = [example.input.key].flat() as Jwk[];
      if (example.output.compact !== undefined) cases.push({ token: example.output.compact, jwks });
      const json = example.output.json as { payload: string; signatures: { protected?: string; signature: string }[] };
      cases.push({ token: JSON.stringify(json), jwks });
      for (const signature of json.signatures)
        cases.push({ token: `${signature.protected ?? ''}.${json.payload}.${signature.signature}`, jwks });
    }
    for (const [index, test] of cases.entries()) {
      const outcome = await compare(
        [{ name: `cookbook ${index}`, token: test.token }],
        caisseKeySet(test.jwks).keys,
        await referenceKeys(test.jwks),
      );
      expectAgreement(outcome);
      expect(outcome.accepted).toBe(0);
    }
    expect(cases).toHaveLength(24);
  });

  it('Wycheproof Ed25519 and P-256 raw signatures: verifySignature decides as WebCrypto does with jose-imported keys', async () => {
    let total = 0;
    const disagreements: unknown[] = [];
    for (const [file, alg] of [
      ['wycheproof/ed25519_test.json', 'EdDSA'],
      ['wycheproof/ecdsa_secp256r1_sha256_p1363_test.json', 'ES256'],
    ] as const) {
      for (const group of readVector<WycheproofSignatureFile>(file).testGroups) {
        const { wx, wy } = group.publicKey;
        const coordinate = (hex: string) => Buffer.from(hex.padStart(64, '0').slice(-64), 'hex').toString('base64url');
        const jwk: Jwk =
          alg === 'EdDSA'
            ? (group.publicKeyJwk as Jwk)
            : { kty: 'EC', crv: 'P-256', x: coordinate(wx as string), y: coordinate(wy as string) };
        const { kid: _kid, ...material } = jwk;
        const cryptoKey = (await importJWK(material as Parameters<typeof importJWK>[0], alg)) as CryptoKey;
        const keyObject = createPublicKey({ key: material as never, format: 'jwk' });
        const algorithm = alg === 'EdDSA' ? { name: 'Ed25519' } : { name: 'ECDSA', hash: 'SHA-256' };
        for (const test of group.tests) {
          const message = Buffer.from(test.msg, 'hex');
          const signature = Buffer.from(test.sig, 'hex');
          const webcrypto = await crypto.subtle.verify(algorithm, cryptoKey, signature, message).catch(() => false);
          if (verifySignature(alg, keyObject, message.toString('latin1'), signature) !== webcrypto)
            disagreements.push({ file, tcId: test.tcId });
          total++;
        }
      }
    }
    expect(disagreements).toEqual([]);
    expect(total).toBe(151 + 262);
  });
});

// --------------------------------------------------------------------------- fuzzing

/** sfc32: a small seeded PRNG, so every run fuzzes the same tokens. */
function prng(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

/** Keys derived from fixed seeds, so the fuzzed tokens are the same on every run (ES256 nonces aside). */
function ed25519Key(seed: string, kid: string): { signingKey: SigningKey; publicJwk: Jwk; key: KeyObject } {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), createHash('sha256').update(seed).digest()]);
  const privateJwk = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' }) as Jwk;
  const { d: _d, ...publicJwk } = privateJwk;
  const signingKey = importSigningKey({ ...privateJwk, kid });
  return { signingKey, publicJwk: { ...publicJwk, kid }, key: signingKey.key };
}

function p256Key(seed: string, kid: string): { signingKey: SigningKey; publicJwk: Jwk; key: KeyObject } {
  const d = createHash('sha256').update(seed).digest();
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey();
  const publicJwk = {
    kty: 'EC',
    crv: 'P-256',
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33).toString('base64url'),
    kid,
  };
  const signingKey = importSigningKey({ ...publicJwk, d: d.toString('base64url') });
  return { signingKey, publicJwk, key: signingKey.key };
}

const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const ED25519_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;

const b64 = (data: string | Uint8Array) => Buffer.from(data as Uint8Array).toString('base64url');

function rawSign(alg: string, key: KeyObject, signingInput: string): Buffer {
  const data = Buffer.from(signingInput);
  return alg === 'ES256' ? sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }) : sign(null, data, key);
}

function bigToBytes(value: bigint, length: number, littleEndian = false): Buffer {
  const bytes = Buffer.from(
    value
      .toString(16)
      .padStart(length * 2, '0')
      .slice(-length * 2),
    'hex',
  );
  return littleEndian ? bytes.reverse() : bytes;
}

describe('jose and verifyJws agree on thousands of fuzzed tokens', () => {
  const ed = ed25519Key('caisse differential ed25519', 'srv-ed');
  const es = p256Key('caisse differential p-256', 'srv-es');
  /** Attacker keys that reuse the server's kids. */
  const attackers = {
    EdDSA: ed25519Key('caisse differential attacker', 'srv-ed'),
    ES256: p256Key('caisse differential attacker', 'srv-es'),
  } as const;
  const jwks = [ed.publicJwk, es.publicJwk];
  const ours = staticKeySet({ keys: jwks });
  const signers = { EdDSA: ed, ES256: es } as const;

  const PAYLOAD = {
    ver: 1,
    iss: 'https://pay.caisse.test',
    aud: 'bookshop',
    jti: 'r_0001',
    iat: 1795341600,
    exp: 1795341660,
    ticket: { jti: 't_0001', sha256: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg' },
    serial: 'order-42',
    amount: 1590,
    currency: 'EUR',
    status: 'authorised',
    items: [
      { id: 'book-1', quantity: 1 },
      { id: 'bookmark', quantity: 2 },
    ],
    state: 'c3RhdGUtb2YtdGhlLWJyb3dzZXItc2Vzc2lvbg',
  };

  /** A compact JWS over exactly these header and payload bytes, signed by `signer` with `alg`'s primitive. */
  function token(header: string | Uint8Array, payload: string | Uint8Array, signer: { key: KeyObject } | null, alg = 'EdDSA'): string {
    const signingInput = `${b64(header)}.${b64(payload)}`;
    return `${signingInput}.${signer ? b64(rawSign(alg, signer.key, signingInput)) : ''}`;
  }
  const headerOf = (alg: 'EdDSA' | 'ES256', extra: Record<string, unknown> = {}) =>
    JSON.stringify({ alg, typ: TOKEN_TYPES.voucher, kid: signers[alg].publicJwk.kid, ...extra });
  const good = (alg: 'EdDSA' | 'ES256', payload: unknown = PAYLOAD) => token(headerOf(alg), JSON.stringify(payload), signers[alg], alg);

  function generate(random: () => number): Case[] {
    const cases: Case[] = [];
    const int = (n: number) => Math.floor(random() * n);
    const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
    const ALGS = ['EdDSA', 'ES256'] as const;

    // --- Must be accepted by both: the base tokens and harmless variations, re-signed.
    for (const alg of ALGS) {
      const signer = signers[alg];
      const kid = signer.publicJwk.kid as string;
      const accept = (name: string, header: string, payload: string = JSON.stringify(PAYLOAD)) =>
        cases.push({ name: `${alg} ${name}`, token: token(header, payload, signer, alg), expect: 'accept' });
      accept('base', headerOf(alg));
      accept('members reordered', JSON.stringify({ kid, typ: TOKEN_TYPES.voucher, alg }));
      accept('white space', ` {\n\t"alg" : "${alg}" ,\r\n "typ":"${TOKEN_TYPES.voucher}", "kid":"${kid}" } `);
      accept(
        'escaped values',
        `{"alg":"${alg.replace('A', '\\u0041')}","typ":"caisse-voucher\\u002bjwt","kid":"${kid.replace('s', '\\u0073')}"}`,
      );
      accept('escaped names', `{"\\u0061lg":"${alg}","ty\\u0070":"${TOKEN_TYPES.voucher}","ki\\u0064":"${kid}"}`);
      accept('unknown header members', headerOf(alg, { cty: 'json', 'x-trace': [1, { a: null }], b64: false }));
      accept(
        'same names in different objects',
        headerOf(alg),
        JSON.stringify({ ...PAYLOAD, a: { amount: 1, b: { amount: 2 } }, amount: 3 }),
      );
      accept('ver as 1.0 and 1e0', headerOf(alg), JSON.stringify(PAYLOAD).replace('"ver":1', '"ver":1.0e0'));
      accept('deep nesting', headerOf(alg), JSON.stringify({ ...PAYLOAD, deep: JSON.parse(`${'['.repeat(3000)}${']'.repeat(3000)}`) }));
      accept('unicode in payload', headerOf(alg), JSON.stringify({ ...PAYLOAD, label: 'Le Petit Prince — 📚 \u2028' }));
      // The longest token under the size limit, and the next one up.
      const sized = (length: number) => good(alg, { ...PAYLOAD, pad: 'x'.repeat(length) });
      let pad = Math.floor(((LIMITS.tokenLength - sized(0).length) * 3) / 4) - 8;
      while (sized(pad + 1).length <= LIMITS.tokenLength) pad++;
      expect(sized(pad).length).toBeGreaterThanOrEqual(LIMITS.tokenLength - 2);
      cases.push({ name: `${alg} ${sized(pad).length} characters`, token: sized(pad), expect: 'accept' });
      cases.push({ name: `${alg} ${sized(pad + 1).length} characters`, token: sized(pad + 1), expect: ['token_too_large'] });
    }
    // High-S ECDSA: (r, n − s) is the other valid signature of the same message (JWS does not require low S).
    for (let n = 0; n < 20; n++) {
      const [head, body, sig] = good('ES256', { ...PAYLOAD, jti: `r_${n}` }).split('.') as [string, string, string];
      const raw = Buffer.from(sig, 'base64url');
      const s = BigInt(`0x${raw.subarray(32).toString('hex')}`);
      cases.push({
        name: 'ES256 high/low S twin',
        token: `${head}.${body}.${b64(Buffer.concat([raw.subarray(0, 32), bigToBytes(P256_ORDER - s, 32)]))}`,
        expect: 'accept',
      });
    }

    // --- Signatures that must fail.
    for (const alg of ALGS) {
      const [head, body, sig] = good(alg).split('.') as [string, string, string];
      const raw = Buffer.from(sig, 'base64url');
      const refuse = (name: string, signature: Uint8Array) =>
        cases.push({ name: `${alg} ${name}`, token: `${head}.${body}.${b64(signature)}`, expect: ['signature_invalid'] });
      refuse('empty signature', Buffer.alloc(0));
      refuse('63-byte signature', raw.subarray(0, 63));
      refuse('65-byte signature', Buffer.concat([raw, Buffer.alloc(1)]));
      refuse('128-byte signature', Buffer.concat([raw, raw]));
      refuse('all-zero signature', Buffer.alloc(64));
      refuse('all-ones signature', Buffer.alloc(64, 0xff));
      refuse(
        'signature of the other algorithm',
        Buffer.from(good(alg === 'EdDSA' ? 'ES256' : 'EdDSA').split('.')[2] as string, 'base64url'),
      );
      if (alg === 'ES256') {
        const r = raw.subarray(0, 32);
        const s = raw.subarray(32);
        for (const [name, value] of [
          ['r = 0', Buffer.concat([Buffer.alloc(32), s])],
          ['s = 0', Buffer.concat([r, Buffer.alloc(32)])],
          ['r = n', Buffer.concat([bigToBytes(P256_ORDER, 32), s])],
          ['s = n', Buffer.concat([r, bigToBytes(P256_ORDER, 32)])],
          ['s + n', Buffer.concat([r, bigToBytes(BigInt(`0x${s.toString('hex')}`) + P256_ORDER, 32)])],
          ['r and s swapped', Buffer.concat([s, r])],
        ] as const) {
          refuse(name, value);
        }
      } else {
        // S + L: the malleable twin RFC 8032 §5.1.7 requires verifiers to refuse (S must be below L).
        const s = BigInt(`0x${Buffer.from(raw.subarray(32)).reverse().toString('hex')}`);
        refuse('S + L', Buffer.concat([raw.subarray(0, 32), bigToBytes(s + ED25519_ORDER, 32, true)]));
      }
      refuse('attacker key reusing the kid', rawSign(alg, attackers[alg].key, `${head}.${body}`));
    }

    // --- alg swaps.
    for (const alg of ALGS) {
      const kid = signers[alg].publicJwk.kid as string;
      const payload = JSON.stringify(PAYLOAD);
      const swap = (
        name: string,
        header: string,
        signature: (signingInput: string) => Buffer | string,
        codes: readonly ErrorCode[] = ['algorithm_not_allowed'],
      ) => {
        const signingInput = `${b64(header)}.${b64(payload)}`;
        const sig = signature(signingInput);
        cases.push({ name: `${alg} key: ${name}`, token: `${signingInput}.${typeof sig === 'string' ? sig : b64(sig)}`, expect: codes });
      };
      for (const none of ['none', 'None', 'NONE', 'nOnE']) {
        swap(`alg ${none}, empty signature`, headerOf(alg, { alg: none }), () => '');
        swap(`alg ${none}, real signature`, headerOf(alg, { alg: none }), (input) => rawSign(alg, signers[alg].key, input));
      }
      const publicKey = createPublicKey({ key: signers[alg].publicJwk as never, format: 'jwk' });
      const secrets = {
        'raw public key bytes': Buffer.from(signers[alg].publicJwk.x as string, 'base64url'),
        'public JWK text': Buffer.from(JSON.stringify(signers[alg].publicJwk)),
        'SPKI PEM': Buffer.from(publicKey.export({ format: 'pem', type: 'spki' }) as string),
        'SPKI DER': publicKey.export({ format: 'der', type: 'spki' }),
      };
      for (const [what, secret] of Object.entries(secrets)) {
        for (const hs of ['HS256', 'HS384', 'HS512']) {
          const hash = `sha${hs.slice(2)}`;
          swap(`${hs} keyed with the ${what}`, headerOf(alg, { alg: hs }), (input) => createHmac(hash, secret).update(input).digest());
        }
      }
      const other = alg === 'EdDSA' ? 'ES256' : 'EdDSA';
      swap(`${other} header, signed by the ${alg} key`, headerOf(alg, { alg: other }), (input) => rawSign(alg, signers[alg].key, input));
      swap(`${other} header, signed by the ${other} key`, headerOf(alg, { alg: other }), (input) =>
        rawSign(other, signers[other].key, input),
      );
      for (const value of [
        'Ed25519',
        'ES256K',
        'RS256',
        'PS256',
        'ES384',
        'ES512',
        'eddsa',
        'EDDSA',
        'es256',
        `${alg} `,
        ` ${alg}`,
        '',
        null,
        1,
        [alg],
        {},
      ]) {
        swap(`alg ${JSON.stringify(value)}`, headerOf(alg, { alg: value }), (input) => rawSign(alg, signers[alg].key, input));
      }
      swap('no alg', JSON.stringify({ typ: TOKEN_TYPES.voucher, kid }), (input) => rawSign(alg, signers[alg].key, input));
    }

    // --- typ, kid and key-bearing headers, each re-signed by the right key so only that rule decides.
    for (const alg of ALGS) {
      const signer = signers[alg];
      const variant = (name: string, header: Record<string, unknown>, codes: readonly ErrorCode[], key: { key: KeyObject } = signer) =>
        cases.push({ name: `${alg} ${name}`, token: token(JSON.stringify(header), JSON.stringify(PAYLOAD), key, alg), expect: codes });
      const base = { alg, typ: TOKEN_TYPES.voucher, kid: signer.publicJwk.kid };
      for (const typ of [
        ...Object.values(TOKEN_TYPES).filter((t) => t !== TOKEN_TYPES.voucher),
        'JWT',
        'jwt',
        'CAISSE-VOUCHER+JWT',
        'application/caisse-voucher+jwt',
        'caisse-voucher+jwt ',
        '',
        null,
        1,
        [TOKEN_TYPES.voucher],
      ]) {
        variant(`typ ${JSON.stringify(typ)}`, { ...base, typ }, ['type_mismatch']);
      }
      variant('no typ', { alg, kid: signer.publicJwk.kid }, ['type_mismatch']);
      const kids: unknown[] = [
        'nobody',
        'constructor',
        'toString',
        'hasOwnProperty',
        'valueOf',
        'SRV-ED',
        'srv-ed.',
        '__proto__',
        'prototype',
        '../../etc/passwd',
        "k' OR '1'='1",
        'k"; DROP TABLE keys; --',
        'a\nb',
        'a\u0000b',
        '',
        ' ',
        'k'.repeat(65),
        'k'.repeat(10_000),
        'é',
        1,
        0,
        {},
        [],
        null,
        true,
        ['srv-ed'],
      ];
      for (const kid of kids)
        variant(`kid ${preview(JSON.stringify(kid)).slice(0, 40)}`, { ...base, kid }, ['token_malformed', 'key_unknown']);
      variant('no kid', { alg, typ: TOKEN_TYPES.voucher }, ['token_malformed']);
      variant(`kid of the other key`, { ...base, kid: signers[alg === 'EdDSA' ? 'ES256' : 'EdDSA'].publicJwk.kid }, [
        'algorithm_not_allowed',
      ]);
      variant('self-signed jwk header', { ...base, jwk: attackers[alg].publicJwk }, ['header_key_refused'], attackers[alg]);
      variant('jwk header of the real key', { ...base, jwk: signer.publicJwk }, ['header_key_refused']);
      for (const name of ['jku', 'x5u'])
        variant(`${name} header`, { ...base, [name]: 'https://evil.example/keys' }, ['header_key_refused']);
      variant('x5c header', { ...base, x5c: ['MIIBszCCAVmgAwIBAgIU'] }, ['header_key_refused']);
      variant('x5t header', { ...base, x5t: 'dGh1bWI' }, ['header_key_refused']);
      variant('x5t#S256 header', { ...base, 'x5t#S256': 'dGh1bWI' }, ['header_key_refused']);
      for (const crit of [['exp'], [], ['b64'], 'b64', null])
        variant(`crit ${JSON.stringify(crit)}`, { ...base, crit, b64: false }, ['header_unsupported']);
    }

    // --- Duplicate members, re-signed: only the duplicate rule can refuse them.
    for (const alg of ALGS) {
      const signer = signers[alg];
      const kid = signer.publicJwk.kid as string;
      const body = JSON.stringify(PAYLOAD);
      const header = headerOf(alg);
      const dup = (name: string, h: string, p: string) =>
        cases.push({ name: `${alg} ${name}`, token: token(h, p, signer, alg), expect: ['duplicate_member'] });
      dup('alg twice, none last', `{"alg":"${alg}","typ":"${TOKEN_TYPES.voucher}","kid":"${kid}","alg":"none"}`, body);
      dup('alg twice, allowed last', `{"alg":"none","typ":"${TOKEN_TYPES.voucher}","kid":"${kid}","alg":"${alg}"}`, body);
      dup('alg twice, same value', `{"alg":"${alg}","alg":"${alg}","typ":"${TOKEN_TYPES.voucher}","kid":"${kid}"}`, body);
      dup('alg and escaped \\u0061lg', `{"alg":"${alg}","\\u0061lg":"${alg}","typ":"${TOKEN_TYPES.voucher}","kid":"${kid}"}`, body);
      dup('kid twice', `{"alg":"${alg}","typ":"${TOKEN_TYPES.voucher}","kid":"nobody","kid":"${kid}"}`, body);
      dup('typ twice', `{"alg":"${alg}","typ":"${TOKEN_TYPES.ticket}","kid":"${kid}","typ":"${TOKEN_TYPES.voucher}"}`, body);
      dup('amount twice', header, body.replace('"amount":1590', '"amount":1,"amount":1590'));
      dup('amount and escaped am\\u006fun\\u0074', header, body.replace('"amount":1590', '"amount":1590,"am\\u006fun\\u0074":1'));
      dup('ver twice', header, body.replace('"ver":1', '"ver":1,"ver":1'));
      dup('jti twice inside ticket', header, body.replace('"ticket":{"jti":"t_0001"', '"ticket":{"jti":"t_0001","jti":"t_0002"'));
      dup('id twice inside an item', header, body.replace('{"id":"bookmark"', '{"id":"bookmark","id":"x"'));
      dup('a name with an escaped quote twice', header, body.replace('{"ver":1', '{"a\\"b":1,"a\\u0022b":2,"ver":1'));
      dup('an empty name twice', header, body.replace('{"ver":1', '{"":1,"":2,"ver":1'));
    }

    // --- Base64url that is not canonical, padded or from the wrong alphabet.
    const flipUnusedBits = (part: string) => {
      const index = ALPHABET.indexOf(part.charAt(part.length - 1));
      const mask = part.length % 4 === 2 ? 0x0f : part.length % 4 === 3 ? 0x03 : 0;
      return mask === 0 ? undefined : `${part.slice(0, -1)}${ALPHABET.charAt(index ^ (1 + int(mask)))}`;
    };
    for (let n = 0; n < 60; n++) {
      const alg = pick(ALGS);
      const payload = JSON.stringify({ ...PAYLOAD, jti: `r_${'x'.repeat(n % 3)}${n}` });
      const header = `${headerOf(alg).slice(0, -1)}${' '.repeat(n % 3)}}`;
      const parts = [b64(header), b64(payload)];
      const which = n % 3;
      const signature = b64(rawSign(alg, signers[alg].key, parts.join('.')));
      const all = [...parts, signature];
      const changed = flipUnusedBits(all[which] as string);
      if (changed === undefined) continue;
      all[which] = changed;
      if (which < 2) {
        // Re-signed over the non-canonical text, so the signature holds and only the encoding rule refuses.
        all[2] = b64(rawSign(alg, signers[alg].key, `${all[0]}.${all[1]}`));
      }
      cases.push({ name: `${alg} non-canonical part ${which}`, token: all.join('.'), expect: ['token_malformed'] });
    }
    for (const alg of ALGS) {
      const [head, body, sig] = good(alg).split('.') as [string, string, string];
      const std = (part: string) => part.replace(/-/g, '+').replace(/_/g, '/');
      const malformed = (name: string, value: string) => cases.push({ name: `${alg} ${name}`, token: value, expect: ['token_malformed'] });
      for (const pad of ['=', '==', '%3D']) {
        malformed(`header padded ${pad}`, `${head}${pad}.${body}.${sig}`);
        malformed(`payload padded ${pad}`, `${head}.${body}${pad}.${sig}`);
        malformed(`signature padded ${pad}`, `${head}.${body}.${sig}${pad}`);
      }
      // An ES256 signature is random: one without '-' or '_' (and such a header and payload) reads the same in both alphabets.
      const standard = `${std(head)}.${std(body)}.${std(sig)}`;
      if (standard !== `${head}.${body}.${sig}`) malformed('standard alphabet in every part', standard);
      malformed('space in the signature', `${head}.${body}.${sig.slice(0, 10)} ${sig.slice(10)}`);
      malformed('newline before the signature', `${head}.${body}.\n${sig}`);
      malformed('leading space', ` ${head}.${body}.${sig}`);
      malformed('trailing newline', `${head}.${body}.${sig}\n`);
      malformed('four parts', `${head}.${body}.${sig}.`);
      malformed('two parts', `${head}.${body}`);
      malformed('empty header', `.${body}.${sig}`);
      malformed('JWS JSON serialization', JSON.stringify({ protected: head, payload: body, signature: sig }));
    }

    // --- Sizes.
    for (const alg of ALGS) {
      const [head, body, sig] = good(alg).split('.') as [string, string, string];
      cases.push({ name: `${alg} 1 MB token`, token: `${head}.${body}${'A'.repeat(1 << 20)}.${sig}`, expect: ['token_too_large'] });
      cases.push({ name: `${alg} 1 MB of dots`, token: '.'.repeat(1 << 20), expect: ['token_too_large'] });
      const long = good(alg, { ...PAYLOAD, pad: 'x'.repeat(13_000) });
      cases.push({ name: `${alg} ${long.length}-character token`, token: long, expect: ['token_too_large'] });
    }
    for (const value of [undefined, null, 42, {}, [], new String('a.b.c'), Buffer.from(good('EdDSA'))]) {
      cases.push({ name: `not a string: ${Object.prototype.toString.call(value)}`, token: value, expect: ['token_malformed'] });
    }

    // --- Not UTF-8, or not a JSON object, in header or payload (re-signed).
    const header = (alg: 'EdDSA' | 'ES256') => Buffer.from(headerOf(alg));
    const body = Buffer.from(JSON.stringify(PAYLOAD));
    const BAD_UTF8 = {
      'byte ff': [0xff],
      'overlong quote': [0xc0, 0xa2],
      'CESU-8 surrogate': [0xed, 0xa0, 0x80],
      'truncated sequence': [0xe2, 0x82],
      'latin-1 é': [0xe9],
      'code point above U+10FFFF': [0xf4, 0x90, 0x80, 0x80],
    };
    for (const alg of ALGS) {
      const signer = signers[alg];
      for (const [name, bytes] of Object.entries(BAD_UTF8)) {
        // Inside a string value, where a lenient decoder would still produce JSON.
        const inHeader = Buffer.concat([header(alg).subarray(0, -1), Buffer.from(',"x":"'), Buffer.from(bytes), Buffer.from('"}')]);
        const inPayload = Buffer.concat([body.subarray(0, -1), Buffer.from(',"x":"'), Buffer.from(bytes), Buffer.from('"}')]);
        cases.push({ name: `${alg} header: ${name}`, token: token(inHeader, body, signer, alg), expect: ['token_malformed'] });
        cases.push({ name: `${alg} payload: ${name}`, token: token(header(alg), inPayload, signer, alg), expect: ['token_malformed'] });
      }
      const bom = Buffer.from([0xef, 0xbb, 0xbf]);
      cases.push({
        name: `${alg} header with a BOM`,
        token: token(Buffer.concat([bom, header(alg)]), body, signer, alg),
        expect: ['token_malformed'],
      });
      cases.push({
        name: `${alg} payload with a BOM`,
        token: token(header(alg), Buffer.concat([bom, body]), signer, alg),
        expect: ['token_malformed'],
      });
      const h = headerOf(alg);
      for (const [name, text] of [
        ['array', `[${h}]`],
        ['string', JSON.stringify(h)],
        ['number', '1'],
        ['null', 'null'],
        ['true', 'true'],
        ['trailing garbage', `${h}x`],
        ['two objects', `${h}${h}`],
        ['trailing comma', `${h.slice(0, -1)},}`],
        ['single quotes', h.replace(/"/g, "'")],
        ['comment', `/*c*/${h}`],
        ['NaN member', `${h.slice(0, -1)},"n":NaN}`],
        ['unquoted name', h.replace('"alg"', 'alg')],
        ['leading zero', `${h.slice(0, -1)},"n":01}`],
        ['raw tab in a string', `${h.slice(0, -1)},"n":"a\tb"}`],
        ['bad escape', `${h.slice(0, -1)},"n":"\\x41"}`],
        ['empty', ''],
      ] as const) {
        cases.push({ name: `${alg} header ${name}`, token: token(text, body, signer, alg), expect: ['token_malformed'] });
        const payloadText =
          name === 'array' || name === 'string'
            ? text.replace(h, JSON.stringify(PAYLOAD))
            : text.replace(h, JSON.stringify(PAYLOAD)).replace(h, '{}');
        cases.push({ name: `${alg} payload ${name}`, token: token(h, payloadText, signer, alg), expect: ['token_malformed'] });
      }
      cases.push({ name: `${alg} header {}`, token: token('{}', body, signer, alg), expect: ['algorithm_not_allowed'] });
      for (const [name, ver] of [
        ['ver 2', 2],
        ['ver "1"', '1'],
        ['ver null', null],
        ['ver 1.5', 1.5],
        ['ver -1', -1],
        ['ver [1]', [1]],
      ] as const) {
        cases.push({ name: `${alg} ${name}`, token: good(alg, { ...PAYLOAD, ver }), expect: ['version_unsupported'] });
      }
      const { ver: _ver, ...noVersion } = PAYLOAD;
      cases.push({ name: `${alg} no ver`, token: good(alg, noVersion), expect: ['version_unsupported'] });
      cases.push({ name: `${alg} payload {}`, token: good(alg, {}), expect: ['version_unsupported'] });
    }

    // --- Random mutations of valid tokens (not re-signed): bit flips, truncation, inserted and removed characters.
    const INSERTS = [...ALPHABET, '.', '=', ' ', '+', '/', '\n', '\u0000', 'é', '\u2028', '%', '"'];
    for (let n = 0; n < 3000; n++) {
      const alg = pick(ALGS);
      const original = good(alg, n % 7 === 0 ? { ...PAYLOAD, jti: `r_${n}` } : PAYLOAD);
      const parts = original.split('.') as [string, string, string];
      const op = n % 5;
      let mutated: string;
      let name: string;
      if (op === 0) {
        // One bit of the decoded bytes of one part.
        const which = int(3);
        const bytes = Buffer.from(parts[which] as string, 'base64url');
        const bit = int(bytes.length * 8);
        bytes[bit >> 3] = (bytes[bit >> 3] as number) ^ (1 << (bit & 7));
        parts[which] = b64(bytes);
        mutated = parts.join('.');
        name = `bit ${bit} of part ${which}`;
      } else if (op === 1) {
        // One bit of one character of the token text.
        const at = int(original.length);
        mutated = `${original.slice(0, at)}${String.fromCharCode(original.charCodeAt(at) ^ (1 << int(7)))}${original.slice(at + 1)}`;
        name = `text bit at ${at}`;
      } else if (op === 2) {
        const at = int(original.length);
        mutated = original.slice(0, at);
        name = `truncated to ${at}`;
      } else if (op === 3) {
        const at = int(original.length + 1);
        mutated = `${original.slice(0, at)}${pick(INSERTS)}${original.slice(at)}`;
        name = `character inserted at ${at}`;
      } else {
        const at = int(original.length);
        mutated = `${original.slice(0, at)}${original.slice(at + 1 + int(3))}`;
        name = `characters removed at ${at}`;
      }
      cases.push({ name: `${alg} ${name}`, token: mutated });
    }

    // --- Random edits of the header or payload JSON text, re-signed: only the parsing rules decide.
    const JSON_CHARS = '{}[]":,\\ \t\n0123456789.-+eEu abcdefklnprstyADS';
    for (let n = 0; n < 4000; n++) {
      const alg = pick(ALGS);
      const inHeader = n % 2 === 0;
      let text = inHeader ? headerOf(alg) : JSON.stringify(PAYLOAD);
      const edits = 1 + int(3);
      for (let e = 0; e < edits; e++) {
        const at = int(text.length + 1);
        const op = int(6);
        if (op === 0) text = `${text.slice(0, at)}${pick([...JSON_CHARS])}${text.slice(at)}`;
        else if (op === 1) text = `${text.slice(0, at)}${text.slice(at + 1)}`;
        else if (op === 2) text = `${text.slice(0, at)}${pick([...JSON_CHARS])}${text.slice(at + 1)}`;
        else if (op === 3) {
          // Copy one member next to itself: a duplicate name, or nonsense if the cut is off.
          const members = [...text.matchAll(/"[^"]*":("[^"]*"|[0-9]+|\{[^{}]*\})/g)];
          const member = members.length > 0 ? pick(members) : undefined;
          if (member) text = `${text.slice(0, member.index + member[0].length)},${member[0]}${text.slice(member.index + member[0].length)}`;
        } else if (op === 4) {
          // Spell one letter of a name or value as a \u escape.
          const letters = [...text.matchAll(/[a-z]/g)];
          const letter = letters.length > 0 ? pick(letters) : undefined;
          if (letter) text = `${text.slice(0, letter.index)}\\u00${letter[0].charCodeAt(0).toString(16)}${text.slice(letter.index + 1)}`;
        } else {
          text = `${text.slice(0, at)}${pick(['"alg":"none",', '"jwk":{},', '"crit":[],', '"typ":"JWT",', '"kid":1,', '"ver":2,', '"x":"\\ud800",', '"a":[{"b":1,"b":2}],'])}${text.slice(at)}`;
        }
      }
      cases.push({
        name: `${alg} edited ${inHeader ? 'header' : 'payload'} ${preview(text).slice(0, 80)}`,
        token: inHeader ? token(text, JSON.stringify(PAYLOAD), signers[alg], alg) : token(headerOf(alg), text, signers[alg], alg),
      });
    }

    // --- Random garbage: three random base64url parts, random JSON-ish headers signed by a real key.
    for (let n = 0; n < 500; n++) {
      const part = () => Array.from({ length: int(40) }, () => ALPHABET.charAt(int(64))).join('');
      cases.push({ name: `random parts ${n}`, token: `${part()}.${part()}.${part()}` });
      const bytes = Buffer.from(Array.from({ length: 1 + int(24) }, () => int(256)));
      cases.push({ name: `random header bytes ${n}`, token: token(bytes, JSON.stringify(PAYLOAD), ed, 'EdDSA') });
    }
    return cases;
  }

  it('every fuzzed token gets the same decision from both, and our code is one of those expected', async () => {
    const cases = generate(prng(20261122));
    const reference = await referenceKeys(jwks);
    const outcome = await compare(cases, ours, reference);
    expectAgreement(outcome);
    expect(outcome.cases).toBe(cases.length);
    expect(cases.length).toBeGreaterThanOrEqual(8000);
    // The fuzz must reach the accept side and every refusal stage, or it proves little.
    expect(outcome.accepted).toBeGreaterThanOrEqual(500);
    for (const code of ALL_REFUSALS) expect(outcome.codes[code] ?? 0, code).toBeGreaterThan(0);
    // Thousands of signatures checked twice: minutes when every package's tests share two cores.
  }, 180_000);
});
