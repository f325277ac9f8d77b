import { discoveryDocument as discoverySchema, parseMessage } from '@caisse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerKeys } from '../keys/service.js';
import { createLogger } from '../log.js';
import { createServerMetrics } from '../metrics/registry.js';
import { deriveKey, generateSecret } from '../secrets.js';
import type { Database } from '../storage/database.js';
import { StorageError } from '../storage/errors.js';
import { openDatabase } from '../storage/open.js';
import { createApp } from './app.js';
import { ProblemError } from './problem.js';

const issuer = 'https://pay.caisse.test';
let db: Database;
let app: ReturnType<typeof createApp>;
const logged: string[] = [];
/** The log lines written so far, parsed. */
const lines = () => logged.map((line) => JSON.parse(line) as Record<string, unknown>);

beforeAll(async () => {
  db = await openDatabase();
  const keys = createServerKeys({ db, sealingKey: deriveKey(generateSecret(), 'key-sealing'), publishDelay: 600 });
  await keys.ensureKey();
  const log = createLogger({ level: 'debug', write: (line) => logged.push(line) });
  app = createApp({
    issuer,
    db,
    keys,
    log,
    metrics: createServerMetrics({ db, log }),
    acquirers: 'ok',
    routes: [
      (routes) => {
        routes.get('/boom', () => {
          throw new Error('database password is hunter2');
        });
        routes.get('/refused', () => {
          throw new ProblemError('request_invalid', 'amount must be a whole number');
        });
        routes.get('/orders/:id', (c) => {
          log.info('order.read', { order: c.req.param('id') });
          return c.json({ id: c.req.param('id') });
        });
        routes.get('/unreachable', () => {
          throw new StorageError('database_unavailable', 'The database is unavailable: connect ECONNREFUSED 10.0.0.7:5432', {
            cause: new Error('connect ECONNREFUSED 10.0.0.7:5432'),
          });
        });
      },
    ],
  });
});
afterAll(async () => {
  await db.close();
});

