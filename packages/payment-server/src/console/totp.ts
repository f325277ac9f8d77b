import { createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from '@caisse/server-kit';

/**
 * Time-based one-time passwords (RFC 6238 over HOTP, RFC 4226) as authenticator apps
 * make them by default: HMAC-SHA-1, 6 digits, a 30-second step, the step before and
 * after accepted for clock drift. The clock is injected, so tests freeze it.
 */
export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps either side of now a code is still taken for: a phone a few seconds off, a code typed as it changes. */
export const TOTP_WINDOW = 1;
/** 160 bits, the HMAC-SHA-1 block's worth that RFC 4226 §4 recommends. */
export const TOTP_SECRET_BYTES = 20;

export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

/** The 30-second step `at` falls in (RFC 6238 §4.2: T = floor((unix time − T0) / X), T0 = 0). */
export function totpStep(at: Date, stepSeconds = TOTP_STEP_SECONDS): number {
  return Math.floor(at.getTime() / 1000 / stepSeconds);
}

/**
 * The code of one step (HOTP with the step as counter, RFC 4226 §5.3: dynamic truncation).
 * @example totpCode(secret, totpStep(new Date())) // '287082'
 */
export function totpCode(secret: Uint8Array, step: number, options: { digits?: number; algorithm?: TotpAlgorithm } = {}): string {
  const digits = options.digits ?? TOTP_DIGITS;
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac(options.algorithm ?? 'sha1', secret)
    .update(counter)
    .digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/**
 * The step whose code `code` is, within {@link TOTP_WINDOW} steps of `at`, or undefined.
 * Each candidate is compared in constant time, and all are compared, so the answer's
 * timing says nothing about which step (if any) matched. Refusing a code already used
 * is the caller's job: it keeps the last step taken (see `operators.ts`).
 */
export function matchTotp(secret: Uint8Array, code: string, at: Date): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const now = totpStep(at);
  let matched: number | undefined;
  for (let step = now - TOTP_WINDOW; step <= now + TOTP_WINDOW; step++) {
    if (safeEqual(totpCode(secret, step), code) && matched === undefined) matched = step;
  }
  return matched;
}

/** A new random secret. */
export function newTotpSecret(): Buffer {
  return randomBytes(TOTP_SECRET_BYTES);
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding: how authenticator apps take a secret typed by hand or in an otpauth URI. */
export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** The inverse of {@link base32Encode}; spaces, padding and case are forgiven. @throws RangeError on any other character */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of clean) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new RangeError('Not a base32 character.');
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/**
 * The `otpauth://` URI authenticator apps read (Key Uri Format): the label says which
 * console and which operator, so one phone can hold several.
 * @example otpauthUri({ issuer: 'Caisse pay.example', account: 'alice', secret }) // 'otpauth://totp/Caisse%20pay.example:alice?secret=…'
 */
export function otpauthUri(input: { issuer: string; account: string; secret: Uint8Array }): string {
  const label = `${encodeURIComponent(input.issuer)}:${encodeURIComponent(input.account)}`;
  const query = new URLSearchParams({
    secret: base32Encode(input.secret),
    issuer: input.issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_STEP_SECONDS),
  });
  return `otpauth://totp/${label}?${query.toString().replace(/\+/g, '%20')}`;
}
