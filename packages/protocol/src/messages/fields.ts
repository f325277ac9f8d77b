import type { RefinementCtx } from 'zod';
import * as z from 'zod';
import { isCurrencyCode } from '../currency.js';
import { LIMITS } from '../limits.js';
import { PROTOCOL_VERSION } from '../version.js';

/** Merchant, ticket, item, account and key ids: 1–64 of `A-Z a-z 0-9 . _ : -`, starting with a letter or digit. */
export const id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'must be 1–64 characters of A-Z a-z 0-9 . _ : - starting with a letter or digit');

/** Issuer and audience: an id or an https URL, 1–255 printable ASCII characters. */
export const party = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be 1–255 printable ASCII characters without spaces');

/**
 * The merchant's own order serial. Never of the form of a payment id (`pay_` and digits),
 * so the two can never be mistaken for each other.
 */
export const serial = z
  .string()
  .regex(/^[\x21-\x7e]{1,64}$/, 'must be 1–64 printable ASCII characters without spaces')
  .refine(
    (text) => !/^pay_[0-9]+$/.test(text),
    "must not look like a payment id (pay_ and digits): those name the payment server's payments",
  );

/**
 * Text shown to people: 1–200 code points, no control characters. Lone surrogates are
 * refused too: they have no UTF-8 form, so the items digest could not be reproduced.
 */
export const label = z
  .string()
  .min(1)
  .max(LIMITS.labelLength)
  .regex(/^[^\p{Cc}\p{Cs}]*$/u, 'must not contain control characters or lone surrogates');

/** Seconds since the Unix epoch (RFC 7519 NumericDate), whole. */
export const timestamp = z.int().min(0).max(253_402_300_799);

export const amount = z.int().min(0).max(LIMITS.amount);

export const currency = z.string().refine(isCurrencyCode, 'must be an active ISO 4217 currency code such as EUR');

/** SHA-256 digest, base64url without padding. */
export const sha256 = z.string().regex(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/, 'must be a base64url SHA-256 digest (43 characters)');

/** Random value binding a ticket to the browser session that started it. */
export const state = z.string().regex(/^[A-Za-z0-9_-]{16,256}$/, 'must be 16–256 base64url characters (at least 96 bits of randomness)');

export const phone = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number such as +33612345678');

export const version = z.literal(PROTOCOL_VERSION);

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Printable ASCII without backslash, with exactly two slashes before the host. The WHATWG
 * parser silently drops tabs, newlines and surrounding spaces, reads `\` as `/`, and
 * accepts `https:host` and `https:///host`; RFC 3986 parsers in other languages do not,
 * so such strings could name one origin to us and another to them.
 */
const URL_TEXT = /^https?:\/\/(?!\/)[\x21-\x5b\x5d-\x7e]+$/;

/**
 * True for an absolute https URL, or http on a loopback host (development). Credentials
 * in the URL are refused: they would leak into logs and the Referer header.
 */
export function isAllowedUrl(text: string): boolean {
  if (text.length > LIMITS.urlLength || !URL_TEXT.test(text)) return false;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '') return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && (LOOPBACK_HOSTS.has(url.hostname) || url.hostname.endsWith('.localhost'));
}

export const url = z
  .string()
  .max(LIMITS.urlLength)
  .refine(isAllowedUrl, 'must be an absolute https URL without credentials (http only for localhost)');

/** The ticket a voucher, refusal or notification answers. */
export const ticketReference = z.strictObject({ jti: id, sha256 });

/** A token's validity: `exp` after `iat`, and at most `maxLifetime` seconds after it (when given). */
export function checkValidity(claims: { iat: number; exp: number }, ctx: RefinementCtx, maxLifetime?: number): void {
  if (claims.exp <= claims.iat) ctx.addIssue({ code: 'custom', path: ['exp'], message: 'must be after iat' });
  if (maxLifetime !== undefined && claims.exp - claims.iat > maxLifetime) {
    ctx.addIssue({ code: 'custom', path: ['exp'], message: `must be at most ${maxLifetime} s after iat` });
  }
}
