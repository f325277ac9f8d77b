import { ALGORITHMS, type DiscoveryDocument, type Mode, SUPPORTED_VERSIONS } from '@caisse/protocol';
import { Hono } from 'hono';
import type { ServerKeys } from '../keys/service.js';
import type { Logger } from '../log.js';
import type { ServerMetrics } from '../metrics/registry.js';
import { metricsRoute } from '../metrics/route.js';
import type { Database } from '../storage/database.js';
import { MIGRATIONS } from '../storage/migrations/index.js';
import { accessLog } from './access-log.js';
import { closeAfterTooLarge } from './close-after-too-large.js';
import { ProblemError, problemOf, problemResponse, retryHeaders } from './problem.js';
import { requestContext } from './request-context.js';
import { securityHeaders } from './security-headers.js';

export interface AppDeps {
  issuer: string;
  /** Said in the discovery document; default `live`. */
  mode?: Mode;
  db: Pick<Database, 'query' | 'health'>;
  keys: ServerKeys;
  log: Logger;
  /** Served at `GET /metrics`, and fed every request's duration. */
  metrics: ServerMetrics;
  /** CAISSE_METRICS_TOKEN: when set, `GET /metrics` answers only `Authorization: Bearer <token>`. */
  metricsToken?: string;
  /** What readiness says of the acquirers ({@link acquirersReadiness}). */
  acquirers: AcquirersReadiness;
  /** Adds the domain routes (checkout, hosted pages, merchant API) to the app. */
  routes?: ((app: Hono) => void)[];
}

/**
 * The discovery document: what a merchant's server kit needs to trust this server, and
 * its mode, so that a kit with a key of the other mode refuses it at start-up.
 * @example discoveryDocument('https://pay.example', 'live').payEndpoint // 'https://pay.example/pay'
 */
export function discoveryDocument(issuer: string, mode: Mode = 'live'): DiscoveryDocument {
  return {
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    payEndpoint: `${issuer}/pay`,
    apiBase: `${issuer}/v1`,
    algorithms: [...ALGORITHMS],
    versions: [...SUPPORTED_VERSIONS],
    mode,
  };
}

/** What readiness says of the acquirers (`checks.acquirers`); `empty` is not ready. */
export type AcquirersReadiness = 'ok' | 'none' | 'empty';

/**
 * The acquirers' readiness from what was given (CAISSE_ACQUIRERS, or the server's
 * `acquirers` option): `ok`, at least one, each loaded and checked at start; `none`, nothing
 * given, so the wallet alone pays and bank amounts are declined, as the operator chose;
 * `empty`, a list naming none: a configuration meant to enable the bank that enables
 * nothing, so the instance says it is not ready (a rollout with it stops there).
 * @example acquirersReadiness(options.acquirers ?? config.CAISSE_ACQUIRERS) // 'none' when neither is given
 */
export function acquirersReadiness(given: readonly unknown[] | undefined): AcquirersReadiness {
  if (given === undefined) return 'none';
  return given.length > 0 ? 'ok' : 'empty';
}

/**
 * The payment server's HTTP surface on web-standard Request/Response (Hono): the
 * discovery document, JWKS, health, metrics, then the domain routes; every request gets
 * an id and an access log line; every error becomes `application/problem+json` with a
 * stable code and the request's id, and nothing unexpected leaks its detail.
 * @example serve({ fetch: createApp(deps).fetch, port: 4000 })
 */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.use(requestContext(), accessLog({ log: deps.log, observe: deps.metrics.observeRequest }));
  app.use(securityHeaders({ https: deps.issuer.startsWith('https:') }));
  app.use(closeAfterTooLarge());

  app.get('/.well-known/caisse', (c) => {
    c.header('cache-control', 'public, max-age=300');
    return c.json(discoveryDocument(deps.issuer, deps.mode));
  });
  app.get('/.well-known/jwks.json', async (c) => {
    c.header('cache-control', 'public, max-age=300');
    return c.json(await deps.keys.jwks());
  });
  app.get('/health', async (c) => {
    await deps.db.query('SELECT 1');
    return c.json({ status: 'ok' });
  });
  // Liveness: the process answers. A database outage must not get every instance restarted.
  app.get('/health/live', (c) => c.json({ status: 'ok' }));
  // Readiness: whether this instance can serve payments now; a load balancer sends it none while it says 503.
  app.get('/health/ready', async (c) => {
    const checks = { ...(await readiness(deps.db)), acquirers: deps.acquirers };
    const ready = checks.database === 'ok' && checks.migrations === 'ok' && checks.listener !== 'down' && checks.acquirers !== 'empty';
    return c.json({ status: ready ? 'ready' : 'unavailable', checks }, ready ? 200 : 503);
  });
  metricsRoute({ metrics: deps.metrics, token: deps.metricsToken })(app);

  for (const addRoutes of deps.routes ?? []) addRoutes(app);

  app.notFound(() => problemResponse(new ProblemError('not_found')));
  app.onError((error, c) => {
    const problem = problemOf(error);
    if (problem?.code === 'service_unavailable')
      deps.log.warn('http.database_unavailable', { method: c.req.method, path: c.req.path, error });
    if (problem) return problemResponse(problem, retryHeaders(problem));
    deps.log.error('http.unhandled', { method: c.req.method, path: c.req.path, error });
    return problemResponse(new ProblemError('internal_error'));
  });
  return app;
}

const LATEST_MIGRATION = MIGRATIONS.at(-1)?.version ?? 0;

/**
 * The database reachable, its schema at least as new as this code's (an older one means
 * migrations are pending; a newer one, another instance already upgraded), and the
 * connection that hears other instances' notifications up.
 */
async function readiness(db: AppDeps['db']) {
  const health = await db.health();
  let migrations: 'ok' | 'pending' | 'unknown' = 'unknown';
  if (health.reachable) {
    const { rows } = await db
      .query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations')
      .catch(() => ({ rows: [] as { version: number | null }[] }));
    const version = rows[0]?.version;
    if (version !== undefined) migrations = (version ?? 0) >= LATEST_MIGRATION ? 'ok' : 'pending';
  }
  return { database: health.reachable ? 'ok' : 'unreachable', migrations, listener: health.listener } as const;
}
