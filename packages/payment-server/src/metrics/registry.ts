import { Registry } from 'prom-client';
import type { Logger } from '../log.js';
import type { Queryable } from '../storage/database.js';
import { databaseGauges } from './gauges.js';
import { httpRequestMetrics, type ObservedRequest } from './http.js';
import { type OnSettled, paymentMetrics } from './payments.js';
import { processMetrics } from './process.js';

/** One payment server's metrics, served at `GET /metrics`. */
export interface ServerMetrics {
  /** Called by the access log for each request served. */
  observeRequest(request: ObservedRequest): void;
  /** Called by the payment core as a payment reaches its final state. */
  readonly onSettled: OnSettled;
  /**
   * The page Prometheus scrapes: this server's metrics, the database gauges read now, and
   * the process's. A metric that cannot be collected is logged and left out, and the rest
   * is served: a scrape that fails whole would hide every other metric just when they matter.
   */
  scrape(): Promise<string>;
  /** The page's media type (Prometheus text format 0.0.4). */
  readonly contentType: string;
}

/**
 * The metrics of one payment server, in a registry of its own (never prom-client's global
 * one: a process may run several servers, as the tests do, and each counts its own).
 * @example const metrics = createServerMetrics({ db, log }); const page = await metrics.scrape()
 */
export function createServerMetrics(deps: { db: Pick<Queryable, 'query'>; log: Logger }): ServerMetrics {
  const registry = new Registry();
  const observeRequest = httpRequestMetrics(registry);
  const onSettled = paymentMetrics(registry);
  databaseGauges(registry, deps.db);
  const page = Registry.merge([registry, processMetrics()]);

  /** One metric in the text format, or nothing when it cannot be collected (its HELP and TYPE lines too). */
  const collected = (name: string) =>
    page.getSingleMetricAsString(name).catch((error: unknown) => {
      deps.log.warn('metrics.collect_failed', { metric: name, error });
      return undefined;
    });

  return {
    observeRequest,
    onSettled,
    // As prom-client's `metrics()` writes the page, metric by metric, so that one failing leaves out only itself.
    async scrape() {
      const metrics = await Promise.all(page.getMetricsAsArray().map((metric) => collected(metric.name)));
      return `${metrics.filter((text) => text !== undefined).join('\n\n')}\n`;
    },
    contentType: page.contentType,
  };
}
