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

function readSecret(source: Request | string | null | undefined): string | undefined {
  const header = typeof source === 'string' || source == null ? source : source.headers.get('cookie');
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const [name, value] = pair.trim().split('=', 2);
    if (name === STATE_COOKIE && value !== undefined && SECRET_PATTERN.test(value)) return value;
  }
  return undefined;
}

/** The state of the browser sending this request (from its cookie, or a raw `Cookie` header), to compare with a voucher's. */
export function readStateCookie(source: Request | string | null | undefined): string | undefined {
  const secret = readSecret(source);
  return secret === undefined ? undefined : stateOf(secret);
}

/**
 * The state for a checkout: the browser's existing one (so several tabs share it) or a
 * new one with the cookie to set.
 * @example const { state, setCookie } = ensureState(request)
 */
export function ensureState(request: Request, options?: StateCookieOptions): { state: string; setCookie?: string } {
  const existing = readSecret(request);
  if (existing) return { state: stateOf(existing) };
  const secret = createState();
  return { state: stateOf(secret), setCookie: stateCookie(secret, options) };
}
