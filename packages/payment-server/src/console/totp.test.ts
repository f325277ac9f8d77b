import { describe, expect, test } from 'vitest';
import { base32Decode, base32Encode, matchTotp, otpauthUri, type TotpAlgorithm, totpCode, totpStep } from './totp.js';

/** RFC 6238 appendix B: the seeds are the ASCII digits repeated to the hash's block of key. */
const SEEDS: Record<TotpAlgorithm, Buffer> = {
  sha1: Buffer.from('12345678901234567890'),
  sha256: Buffer.from('12345678901234567890123456789012'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
};

describe('RFC 6238 appendix B test vectors (8 digits, 30 s step)', () => {
  test.each<[number, string, TotpAlgorithm]>([
    [59, '94287082', 'sha1'],
    [59, '46119246', 'sha256'],
    [59, '90693936', 'sha512'],
    [1111111109, '07081804', 'sha1'],
    [1111111109, '68084774', 'sha256'],
    [1111111109, '25091201', 'sha512'],
    [1111111111, '14050471', 'sha1'],
    [1111111111, '67062674', 'sha256'],
    [1111111111, '99943326', 'sha512'],
    [1234567890, '89005924', 'sha1'],
    [1234567890, '91819424', 'sha256'],
    [1234567890, '93441116', 'sha512'],
    [2000000000, '69279037', 'sha1'],
    [2000000000, '90698825', 'sha256'],
    [2000000000, '38618901', 'sha512'],
    [20000000000, '65353130', 'sha1'],
    [20000000000, '77737706', 'sha256'],
    [20000000000, '47863826', 'sha512'],
  ])('at %i s: %s (%s)', (seconds, code, algorithm) => {
    expect(totpCode(SEEDS[algorithm], totpStep(new Date(seconds * 1000)), { digits: 8, algorithm })).toBe(code);
  });

  test('the console codes are the last 6 digits of the same HOTP value (SHA-1)', () => {
    expect(totpCode(SEEDS.sha1, totpStep(new Date(59_000)))).toBe('287082');
    expect(totpCode(SEEDS.sha1, totpStep(new Date(1111111109_000)))).toBe('081804');
  });
});

describe('matchTotp', () => {
  const at = new Date(1111111111_000);
  const step = totpStep(at);

  test('takes the current step and one step either side, and says which step matched', () => {
    expect(matchTotp(SEEDS.sha1, totpCode(SEEDS.sha1, step), at)).toBe(step);
    expect(matchTotp(SEEDS.sha1, totpCode(SEEDS.sha1, step - 1), at)).toBe(step - 1);
    expect(matchTotp(SEEDS.sha1, totpCode(SEEDS.sha1, step + 1), at)).toBe(step + 1);
  });

  test('refuses a code two steps away, another secret’s code, and anything not six digits', () => {
    expect(matchTotp(SEEDS.sha1, totpCode(SEEDS.sha1, step - 2), at)).toBeUndefined();
    expect(matchTotp(SEEDS.sha1, totpCode(SEEDS.sha256, step), at)).toBeUndefined();
    for (const code of ['', '12345', '1234567', '12345a', ' 123456', '١٢٣٤٥٦']) expect(matchTotp(SEEDS.sha1, code, at)).toBeUndefined();
  });
});

describe('base32 (RFC 4648 §10 vectors, unpadded) and the otpauth URI', () => {
  test.each([
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ])('%j is %s, and back', (plain, encoded) => {
    expect(base32Encode(Buffer.from(plain))).toBe(encoded);
    expect(base32Decode(encoded).toString()).toBe(plain);
  });

  test('decoding forgives case, spaces and padding, and refuses other characters', () => {
    expect(base32Decode('mzxw 6ytb oi======').toString()).toBe('foobar');
    expect(() => base32Decode('MZXW1')).toThrow(RangeError);
  });

  test('the URI names the console and the operator, and carries the secret in base32 with the parameters', () => {
    const uri = new URL(otpauthUri({ issuer: 'Caisse pay.example', account: 'alice', secret: SEEDS.sha1 }));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Caisse pay.example:alice');
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
      issuer: 'Caisse pay.example',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
  });
});
