import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Access keys are stored only as scrypt (RFC 7914) hashes with a salt of their own and
 * the parameters they were derived with, so the cost can be raised later: a customer
 * whose hash used older parameters is re-hashed the next time the right key is given.
 */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  /** Block size. */
  readonly r: number;
  /** Parallelisation. */
  readonly p: number;
  /** Bytes of derived key. */
  readonly keyLength: number;
}

/**
 * N = 2^15, r = 8, p = 1: 32 MiB and about 75 ms per attempt on one core of the
 * development machine (libsodium's "interactive" level). The lockout after 5 wrong keys,
 * not the hash cost, is what stops guessing online; the cost protects a stolen database.
 */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1, keyLength: 32 };

export const SALT_LENGTH = 16;

export interface StoredAccessKey {
  readonly hash: Buffer;
  readonly salt: Buffer;
  readonly params: ScryptParams & { readonly algorithm: 'scrypt' };
}

/** Refuses parameters too weak to mean anything or large enough to exhaust memory. */
export function checkScryptParams(params: ScryptParams): ScryptParams {
  const { N, r, p, keyLength } = params;
  const powerOfTwo = Number.isSafeInteger(N) && N >= 2 ** 10 && N <= 2 ** 20 && (N & (N - 1)) === 0;
  if (!powerOfTwo || !Number.isSafeInteger(r) || r < 1 || r > 32 || !Number.isSafeInteger(p) || p < 1 || p > 16) {
    throw new Error('scrypt parameters: N must be a power of two from 2^10 to 2^20, r 1–32, p 1–16.');
  }
  if (!Number.isSafeInteger(keyLength) || keyLength < 16 || keyLength > 64)
    throw new Error('scrypt parameters: keyLength must be 16–64 bytes.');
  return { N, r, p, keyLength };
}

/** The same key typed on two keyboards may arrive composed or decomposed (é as one or two code points). */
function normalise(accessKey: string): string {
  return accessKey.normalize('NFC');
}

function derive(accessKey: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r * params.p };
  return new Promise((resolve, reject) => {
    scrypt(normalise(accessKey), salt, params.keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** @example const stored = await hashAccessKey('correct horse battery') */
export async function hashAccessKey(accessKey: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<StoredAccessKey> {
  const checked = checkScryptParams(params);
  const salt = randomBytes(SALT_LENGTH);
  return { hash: await derive(accessKey, salt, checked), salt, params: { algorithm: 'scrypt', ...checked } };
}

/** Derives with the stored salt and parameters and compares in constant time. */
export async function verifyAccessKey(accessKey: string, stored: StoredAccessKey): Promise<boolean> {
  const derived = await derive(accessKey, stored.salt, stored.params);
  return derived.length === stored.hash.length && timingSafeEqual(derived, stored.hash);
}

export function sameParams(a: ScryptParams, b: ScryptParams): boolean {
  return a.N === b.N && a.r === b.r && a.p === b.p && a.keyLength === b.keyLength;
}
