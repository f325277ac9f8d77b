import { sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKey, thumbprintKid } from './generate.js';
import { importPublicJwk, importPublicJwks, importSigningKey, staticKeySet } from './import.js';

describe('generateKey', () => {
  it.each(['EdDSA', 'ES256'] as const)('makes a %s pair whose halves belong together, with a kid on both', (alg) => {
    const key = generateKey({ alg });
    expect(key.alg).toBe(alg);
    expect(key.privateJwk).toMatchObject({ kid: key.kid, alg, use: 'sig' });
    expect(typeof key.privateJwk.d).toBe('string');
    expect(key.publicJwk).not.toHaveProperty('d');
    expect(key.jwks).toEqual({ keys: [key.publicJwk] });
    const data = Buffer.from('ticket bytes');
    const hash = alg === 'EdDSA' ? null : 'sha256';
    const signature = sign(hash, data, importSigningKey(key.privateJwk).key);
    expect(verify(hash, data, importPublicJwk(key.publicJwk).key, signature)).toBe(true);
  });

  it('derives the kid from the RFC 7638 thumbprint, so it is stable for a key', () => {
    const key = generateKey();
    expect(key.kid).toMatch(/^[0-9a-f]{32}$/);
    expect(thumbprintKid(key.publicJwk as { kty: string; crv: string; x: string })).toBe(key.kid);
    expect(generateKey({ kid: 'merchant-2026-11' }).kid).toBe('merchant-2026-11');
  });

  it('makes a test key with test: true: its kid starts with test_, and says its mode', () => {
    const key = generateKey({ test: true });
    expect(key.kid).toMatch(/^test_[0-9a-f]{32}$/);
    expect(key.kid.slice('test_'.length)).toBe(thumbprintKid(key.publicJwk as { kty: string; crv: string; x: string }));
    expect(key.mode).toBe('test');
    expect(generateKey().mode).toBe('live');
    expect(generateKey({ test: true, kid: 'test_shop' }).kid).toBe('test_shop');
    // The kid is the mode: a flag that disagrees with it is refused rather than guessed.
    expect(() => generateKey({ test: true, kid: 'shop' })).toThrow(TypeError);
    expect(() => generateKey({ test: false, kid: 'test_shop' })).toThrow(TypeError);
  });

  it('computes the RFC 8037 §A.3 thumbprint of the example Ed25519 key', () => {
    // RFC 8037 A.3: thumbprint kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k (base64url) = 90facafe…
    const kid = thumbprintKid({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' });
    expect(Buffer.from('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k', 'base64url').toString('hex').slice(0, 32)).toBe(kid);
  });
});

describe('importing keys', () => {
  it('refuses a JWKS that publishes a private key: keys_invalid', () => {
    expect(() => importPublicJwks({ keys: [generateKey().privateJwk] })).toThrow(expect.objectContaining({ code: 'keys_invalid' }));
  });

  it('refuses a JWKS that repeats a kid: keys_invalid', () => {
    const a = generateKey({ kid: 'same' });
    const b = generateKey({ kid: 'same' });
    expect(() => staticKeySet({ keys: [a.publicJwk, b.publicJwk] })).toThrow(expect.objectContaining({ code: 'keys_invalid' }));
  });

  it('refuses an Ed25519 key that claims another algorithm: keys_invalid', () => {
    expect(() => importPublicJwk({ ...generateKey().publicJwk, alg: 'ES256' })).toThrow(expect.objectContaining({ code: 'keys_invalid' }));
  });

  it('refuses a P-256 point that is not on the curve: keys_invalid', () => {
    const key = generateKey({ alg: 'ES256' }).publicJwk as { x: string; y: string };
    const y = Buffer.from(key.y, 'base64url');
    y[31] = (y[31] as number) ^ 1;
    expect(() => importPublicJwk({ ...key, y: y.toString('base64url') })).toThrow(expect.objectContaining({ code: 'keys_invalid' }));
  });

  it('refuses RSA and symmetric keys: keys_invalid', () => {
    expect(() => importPublicJwk({ kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' })).toThrow(expect.objectContaining({ code: 'keys_invalid' }));
    expect(() => importSigningKey({ kty: 'RSA', n: 'AQAB', e: 'AQAB', d: 'AQAB', kid: 'rsa' })).toThrow(
      expect.objectContaining({ code: 'keys_invalid' }),
    );
  });

  it('refuses a signing key without a kid or a public key as signing key: keys_invalid', () => {
    const { kid: _kid, ...withoutKid } = generateKey().privateJwk;
    expect(() => importSigningKey(withoutKid)).toThrow(expect.objectContaining({ code: 'keys_invalid' }));
    expect(() => importSigningKey(generateKey().publicJwk)).toThrow(expect.objectContaining({ code: 'keys_invalid' }));
  });

  it('finds keys by kid only', () => {
    const key = generateKey();
    const keys = staticKeySet(key.jwks);
    expect(keys.get(key.kid)).toMatchObject({ kid: key.kid, alg: 'EdDSA' });
    expect(keys.get('__proto__')).toBeUndefined();
    expect(keys.get('other')).toBeUndefined();
  });
});
