import { ALGORITHMS, type DiscoveryDocument, type Mode, SUPPORTED_VERSIONS } from '@caisse/protocol';
import { Hono } from 'hono';
import type { ServerKeys } from '../keys/service.js';
import type { Logger } from '../log.js';
import type { Queryable } from '../storage/database.js';
import { closeAfterTooLarge } from './close-after-too-large.js';
import { ProblemError, problemResponse } from './problem.js';
import { securityHeaders } from './security-headers.js';

export interface AppDeps {
  issuer: string;
  /** Said in the discovery document; default `live`. */
  mode?: Mode;
  db: Queryable;
  keys: ServerKeys;
  log: Logger;
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

/**
 * The payment server's HTTP surface on web-standard Request/Response (Hono): the
 * discovery document, JWKS, health, then the domain routes; every error becomes
 * `application/problem+json` with a stable code, and nothing unexpected leaks its detail.
 * @example serve({ fetch: createApp(deps).fetch, port: 4000 })
 */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
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

  for (const addRoutes of deps.routes ?? []) addRoutes(app);

  app.notFound(() => problemResponse(new ProblemError('not_found')));
  app.onError((error, c) => {
    if (error instanceof ProblemError) return problemResponse(error);
    deps.log.error('http.unhandled', { method: c.req.method, path: c.req.path, error });
    return problemResponse(new ProblemError('internal_error'));
  });
  return app;
}
