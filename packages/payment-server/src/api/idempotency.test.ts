import { Hono } from 'hono';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProblemError, problemResponse } from '../http/problem.js';
import type { Database } from '../storage/database.js';
import { openTestDatabase, type TestDatabase, testDrivers } from '../storage/test-support.js';
import type { ApiEnv } from './context.js';
import { IDEMPOTENCY_LEASE, IDEMPOTENCY_RETENTION, idempotency, requestFingerprint } from './idempotency.js';
import { createIdempotencyStore } from './idempotency-store.js';

const drivers = await testDrivers('api idempotency');

function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/**
 * A test-only API: a stand-in for `merchantAssertion` (the merchant comes from a header),
 * the idempotency middleware, and a refund-like POST endpoint that counts its executions
 * and can be held at a gate, answer 201, 404, 400 or fail.
 */
function testApp(db: Database, clock: { now: Date }, options: { twice?: boolean } = {}) {
  const state = { runs: 0, hold: undefined as Promise<void> | undefined, started: gate() };
  const app = new Hono<ApiEnv>();
  const middleware = idempotency({ db, now: () => clock.now });
  app.use('*', async (c, next) => {
    c.set('merchantId', c.req.header('x-merchant') ?? 'shop-a');
    await next();
  });
  app.use('*', middleware);
  if (options.twice) app.use('*', idempotency({ db, now: () => clock.now }));
  app.post('/v1/refunds', async (c) => {
    state.runs++;
    const run = state.runs;
    state.started.open();
    if (run === 1 && state.hold) await state.hold;
    const body = (await c.req.json()) as { amount?: unknown; outcome?: string };
    if (body.outcome === 'crash') throw new Error('the database went away');
    if (body.outcome === 'unknown') throw new ProblemError('payment_unknown');
    if (typeof body.amount !== 'number') throw new ProblemError('request_invalid', 'amount: must be a number.');
    return c.json({ refund: `r-${run}`, amount: body.amount, key: c.get('idempotencyKey') }, 201, { location: `/v1/refunds/r-${run}` });
  });
  app.get('/v1/refunds', (c) => c.json({ runs: state.runs }));
  app.onError((error) => problemResponse(error instanceof ProblemError ? error : new ProblemError('internal_error')));

  const post = async (key: string | undefined, body: unknown, init: { merchant?: string; path?: string } = {}): Promise<Response> =>
    app.request(init.path ?? '/v1/refunds', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key === undefined ? {} : { 'idempotency-key': key }),
        ...(init.merchant ? { 'x-merchant': init.merchant } : {}),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { app, state, post };
}

let keys = 0;
const newKey = () => `key-${++keys}-${Math.random().toString(36).slice(2)}`;

