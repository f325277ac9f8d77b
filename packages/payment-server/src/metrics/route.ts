import { safeEqual } from '@caisse/server-kit';
import type { Hono } from 'hono';
import { ProblemError, problemResponse } from '../http/problem.js';
import type { ServerMetrics } from './registry.js';

/** The route Prometheus scrapes. */
export const METRICS_PATH = '/metrics';

/** `Bearer <token>`, the scheme compared without regard to case (RFC 9110 §11.1). */
const BEARER = /^Bearer ([^\s]+)$/i;

/** Whether the request carries the metrics token, compared in constant time. */
function authorised(header: string | undefined, token: string): boolean {
  const presented = header === undefined ? undefined : BEARER.exec(header)?.[1];
  return presented !== undefined && safeEqual(presented, token);
}

/**
 * `GET /metrics` in the Prometheus text format. With a token (CAISSE_METRICS_TOKEN) it
 * answers only `Authorization: Bearer <token>`, else 401 `metrics_unauthorized`; without
 * one it answers anyone, so it must then be kept off the public network (counts of
 * payments and lock-outs say much about a business).
 * @example metricsRoute({ metrics, token: config.CAISSE_METRICS_TOKEN })(app)
 */
export function metricsRoute(deps: { metrics: Pick<ServerMetrics, 'scrape' | 'contentType'>; token?: string }): (app: Hono) => void {
  return (app) => {
    app.get(METRICS_PATH, async (c) => {
      if (deps.token !== undefined && !authorised(c.req.header('authorization'), deps.token)) {
        return problemResponse(new ProblemError('metrics_unauthorized'), { 'www-authenticate': 'Bearer realm="metrics"' });
      }
      return c.body(await deps.metrics.scrape(), 200, { 'content-type': deps.metrics.contentType });
    });
  };
}
