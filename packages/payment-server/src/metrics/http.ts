import { Histogram, type Registry } from 'prom-client';

/** One request served, as the access log saw it. */
export interface ObservedRequest {
  readonly method: string;
  /** The matched route pattern (`/checkout/:id`), never the raw path: ids and tokens stay out, and the series stay few. */
  readonly route: string;
  readonly status: number;
  readonly seconds: number;
}

/**
 * `caisse_http_request_duration_seconds{method,route,status}`: how long each route takes to
 * answer (until its response starts: a live status feed is counted until it opens).
 * @example const observe = httpRequestMetrics(registry); observe({ method: 'GET', route: '/health', status: 200, seconds: 0.002 })
 */
export function httpRequestMetrics(registry: Registry): (request: ObservedRequest) => void {
  const duration = new Histogram({
    name: 'caisse_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, matched route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  return ({ method, route, status, seconds }) => duration.observe({ method, route, status: String(status) }, seconds);
}
