import { randomBytes } from 'node:crypto';

/**
 * Binding a ticket to the browser that started the checkout. A random value lives in an
 * HttpOnly cookie and in the ticket's `state`; the voucher echoes it, and the return
 * handler accepts the voucher only from a browser that still holds the same cookie. A
 * voucher stolen from one browser's address bar is useless in another.
 */
export const STATE_COOKIE = 'caisse_state';
const STATE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** 256 random bits, base64url. */
export function createState(): string {
  return randomBytes(32).toString('base64url');
}

export interface StateCookieOptions {
  /** Send only over https (default true; set false for http://localhost development). */
  secure?: boolean;
  path?: string;
  /** Seconds (default one day). */
  maxAge?: number;
}

/**
 * The `Set-Cookie` value carrying the state. `SameSite=Lax` so the cookie comes back on
 * the payment server's top-level redirect to your return URL.
 * @example response.headers.append('Set-Cookie', stateCookie(state))
 */
export function stateCookie(state: string, options: StateCookieOptions = {}): string {
  const parts = [
    `${STATE_COOKIE}=${state}`,
    `Path=${options.path ?? '/'}`,
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${options.maxAge ?? 86_400}`,
  ];
  if (options.secure ?? true) parts.push('Secure');
  return parts.join('; ');
}

/** Reads the state from a request's cookies, or from a raw `Cookie` header. */
export function readStateCookie(source: Request | string | null | undefined): string | undefined {
  const header = typeof source === 'string' || source == null ? source : source.headers.get('cookie');
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const [name, value] = pair.trim().split('=', 2);
    if (name === STATE_COOKIE && value !== undefined && STATE_PATTERN.test(value)) return value;
  }
  return undefined;
}

/**
 * The state for a checkout: the browser's existing one (so several tabs share it) or a
 * new one with the cookie to set.
 * @example const { state, setCookie } = ensureState(request)
 */
export function ensureState(request: Request, options?: StateCookieOptions): { state: string; setCookie?: string } {
  const existing = readStateCookie(request);
  if (existing) return { state: existing };
  const state = createState();
  return { state, setCookie: stateCookie(state, options) };
}
