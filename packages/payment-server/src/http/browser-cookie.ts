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
  setCookie(c, BROWSER_COOKIE, secret, { httpOnly: true, secure, sameSite: 'Lax', path: '/' });
  return secret;
}
