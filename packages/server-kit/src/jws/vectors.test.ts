import { constants, createHmac, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { type Algorithm, type ErrorCode, isCaisseError, TOKEN_TYPES } from '@caisse/protocol';
import { describe, expect, it } from 'vitest';
import { importPublicJwk, importPublicJwks, importSigningKey } from '../keys/import.js';
import {
  type CookbookFile,
  caisseKeySet,
  headerOf,
  type Jwk,
  RFC7520_FILES,
  readVector,
  type VectorResult,
  type WycheproofJwsCase,
  type WycheproofSignatureFile,
  wycheproofJwsCases,
} from './__fixtures__/vectors.js';
import { decodePart } from './decode.js';
import { createSignature, verifySignature } from './signature.js';
import { verifyJws } from './verify.js';

/**
 * Conformance against vectors no one here wrote (`../shared/vectors`, see its README).
 * Every decision must match the vector; where Caisse is deliberately narrower than a
 * general JOSE library the mapping below says so, case by case, and the test asserts it.
 */

const EXPECTED_TYPES = [TOKEN_TYPES.voucher];

async function pipelineCode(token: unknown, keys: ReturnType<typeof caisseKeySet>['keys']): Promise<ErrorCode | 'accepted'> {
  try {
    await verifyJws(token, EXPECTED_TYPES, keys);
    return 'accepted';
  } catch (error) {
    if (isCaisseError(error)) return error.code;
    throw error;
  }
}

/** Counts of each result, so that a vector file that shrank or changed fails loudly. */
function resultCounts(results: readonly VectorResult[]): Record<VectorResult, number> {
  const counts: Record<VectorResult, number> = { valid: 0, invalid: 0, acceptable: 0 };
  for (const result of results) counts[result]++;
  return counts;
}

/**
 * Wycheproof `acceptable` cases: a decision either way conforms, so we write ours down
 * here and the test holds us to it. The current files hold none; a new one fails until
 * someone decides it and adds it to this list.
 */
const ACCEPTABLE_DECISIONS: Record<string, boolean> = {};

// ---------------------------------------------------------------------------------------
// Raw signatures: Wycheproof Ed25519 and P-256 (IEEE P1363, the r‖s encoding ES256 uses).
// ---------------------------------------------------------------------------------------

/** A P-256 coordinate from Wycheproof's hex (which may carry a leading 00 sign byte) as 32 bytes base64url. */
function coordinate(hex: string): string {
  return Buffer.from(hex.padStart(64, '0').slice(-64), 'hex').toString('base64url');
}

const RAW_FILES = [
  { file: 'wycheproof/ed25519_test.json', alg: 'EdDSA', total: 151, counts: { valid: 88, invalid: 63, acceptable: 0 } },
  {
    file: 'wycheproof/ecdsa_secp256r1_sha256_p1363_test.json',
    alg: 'ES256',
    total: 262,
    counts: { valid: 173, invalid: 89, acceptable: 0 },
  },
] as const;

describe.each(RAW_FILES)('$file through verifySignature', ({ file, alg, total, counts }) => {
  const data = readVector<WycheproofSignatureFile>(file);
  const cases = data.testGroups.flatMap((group) => group.tests);

  it(`holds the ${total} cases it announces`, () => {
    expect(data.numberOfTests).toBe(total);
    expect(cases).toHaveLength(total);
    expect(resultCounts(cases.map((test) => test.result))).toEqual(counts);
  });

  it('decides every case as the vector does', () => {
    const mismatches: unknown[] = [];
    let ran = 0;
    data.testGroups.forEach((group, index) => {
      let jwk: Jwk;
      if (alg === 'ES256') {
        // Nine groups carry no JWK (only wx/wy); for the others the derived JWK must equal the given one.
        const { wx, wy } = group.publicKey as { wx: string; wy: string };
        jwk = { kty: 'EC', crv: 'P-256', x: coordinate(wx), y: coordinate(wy) };
        if (group.publicKeyJwk) expect({ x: group.publicKeyJwk.x, y: group.publicKeyJwk.y }).toEqual({ x: jwk.x, y: jwk.y });
      } else {
        jwk = group.publicKeyJwk as Jwk;
      }
      const key = importPublicJwk({ ...jwk, kid: `wycheproof-${alg}-${index}` });
      expect(key.alg).toBe(alg);
      for (const test of group.tests) {
        const message = Buffer.from(test.msg, 'hex').toString('latin1');
        const accepted = verifySignature(alg, key.key, message, Buffer.from(test.sig, 'hex'));
        ran++;
        if (test.result === 'acceptable') {
          const decided = ACCEPTABLE_DECISIONS[`${file}#${test.tcId}`];
          const again = verifySignature(alg, key.key, message, Buffer.from(test.sig, 'hex'));
          if (decided === undefined || decided !== accepted || again !== accepted)
            mismatches.push({ tcId: test.tcId, acceptable: accepted });
        } else if (accepted !== (test.result === 'valid')) {
          mismatches.push({ tcId: test.tcId, result: test.result, accepted, comment: test.comment, flags: test.flags });
        }
      }
    });
    expect(mismatches).toEqual([]);
    expect(ran).toBe(total);
  });
});

// ---------------------------------------------------------------------------------------
// JWS and JWK cases: Wycheproof json_web_signature_test.json and json_web_key_test.json.
// ---------------------------------------------------------------------------------------

/** Parses "1-3, 5, 9-12" into tcIds. */
function ids(ranges: string): number[] {
  return ranges.split(',').flatMap((range) => {
    const [from, to = from] = range.trim().split('-').map(Number) as [number, number?];
    return Array.from({ length: (to as number) - from + 1 }, (_, i) => from + i);
  });
}

/**
 * The Caisse decision for every Wycheproof JWS/JWK case, fed to `verifyJws` with the
 * group's keys (imported one by one with `importPublicJwk`) and `typ` expected to be
 * `caisse-voucher+jwt`. Every case is refused; the code says why.
 *
 * | vector says | what the token is | Caisse | code |
 * |---|---|---|---|
 * | valid | HS256/384/512, RS256/384/512, PS256/384/512, ES512 | refused: only EdDSA and ES256 are allowed | `algorithm_not_allowed` |
 * | valid | ES256 with the right key but no `typ` (18, 378) | refused by the pipeline: Caisse requires explicit typing (RFC 8725 §3.11); the signature layer accepts it | `type_mismatch` |
 * | valid | HS256 with a `?` inside a part (372, 373): "valid" for decoders that skip foreign characters | refused: a part must be strict base64url, checked before the header is read | `token_malformed` |
 * | invalid | not three strict base64url parts, or an empty header | refused | `token_malformed` |
 * | invalid | `alg` none/NONE or any algorithm but EdDSA/ES256, whatever else is wrong | refused | `algorithm_not_allowed` |
 * | invalid | ES256 header carrying its own `jwk` (32) | refused | `header_key_refused` |
 * | invalid | ES256 without `typ`: modified signature/payload/header, r or s out of range, long signatures | refused; the signature layer refuses each too | `type_mismatch` |
 * | invalid | ES256 under a key with `use: enc` or `key_ops: [encrypt]`, or a key with a wrong alg/curve/kty/point | refused: the key set does not import | `keys_invalid` at import, `type_mismatch` in the pipeline |
 *
 * Symmetric and RSA keys never import into a Caisse key set (`keys_invalid`); the pipeline
 * refuses those tokens on `alg` before any key is looked up.
 */
const EXPECTED_CODES: Record<string, Partial<Record<ErrorCode, string>>> = {
  'wycheproof/json_web_signature_test.json': {
    token_malformed: '4, 7, 9-15, 17, 21, 24, 26-30, 36, 39, 41-45, 360-366, 368, 369, 371-373',
    header_key_refused: '32',
    type_mismatch: '18-20, 22, 23, 25, 354, 356, 378-401',
    algorithm_not_allowed: '1-3, 5, 6, 8, 16, 31, 33-35, 37, 38, 40, 46-353, 355, 357-359, 367, 370, 374-377',
  },
  'wycheproof/json_web_key_test.json': {
    algorithm_not_allowed: '1-18, 25, 26',
    type_mismatch: '19-24',
  },
};

/** Cases whose group key Caisse refuses to import, and so could never verify with. */
const KEY_REFUSED: Record<string, string> = {
  'wycheproof/json_web_signature_test.json': '354, 356',
  'wycheproof/json_web_key_test.json': '19-24',
};

function expectedCode(file: string, tcId: number): ErrorCode | undefined {
  const table = EXPECTED_CODES[file] ?? {};
  return (Object.keys(table) as ErrorCode[]).find((code) => ids(table[code] as string).includes(tcId));
}

/**
 * The signature layer on its own, for ES256/EdDSA vectors that lack the `typ` and `kid`
 * Caisse requires: three parts, strict base64url, and `verifySignature` with the group's
 * key (whatever `kid` the token names).
 */
function signatureLayerAccepts(jws: unknown, alg: Algorithm, key: KeyObject): boolean {
  if (typeof jws !== 'string') return false;
  const parts = jws.split('.');
  if (parts.length !== 3) return false;
  try {
    for (const [index, part] of parts.entries()) decodePart(part, `part ${index}`);
    return verifySignature(alg, key, `${parts[0]}.${parts[1]}`, decodePart(parts[2] as string, 'signature'));
  } catch {
    return false;
  }
}

const JWS_FILES = [
  {
    file: 'wycheproof/json_web_signature_test.json',
    total: 401,
    counts: { valid: 46, invalid: 355, acceptable: 0 },
    signatureLayerCases: 33,
  },
  { file: 'wycheproof/json_web_key_test.json', total: 26, counts: { valid: 5, invalid: 21, acceptable: 0 }, signatureLayerCases: 0 },
] as const;

describe.each(JWS_FILES)('$file through verifyJws', ({ file, total, counts, signatureLayerCases }) => {
  const cases: WycheproofJwsCase[] = wycheproofJwsCases(file);

  it(`holds the ${total} cases it announces, each with one expected code`, () => {
    expect(readVector<{ numberOfTests: number }>(file).numberOfTests).toBe(total);
    expect(cases).toHaveLength(total);
    expect(resultCounts(cases.map((test) => test.result))).toEqual(counts);
    const unmapped = cases.filter((test) => expectedCode(file, test.tcId) === undefined).map((test) => test.tcId);
    expect(unmapped).toEqual([]);
    const all = Object.values(EXPECTED_CODES[file] ?? {}).flatMap((ranges) => ids(ranges as string));
    expect(all).toHaveLength(new Set(all).size);
    expect(all).toHaveLength(total);
  });

  it('refuses every case with the mapped code, and every valid one for a stated reason', async () => {
    const mismatches: unknown[] = [];
    for (const test of cases) {
      const { keys } = caisseKeySet(test.jwks);
      const code = await pipelineCode(test.jws, keys);
      const expected = expectedCode(file, test.tcId);
      if (code !== expected) mismatches.push({ tcId: test.tcId, comment: test.comment, expected, code });
      const alg = headerOf(test.jws)?.alg;
      if (test.result === 'valid' && alg !== 'ES256' && alg !== 'EdDSA' && ![372, 373].includes(test.tcId)) {
        // A signature the vector calls valid, under an algorithm Caisse does not allow.
        if (code !== 'algorithm_not_allowed') mismatches.push({ tcId: test.tcId, rule: 'valid but not EdDSA/ES256', code });
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('refuses the keys the vectors mark unusable when the whole key set is imported: keys_invalid', () => {
    const refused = ids(KEY_REFUSED[file] as string);
    for (const test of cases.filter((candidate) => refused.includes(candidate.tcId))) {
      expect(test.result).toBe('invalid');
      expect(() => importPublicJwks({ keys: test.jwks }), `tcId ${test.tcId}`).toThrow(expect.objectContaining({ code: 'keys_invalid' }));
      expect(caisseKeySet(test.jwks).imported).toEqual([]);
    }
  });

  it('at the signature layer, decides every ES256/EdDSA case with a usable key as the vector does', () => {
    const mismatches: unknown[] = [];
    let ran = 0;
    for (const test of cases) {
      const alg = headerOf(test.jws)?.alg;
      if (alg !== 'ES256' && alg !== 'EdDSA') continue;
      const key = caisseKeySet(test.jwks).imported.find((candidate) => candidate.alg === alg);
      if (key === undefined) continue;
      ran++;
      if (signatureLayerAccepts(test.jws, alg, key.key) !== (test.result === 'valid')) {
        mismatches.push({ tcId: test.tcId, comment: test.comment, result: test.result });
      }
    }
    expect(mismatches).toEqual([]);
    expect(ran).toBe(signatureLayerCases);
  });
});

// ---------------------------------------------------------------------------------------
// JOSE cookbook: RFC 8037 A.4 (Ed25519) and RFC 7520 §4 (RS256, PS384, ES512, HS256).
// ---------------------------------------------------------------------------------------

describe('RFC 8037 A.4 Ed25519 example', () => {
  const example = readVector<CookbookFile>('jose-cookbook/rfc8037-ed25519-jws.json');
  const signing = example.signing as { 'sig-input': string; sig: string };
  const key = example.input.key as Jwk;
  const { d: _private, ...publicJwk } = key;

  it('signing with the given private key reproduces the exact signature (Ed25519 is deterministic)', () => {
    const signingKey = importSigningKey({ ...key, kid: 'rfc8037' });
    expect(createSignature('EdDSA', signingKey.key, signing['sig-input']).toString('base64url')).toBe(signing.sig);
    expect(example.output.compact).toBe(`${signing['sig-input']}.${signing.sig}`);
  });

  it('the compact form verifies at the signature layer, and fails with any signature bit flipped', () => {
    const verificationKey = importPublicJwk({ ...publicJwk, kid: 'rfc8037' });
    expect(signatureLayerAccepts(example.output.compact, 'EdDSA', verificationKey.key)).toBe(true);
    const signature = Buffer.from(signing.sig, 'base64url');
    for (let bit = 0; bit < signature.length * 8; bit += 37) {
      const flipped = Buffer.from(signature);
      flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
      expect(verifySignature('EdDSA', verificationKey.key, signing['sig-input'], flipped)).toBe(false);
    }
  });

  it('the full pipeline refuses it only because its header has no typ: type_mismatch', async () => {
    const { keys } = caisseKeySet([{ ...publicJwk, kid: 'rfc8037' }]);
    expect(await pipelineCode(example.output.compact, keys)).toBe('type_mismatch');
  });
});

/** The genuine signature check each RFC 7520 example would pass in a general library: proof that our refusal is policy, not a broken vector. */
function rawCookbookCheck(alg: string, jwk: Jwk, signingInput: string, signature: string): boolean {
  const data = Buffer.from(signingInput);
  const sig = Buffer.from(signature, 'base64url');
  if (alg === 'HS256')
    return createHmac('sha256', Buffer.from(jwk.k as string, 'base64url'))
      .update(data)
      .digest()
      .equals(sig);
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...material } = jwk;
  const key = createPublicKey({ key: material as never, format: 'jwk' });
  if (alg === 'RS256') return verify('sha256', data, key, sig);
  if (alg === 'PS384') return verify('sha384', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }, sig);
  if (alg === 'ES512') return verify('sha512', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
  throw new Error(`no raw check for ${alg}`);
}

describe('RFC 7520 §4 examples', () => {
  const examples = RFC7520_FILES.map((file) => ({ file, example: readVector<CookbookFile>(file) }));

  it('are all present', () => {
    expect(examples).toHaveLength(8);
  });

  it.each(examples.filter(({ example }) => example.output.compact !== undefined))(
    '$file: the compact form is refused with algorithm_not_allowed, though its signature is genuine',
    async ({ example }) => {
      const compact = example.output.compact as string;
      const { keys } = caisseKeySet([example.input.key as Jwk]);
      expect(await pipelineCode(compact, keys)).toBe('algorithm_not_allowed');
      // The recorded signing input also covers the payload that detached content (4.5) leaves out of the compact form.
      const signing = example.signing as { 'sig-input': string; sig: string };
      expect(rawCookbookCheck(example.input.alg as string, example.input.key as Jwk, signing['sig-input'], signing.sig)).toBe(true);
    },
  );

  it.each(examples.filter(({ example }) => example.output.compact === undefined))(
    '$file: a JSON serialization is malformed for Caisse; each signature re-assembled compact is refused on its alg or its empty header',
    async ({ example }) => {
      const json = example.output.json as { payload: string; signatures: { protected?: string; signature: string }[] };
      const keys = caisseKeySet([example.input.key].flat() as Jwk[]).keys;
      expect(await pipelineCode(JSON.stringify(json), keys)).toBe('token_malformed');
      expect(json.signatures.length).toBeGreaterThan(0);
      for (const signature of json.signatures) {
        const compact = `${signature.protected ?? ''}.${json.payload}.${signature.signature}`;
        expect(await pipelineCode(compact, keys)).toBe(signature.protected === undefined ? 'token_malformed' : 'algorithm_not_allowed');
      }
    },
  );
});
