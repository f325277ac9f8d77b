import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { BROWSER_COOKIE, newBrowserSecret } from '../checkout/sessions.js';

/**
 * The browser's secret from its HttpOnly cookie, made and set on first sight. Checkout
 * sessions and form tokens are bound to it, so they answer only the browser that holds it.
 */
export function browserSecret(c: Context, secure: boolean): string {
  const existing = getCookie(c, BROWSER_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const secret = newBrowserSecret();
  const cookie = () => setCookie(c, BROWSER_COOKIE, secret, { httpOnly: true, secure, sameSite: 'Lax', path: '/' });
  cookie();
  issued.set(c, cookie);
  return secret;
}

/** The cookie each request issued, to give again on an error page (see {@link keepBrowserCookie}). */
const issued = new WeakMap<Context, () => void>();

/**
 * Sets again the cookie {@link browserSecret} issued during this request, on a response
 * made after an error: Hono builds that response afresh, without it. A checkout opened
 * just before the database went away is bound to that secret: without the cookie, the
 * browser could never resume it, and its ticket would look replayed.
 */
export function keepBrowserCookie(c: Context): void {
  issued.get(c)?.();
}
