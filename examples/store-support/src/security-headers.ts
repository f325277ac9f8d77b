import type { MiddlewareHandler } from 'hono';

/**
 * The headers every page of a sample store carries: its Content-Security-Policy (which
 * lets forms post to the payment server), no MIME sniffing, and no Referer, so a URL
 * holding a voucher never leaks to another site.
 * @example app.use(securityHeaders(`default-src 'self'; form-action 'self' ${paymentServer}`))
 */
export function securityHeaders(contentSecurityPolicy: string): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header('content-security-policy', contentSecurityPolicy);
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'no-referrer');
  };
}
