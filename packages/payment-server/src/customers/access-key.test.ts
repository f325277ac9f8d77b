import { describe, expect, it } from 'vitest';
import { checkScryptParams, DEFAULT_SCRYPT, hashAccessKey, SALT_LENGTH, verifyAccessKey } from './access-key.js';

const FAST = { N: 2 ** 10, r: 8, p: 1, keyLength: 32 };

describe('access keys', () => {
  it('stores a salted scrypt hash with its parameters, never the key', async () => {
    const stored = await hashAccessKey('correct horse battery', FAST);
    expect(stored.params).toEqual({ algorithm: 'scrypt', ...FAST });
    expect(stored.salt).toHaveLength(SALT_LENGTH);
    expect(stored.hash).toHaveLength(32);
    expect(stored.hash.toString('utf8')).not.toContain('correct horse');
    const again = await hashAccessKey('correct horse battery', FAST);
    expect(again.salt.equals(stored.salt)).toBe(false);
    expect(again.hash.equals(stored.hash)).toBe(false);
  });

  it('uses N = 2^15, r = 8, p = 1 by default', async () => {
    expect(DEFAULT_SCRYPT).toEqual({ N: 32768, r: 8, p: 1, keyLength: 32 });
    const stored = await hashAccessKey('correct horse battery');
    expect(stored.params).toEqual({ algorithm: 'scrypt', ...DEFAULT_SCRYPT });
    await expect(verifyAccessKey('correct horse battery', stored)).resolves.toBe(true);
  });

  it('verifies the right key only', async () => {
    const stored = await hashAccessKey('correct horse battery', FAST);
    await expect(verifyAccessKey('correct horse battery', stored)).resolves.toBe(true);
    await expect(verifyAccessKey('correct horse batterY', stored)).resolves.toBe(false);
    await expect(verifyAccessKey('correct horse battery ', stored)).resolves.toBe(false);
    await expect(verifyAccessKey('', stored)).resolves.toBe(false);
  });

  it('verifies with the parameters stored, not the current ones', async () => {
    const stored = await hashAccessKey('correct horse battery', { ...FAST, N: 2 ** 11 });
    await expect(verifyAccessKey('correct horse battery', stored)).resolves.toBe(true);
  });

  it('compares keys in Unicode normal form C', async () => {
    const composed = 'caf\u00e9-cr\u00e8me';
    const decomposed = 'cafe\u0301-cre\u0300me';
    const stored = await hashAccessKey(composed, FAST);
    await expect(verifyAccessKey(decomposed, stored)).resolves.toBe(true);
  });

  it('refuses parameters that are too weak or too large', () => {
    expect(() => checkScryptParams({ ...FAST, N: 2 ** 9 })).toThrow('power of two');
    expect(() => checkScryptParams({ ...FAST, N: 3000 })).toThrow('power of two');
    expect(() => checkScryptParams({ ...FAST, N: 2 ** 21 })).toThrow('power of two');
    expect(() => checkScryptParams({ ...FAST, r: 0 })).toThrow('r 1–32');
    expect(() => checkScryptParams({ ...FAST, keyLength: 8 })).toThrow('keyLength');
  });
});
