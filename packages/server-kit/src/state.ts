import { createHash, randomBytes } from 'node:crypto';

/**
 * Binding a ticket to the browser that started the checkout. The browser holds a random
 * secret in an HttpOnly cookie; the ticket carries `state`, a hash of that secret; the
 * voucher echoes the state, and the return handler accepts the voucher only from a
 * browser whose cookie hashes to it. Since the voucher shows only the hash, reading a
 * stolen voucher does not tell its thief what cookie to set: it is useless in another
 * browser.
 */
export const STATE_COOKIE = 'caisse_state';
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** 256 random bits, base64url: a browser secret, or a state for a ticket bound to nothing else. */
export function createState(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The state a ticket carries for a browser's secret.
 * @example createTicket({ …, state: stateOf(secretFromCookie) }, config)
 */
export function stateOf(browserSecret: string): string {
  return createHash('sha256').update(`caisse-state:${browserSecret}`).digest('base64url');
}

export interface StateCookieOptions {
  /** Send only over https (default true; set false for http://localhost development). */
  secure?: boolean;
  path?: string;
  /** Seconds (default one day). */
  maxAge?: number;
}

/**
 * The `Set-Cookie` value carrying the browser secret. `SameSite=Lax` so the cookie comes
 * back on the payment server's top-level redirect to your return URL.
 * @example response.headers.append('Set-Cookie', stateCookie(secret))
 */
export function stateCookie(browserSecret: string, options: StateCookieOptions = {}): string {
  const parts = [
    `${STATE_COOKIE}=${browserSecret}`,
    `Path=${options.path ?? '/'}`,
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${options.maxAge ?? 86_400}`,
  ];
  if (options.secure ?? true) parts.push('Secure');
  return parts.join('; ');
}

/**
 * Anything that carries the browser's cookies: a web `Request` (Hono's `c.req.raw`, Next.js,
 * Bun, Deno), Node's `IncomingMessage` (Express's `req`, Fastify's `request`, Koa's `ctx`),
 * their `headers`, or the `Cookie` header itself.
 * @example const state = readStateCookie(req satisfies CookieSource)
 */
export type CookieSource = { readonly headers: HeaderSource } | HeaderSource | string | null | undefined;

/** A web `Headers`, or Node's header object (lower-case names). */
type HeaderSource = { get(name: string): string | null } | { readonly [name: string]: unknown };

function cookieHeader(source: CookieSource): string | undefined {
  if (source === null || source === undefined) return undefined;
  if (typeof source === 'string') return source;
  const { headers: held } = source as { headers?: unknown };
  const headers = (typeof held === 'object' && held !== null ? held : source) as { get?: unknown; cookie?: unknown };
  const value = typeof headers.get === 'function' ? (headers as Headers).get('cookie') : headers.cookie;
  // Node joins repeated Cookie headers with "; " (RFC 6265 §5.4 allows only one), but a hand-built object may hold a list.
  if (Array.isArray(value)) return value.filter((part) => typeof part === 'string').join('; ');
  return typeof value === 'string' ? value : undefined;
}

function readSecret(source: CookieSource): string | undefined {
  const header = cookieHeader(source);
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const [name, value] = pair.trim().split('=', 2);
    if (name === STATE_COOKIE && value !== undefined && SECRET_PATTERN.test(value)) return value;
  }
  return undefined;
}

/**
 * The state of the browser sending this request, to compare with a voucher's: read from
 * its `caisse_state` cookie in a web `Request`, Node's `IncomingMessage`, headers, or a raw
 * `Cookie` header ({@link CookieSource}); `undefined` without one.
 * @example const state = readStateCookie(request) // or readStateCookie(req), readStateCookie(req.headers.cookie)
 */
export function readStateCookie(source: CookieSource): string | undefined {
  const secret = readSecret(source);
  return secret === undefined ? undefined : stateOf(secret);
}

/**
 * The state for a checkout: the browser's existing one (so several tabs share it) or a
 * new one with the `Set-Cookie` value to send. Takes any {@link CookieSource}: a web
 * `Request`, or Node's `IncomingMessage` in Express, Fastify (`request`) and Koa (`ctx`).
 * @example
 * const { state, setCookie } = ensureState(request) // web: new Response(…, { headers: setCookie ? { 'set-cookie': setCookie } : {} })
 * const { state, setCookie } = ensureState(req) // Express: if (setCookie) res.append('Set-Cookie', setCookie)
 */
export function ensureState(source: CookieSource, options?: StateCookieOptions): { state: string; setCookie?: string } {
  const existing = readSecret(source);
  if (existing) return { state: stateOf(existing) };
  const secret = createState();
  return { state: stateOf(secret), setCookie: stateCookie(secret, options) };
}
