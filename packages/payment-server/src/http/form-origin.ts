import type { Context } from 'hono';

/**
 * Whether a form post may come from our own pages. Our pages are served with
 * `Referrer-Policy: no-referrer`, under which browsers send `Origin: null` even for a
 * same-origin form post (Fetch, "serializing a request origin"); so `null` and a missing
 * Origin pass here and the cookie-bound CSRF token decides alone. Any other origin is
 * another site's form.
 */
export function formFromOurOrigin(c: Context, ourOrigin: string): boolean {
  const origin = c.req.header('origin');
  return origin === undefined || origin === 'null' || origin === ourOrigin;
}