describe.each(drivers)('idempotency middleware on %s', (driver) => {
  let handle: TestDatabase;
  let db: Database;
  const clock = { now: new Date('2026-05-01T12:00:00Z') };
  let api: ReturnType<typeof testApp>;

  beforeAll(async () => {
    handle = await openTestDatabase(driver, 'api_idempotency');
    db = handle.db;
  });
  afterAll(() => handle.close());
  beforeEach(() => {
    api = testApp(db, clock);
  });

  const rows = async (key: string) =>
    (await db.query<{ state: string }>('SELECT state FROM api_idempotency_keys WHERE key = $1', [key])).rows.map((row) => row.state);

  it('runs a new key once and replays its response (status, headers, body) with Idempotent-Replayed', async () => {
    const key = newKey();
    const first = await api.post(key, { amount: 500 });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const firstBody = await first.text();

    const again = await api.post(key, { amount: 500 });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe('/v1/refunds/r-1');
    expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(await again.text()).toBe(firstBody);
    expect(JSON.parse(firstBody)).toEqual({ refund: 'r-1', amount: 500, key });
    expect(api.state.runs).toBe(1);
    expect(await rows(key)).toEqual(['completed']);
  });

  it('refuses the same key with another body or another path: idempotency_conflict, 422', async () => {
    const key = newKey();
    expect((await api.post(key, { amount: 500 })).status).toBe(201);
    for (const response of [await api.post(key, { amount: 501 }), await api.post(key, { amount: 500 }, { path: '/v1/refunds?x=1' })]) {
      expect(response.status).toBe(422);
      expect(((await response.json()) as { code: string }).code).toBe('idempotency_conflict');
    }
    // Byte for byte: the same JSON written differently is another body.
    expect((await api.post(key, '{"amount": 500}')).status).toBe(422);
    expect(api.state.runs).toBe(1);
  });

  it('requires a well-formed key on POST, and stores nothing without one', async () => {
    const missing = await api.post(undefined, { amount: 1 });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ code: 'idempotency_key_missing' });
    expect((await api.post('', { amount: 1 })).status).toBe(400);
    for (const key of ['has space', 'x'.repeat(256), 'clé']) {
      const response = await api.post(key, { amount: 1 });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'request_invalid', issues: [{ path: 'Idempotency-Key' }] });
    }
    expect((await api.post('x'.repeat(255), { amount: 1 })).status).toBe(201);
    expect(api.state.runs).toBe(1);
  });

  it('leaves GET alone: no key needed, nothing stored', async () => {
    const before = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM api_idempotency_keys')).rows[0]?.n;
    const response = await api.app.request('/v1/refunds');
    expect(response.status).toBe(200);
    expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM api_idempotency_keys')).rows[0]?.n).toBe(before);
  });

  it('keeps keys per merchant', async () => {
    const key = newKey();
    expect((await api.post(key, { amount: 5 }, { merchant: 'shop-a' })).status).toBe(201);
    const other = await api.post(key, { amount: 7 }, { merchant: 'shop-b' });
    expect(other.status).toBe(201);
    expect(other.headers.get('idempotent-replayed')).toBeNull();
    expect(api.state.runs).toBe(2);
  });

  it('answers idempotency_in_progress (409, Retry-After) while the first request runs, then replays it', async () => {
    const key = newKey();
    const held = gate();
    api.state.hold = held.promise;
    const first = api.post(key, { amount: 300 });
    // The endpoint runs only once the key is held.
    await api.state.started.promise;
    expect(await rows(key)).toEqual(['in_progress']);
    const second = await api.post(key, { amount: 300 });
    expect(second.status).toBe(409);
    expect(second.headers.get('retry-after')).toBe('1');
    expect(await second.json()).toMatchObject({ code: 'idempotency_in_progress' });
    held.open();
    expect((await first).status).toBe(201);
    const third = await api.post(key, { amount: 300 });
    expect(third.headers.get('idempotent-replayed')).toBe('true');
    expect(api.state.runs).toBe(1);
  });

  it('runs exactly one of 10 concurrent requests with one key: the database decides', async () => {
    const key = newKey();
    const held = gate();
    api.state.hold = held.promise;
    let answered = 0;
    const requests = Array.from({ length: 10 }, () =>
      api.post(key, { amount: 900 }).then((response) => {
        // The one execution is held until the nine others have their answer.
        if (++answered === 9) held.open();
        return response;
      }),
    );
    const responses = await Promise.all(requests);
    expect(responses.map((response) => response.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    expect(api.state.runs).toBe(1);
    expect((await api.post(key, { amount: 900 })).headers.get('idempotent-replayed')).toBe('true');
  });

  it('does not keep a 5xx or a 400: the key is released and a retry runs again', async () => {
    const crashed = newKey();
    expect((await api.post(crashed, { outcome: 'crash' })).status).toBe(500);
    expect(await rows(crashed)).toEqual([]);
    expect((await api.post(crashed, { outcome: 'crash' })).status).toBe(500);
    expect(api.state.runs).toBe(2);

    const invalid = newKey();
    expect((await api.post(invalid, { amount: 'ten' })).status).toBe(400);
    expect(await rows(invalid)).toEqual([]);
    // Corrected under the same key.
    expect((await api.post(invalid, { amount: 10 })).status).toBe(201);
  });

  it('keeps a decided 4xx and replays it', async () => {
    const key = newKey();
    expect((await api.post(key, { outcome: 'unknown' })).status).toBe(404);
    const again = await api.post(key, { outcome: 'unknown' });
    expect(again.status).toBe(404);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toMatchObject({ code: 'payment_unknown' });
    expect(api.state.runs).toBe(1);
  });

  it('keeps a key 24 h: then it is new again, and purged', async () => {
    const key = newKey();
    expect((await api.post(key, { amount: 1 })).status).toBe(201);
    clock.now = new Date(clock.now.getTime() + (IDEMPOTENCY_RETENTION - 1) * 1000);
    expect((await api.post(key, { amount: 2 })).status).toBe(422);
    clock.now = new Date(clock.now.getTime() + 1000);
    // Past its retention the key is treated as absent, even with another body.
    const reused = await api.post(key, { amount: 2 });
    expect(reused.status).toBe(201);
    expect(reused.headers.get('idempotent-replayed')).toBeNull();

    const forgotten = newKey();
    expect((await api.post(forgotten, { amount: 3 })).status).toBe(201);
    clock.now = new Date(clock.now.getTime() + IDEMPOTENCY_RETENTION * 1000);
    // A fresh middleware purges on its first request; the expired rows go.
    api = testApp(db, clock);
    expect((await api.post(newKey(), { amount: 4 })).status).toBe(201);
    expect(await rows(forgotten)).toEqual([]);
    expect(await rows(key)).toEqual([]);
  });

  it('lets a retry take over a key whose execution died, once its lease has run out; the dead one cannot complete', async () => {
    const key = newKey();
    const store = createIdempotencyStore(db);
    // The request the middleware will see: same method, path and body.
    const fingerprint = requestFingerprint('POST', 'http://localhost/v1/refunds', new TextEncoder().encode('{"amount":42}'));
    const dead = await store.claim({ merchantId: 'shop-a', key, fingerprint, now: clock.now, lease: IDEMPOTENCY_LEASE, retention: 86_400 });
    expect(dead.outcome).toBe('acquired');
    clock.now = new Date(clock.now.getTime() + (IDEMPOTENCY_LEASE - 1) * 1000);
    expect((await api.post(key, { amount: 42 })).status).toBe(409);
    expect((await api.post(key, { amount: 43 })).status).toBe(422);
    clock.now = new Date(clock.now.getTime() + 1000);
    expect((await api.post(key, { amount: 42 })).status).toBe(201);
    expect(api.state.runs).toBe(1);
    const owner = dead.outcome === 'acquired' ? dead.owner : '';
    expect(await store.complete('shop-a', key, owner, { status: 200, headers: {}, body: new Uint8Array() })).toBe(false);
    expect((await api.post(key, { amount: 42 })).headers.get('idempotent-replayed')).toBe('true');
  });

  it('steps aside when applied twice to one request', async () => {
    const twice = testApp(db, clock, { twice: true });
    const key = newKey();
    expect((await twice.post(key, { amount: 8 })).status).toBe(201);
    expect((await twice.post(key, { amount: 8 })).headers.get('idempotent-replayed')).toBe('true');
    expect(twice.state.runs).toBe(1);
  });
});