describe('payment server HTTP surface', () => {
  it('serves a discovery document merchants can validate', async () => {
    const response = await app.request('/.well-known/caisse');
    expect(response.status).toBe(200);
    const document = parseMessage(discoverySchema, await response.json());
    expect(document).toEqual({
      issuer,
      jwksUri: `${issuer}/.well-known/jwks.json`,
      payEndpoint: `${issuer}/pay`,
      apiBase: `${issuer}/v1`,
      algorithms: ['EdDSA', 'ES256'],
      versions: [1],
      mode: 'live',
    });
  });

  it('serves the JWKS with public keys only', async () => {
    const response = await app.request('/.well-known/jwks.json');
    const jwks = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
  });

  it('sets the security headers on every response, errors included', async () => {
    for (const path of ['/health', '/nowhere', '/boom']) {
      const response = await app.request(path);
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000');
    }
    expect((await app.request('/health')).headers.get('cache-control')).toBe('no-store');
  });

  it('answers problems as application/problem+json with a stable code', async () => {
    const missing = await app.request('/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(await missing.json()).toMatchObject({ status: 404, code: 'not_found' });
    const refused = await app.request('/refused');
    expect(await refused.json()).toMatchObject({ status: 400, code: 'request_invalid', detail: 'amount must be a whole number' });
  });

  it('hides the detail of unexpected errors from the client and keeps secrets out of logs', async () => {
    const response = await app.request('/boom');
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(body).toContain('internal_error');
    expect(body).not.toContain('hunter2');
    expect(logged.join('\n')).toContain('http.unhandled');
  });

  it('answers a database out of reach with a retryable 503, logged as a warning and not as a bug', async () => {
    logged.length = 0;
    const response = await app.request('/unreachable');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    const body = (await response.json()) as { code: string; detail: string };
    expect(body).toMatchObject({ status: 503, code: 'service_unavailable' });
    expect(body.detail).not.toContain('10.0.0.7');
    const written = lines().filter((line) => line.event !== 'http.request');
    expect(written.map((line) => line.level)).toEqual(['warn']);
    expect(logged.join('\n')).toContain('http.database_unavailable');
    expect(logged.join('\n')).not.toContain('http.unhandled');
  });

  it('says it is alive without asking the database, and ready once the database answers at the current schema', async () => {
    expect(await (await app.request('/health/live')).json()).toEqual({ status: 'ok' });
    const ready = await app.request('/health/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', migrations: 'ok', listener: 'up', acquirers: 'ok' } });
  });

  it('is not ready while migrations are pending', async () => {
    await db.query('UPDATE schema_migrations SET version = -version WHERE version = (SELECT max(version) FROM schema_migrations)');
    try {
      const ready = await app.request('/health/ready');
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        status: 'unavailable',
        checks: { database: 'ok', migrations: 'pending', listener: 'up', acquirers: 'ok' },
      });
    } finally {
      await db.query('UPDATE schema_migrations SET version = -version WHERE version < 0');
    }
  });

  it('serves a request under the id it came with, echoed in the header, the problem body and every log line it wrote', async () => {
    logged.length = 0;
    const served = await app.request('/orders/42?state=abc', { headers: { 'x-request-id': 'lb-7f3a.2:x' } });
    expect(served.headers.get('x-request-id')).toBe('lb-7f3a.2:x');
    expect(lines()).toEqual([
      expect.objectContaining({ level: 'info', event: 'order.read', order: '42', requestId: 'lb-7f3a.2:x' }),
      {
        time: expect.any(String),
        level: 'info',
        event: 'http.request',
        requestId: 'lb-7f3a.2:x',
        method: 'GET',
        route: '/orders/:id',
        status: 200,
        durationMs: expect.any(Number),
      },
    ]);
    // The access log names the route, never the path with its ids nor the query string.
    expect(logged.join('\n')).not.toContain('state=abc');
    expect(logged.join('\n')).not.toContain('/orders/42');

    const missing = await app.request('/nowhere', { headers: { 'x-request-id': 'support-7' } });
    expect(missing.headers.get('x-request-id')).toBe('support-7');
    expect(await missing.json()).toMatchObject({ status: 404, code: 'not_found', requestId: 'support-7' });
  });

  it('replaces an id that is too long or holds other characters with a fresh one, the same everywhere', async () => {
    const seen = new Set<string>();
    for (const presented of ['x'.repeat(129), 'two words', 'quote"d', 'back\\slash', '']) {
      logged.length = 0;
      const response = await app.request('/refused', { headers: { 'x-request-id': presented } });
      const id = response.headers.get('x-request-id') ?? '';
      expect(id).toMatch(/^req_[A-Za-z0-9_-]{16}$/);
      expect(await response.json()).toMatchObject({ code: 'request_invalid', requestId: id });
      expect(lines()).toEqual([expect.objectContaining({ event: 'http.request', requestId: id, route: '/refused', status: 400 })]);
      seen.add(id);
    }
    expect(seen.size).toBe(5);
  });

  it('logs health and metrics probes at debug, so they do not bury the requests that matter', async () => {
    logged.length = 0;
    for (const path of ['/health', '/health/live', '/health/ready', '/metrics']) await app.request(path);
    expect(lines().map(({ level, route }) => ({ level, route }))).toEqual([
      { level: 'debug', route: '/health' },
      { level: 'debug', route: '/health/live' },
      { level: 'debug', route: '/health/ready' },
      { level: 'debug', route: '/metrics' },
    ]);
  });

  it('logs an unexpected error with its stack and the id of the request it broke', async () => {
    logged.length = 0;
    const response = await app.request('/boom', { headers: { 'x-request-id': 'broken-1' } });
    const unhandled = lines().find((line) => line.event === 'http.unhandled') as { requestId: string; error: Record<string, string> };
    expect(unhandled.requestId).toBe('broken-1');
    expect(unhandled.error.stack).toMatch(/^Error: database password is hunter2\n\s+at .*app\.test\.ts/);
    expect(await response.json()).toMatchObject({ code: 'internal_error', requestId: 'broken-1' });
  });
});
