import type { MiddlewareHandler } from 'hono';

/**
 * Headers on every response. Pages show order details and carry tokens in forms, so
 * nothing is cached, nothing leaks through the Referer header, and no other site may
 * frame them (clickjacking a "pay" button). Cross-Origin-Opener-Policy is deliberately
 * left unset: popup checkout needs `window.opener` to post the result back.
 */
export function securityHeaders(options: { https: boolean }): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    if (!headers.has('content-security-policy')) {
      headers.set(
        'content-security-policy',
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      );
    }
    headers.set('referrer-policy', 'no-referrer');
    headers.set('x-content-type-options', 'nosniff');
    headers.set('x-frame-options', 'DENY');
    if (!headers.has('cache-control')) headers.set('cache-control', 'no-store');
    if (options.https) headers.set('strict-transport-security', 'max-age=31536000');
  };
}
