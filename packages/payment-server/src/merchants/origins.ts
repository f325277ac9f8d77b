import { isAllowedUrl, LIMITS } from '@caisse/protocol';
import { ProblemError } from '../http/problem.js';

/**
 * Return origins: what stops the payment server from being an open redirect. A merchant
 * registers exact origins; a ticket's return and cancel URLs are accepted only if the
 * origin of the URL, as a browser computes it (WHATWG URL), is one of them. No
 * wildcards, no prefixes, no suffixes: `https://shop.example` does not cover
 * `https://pay.shop.example`, `https://shop.example:8443` nor `https://shop.example.`.
 */

/** Loopback hosts where plain http is allowed (development). */
const LOOPBACK = /^(?:localhost|127\.0\.0\.1|\[::1\]|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.localhost)$/;
/** DNS names as the WHATWG parser leaves them (lower case, punycode): LDH labels, no trailing dot. */
const DNS_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;
/** Most origins one merchant may register. */
export const MAX_RETURN_ORIGINS = 32;

function invalid(text: string, why: string): ProblemError {
  // The text is the operator's own input, echoed (shortened) so they can find it in a list.
  return new ProblemError('origin_invalid', `"${text.slice(0, 80)}" is not a return origin: ${why}.`);
}

/**
 * Checks one origin as registered by the operator and returns it. It must already be in
 * the form a browser serialises it (`https://shop.example`, `http://localhost:3000`), so
 * what is stored is exactly what is compared; near misses are refused with the form to
 * write instead, never silently rewritten.
 * @example parseReturnOrigin('https://shop.example:8443') // 'https://shop.example:8443'
 */
export function parseReturnOrigin(text: unknown): string {
  if (typeof text !== 'string') throw new ProblemError('origin_invalid', 'A return origin is a string such as https://shop.example.');
  if (text.length > 300) throw invalid(text, 'it is too long');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(text, 'it is not an absolute URL such as https://shop.example');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw invalid(text, 'only https (and http on localhost) can be a return origin');
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) throw invalid(text, 'plain http is allowed only for localhost; use https');
  if (authorityOf(text)?.includes('@') || url.username !== '' || url.password !== '')
    throw invalid(text, 'it must not carry a user name or password');
  const host = url.hostname;
  if (!(DNS_NAME.test(host) || IPV4.test(host) || IPV6.test(host))) {
    throw invalid(text, 'the host must be a plain DNS name or IP address (no wildcard, no trailing dot)');
  }
  if (text !== url.origin) {
    // Upper case, default port, trailing slash, path, query, IDN: say what to write instead.
    throw invalid(text, `write it exactly as its origin, ${url.origin}, without path, query, default port or trailing slash`);
  }
  return url.origin;
}

/**
 * Checks a list of origins: 1 to {@link MAX_RETURN_ORIGINS}, each valid, none repeated.
 */
export function parseReturnOrigins(list: unknown): string[] {
  if (!Array.isArray(list) || list.length === 0) throw new ProblemError('origin_invalid', 'Register at least one return origin.');
  if (list.length > MAX_RETURN_ORIGINS)
    throw new ProblemError('origin_invalid', `A merchant registers at most ${MAX_RETURN_ORIGINS} return origins.`);
  const origins = list.map(parseReturnOrigin);
  const repeated = origins.find((origin, index) => origins.indexOf(origin) !== index);
  if (repeated !== undefined) throw invalid(repeated, 'it is listed twice');
  return origins;
}

/** The `//authority` part of a URL text, or undefined when there is none. */
function authorityOf(text: string): string | undefined {
  const match = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#\\]*)/.exec(text);
  return match?.[1];
}

/**
 * The origin of a URL a ticket names, or undefined if the URL cannot be a return URL at
 * all: relative, not https (http only on localhost), `javascript:` and other schemes,
 * user info (`https://shop.example@evil.com` goes to evil.com), characters the WHATWG
 * parser would silently drop or reinterpret (tabs, backslashes), over-long.
 * @example originOf('https://SHOP.example/paid?x=1') // 'https://shop.example'
 */
export function originOf(url: unknown): string | undefined {
  if (typeof url !== 'string' || url.length > LIMITS.urlLength || !isAllowedUrl(url)) return undefined;
  if (authorityOf(url)?.includes('@')) return undefined;
  return new URL(url).origin;
}

/**
 * Whether the URL's exact origin (scheme, host and port, after WHATWG parsing) is one of
 * the registered origins.
 * @example isOriginIn(['https://shop.example'], 'https://shop.example.evil.com/x') // false
 */
export function isOriginIn(registered: readonly string[], url: unknown): boolean {
  const origin = originOf(url);
  return origin !== undefined && registered.includes(origin);
}
