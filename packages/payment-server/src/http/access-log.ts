import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from '../log.js';
import type { ObservedRequest } from '../metrics/http.js';

/** Routes load balancers and Prometheus poll every few seconds: logged at debug, so they do not bury the requests that matter. */
const PROBES = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

/**
 * One `http.request` line per request, once it is answered: method, route, status,
 * duration in milliseconds, and (from the request's context) its id. The route is the
 * pattern that answered (`/checkout/:id`, `/v1/*` when a guard refused), never the path
 * or the query string, which carry session ids and tickets. The same observation goes to
 * the request duration histogram. Goes inside `requestContext()`, outside everything else.
 * @example app.use(requestContext(), accessLog({ log, observe: metrics.observeRequest }))
 */
export function accessLog(deps: { log: Logger; observe: (request: ObservedRequest) => void }): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const request = { method: c.req.method, route: routePath(c), status: c.res.status, seconds };
    deps.observe(request);
    const line = { method: request.method, route: request.route, status: request.status, durationMs: Math.round(seconds * 100_000) / 100 };
    if (PROBES.has(request.route)) deps.log.debug('http.request', line);
    else deps.log.info('http.request', line);
  };
}
