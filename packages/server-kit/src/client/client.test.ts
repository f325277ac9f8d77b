import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AssertionClaims, TOKEN_TYPES } from '@caisse/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { closedPort, type Listening, listen } from '../handlers/__fixtures__/listen.js';
import { verifyJws } from '../jws/verify.js';
import { type GeneratedKey, generateKey } from '../keys/generate.js';
import { staticKeySet } from '../keys/import.js';
import { bodySha256 } from './assertion.js';
import { createMerchantClient, type MerchantClientOptions } from './client.js';
import { isMerchantApiError, isMerchantTransportError, MerchantApiError, MerchantTransportError } from './errors.js';

/**
 * Retries and time-outs against a real local HTTP server that misbehaves on cue: each
 * request takes the next scripted answer. What the payment server itself answers is
 * tested in client.e2e.test.ts.
 */
type Answer = (res: ServerResponse) => void;

interface Received {
  method: string;
  url: string;
  authorization: string;
  idempotencyKey: string | undefined;
  contentType: string | undefined;
  body: Buffer;
}

const problem =
  (status: number, code: string, headers: Record<string, string> = {}): Answer =>
  (res) =>
    res
      .writeHead(status, { 'content-type': 'application/problem+json', ...headers })
      .end(JSON.stringify({ type: 'about:blank', title: code, status, code, detail: `detail of ${code}` }));
const json =
  (value: unknown, status = 200): Answer =>
  (res) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
/** The connection is cut before any answer: the client cannot know whether the request arrived. */
const drop: Answer = (res) => res.socket?.destroy();
const hang: Answer = () => {};

let server: Listening;
let script: Answer[];
let received: Received[];
let key: GeneratedKey;
let options: MerchantClientOptions;

beforeEach(async () => {
  script = [];
  received = [];
  key = generateKey();
  server = await listen((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization ?? '',
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks),
      });
      const answer = script.shift();
      if (answer === undefined) problem(500, 'unscripted')(res);
      else answer(res);
    });
  });
  const origin = server.origin.replace('127.0.0.1', 'localhost');
  options = {
    server: { issuer: origin },
    merchantId: 'bookshop',
    key: key.privateJwk,
    retry: { limit: 2, backoff: 5 },
    timeout: 2_000,
  };
});
afterEach(async () => {
  await server.close();
});

async function claimsOf(request: Received): Promise<AssertionClaims> {
  const [scheme, token] = request.authorization.split(' ');
  expect(scheme).toBe('Caisse-Assertion');
  const { payload } = await verifyJws(token as string, [TOKEN_TYPES.assertion], staticKeySet(key.jwks));
  return payload as AssertionClaims;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}

describe('assertions and idempotency keys', () => {
  it('signs each attempt anew, bound to its method, URL and body, and keeps one Idempotency-Key across a POST’s retries', async () => {
    script = [drop, problem(503, 'internal_error'), json({ ticket: 't-1', state: 'confirming', expiresAt: '2026-03-01T10:05:00Z' }, 202)];
    const client = createMerchantClient(options);
    const result = await client.payments.request({ ticket: { token: 'ticket.jws.token' }, phone: '+33611111111' });
    expect(result).toEqual({ ticket: 't-1', state: 'confirming', expiresAt: '2026-03-01T10:05:00Z' });

    expect(received).toHaveLength(3);
    const keys = new Set(received.map((r) => r.idempotencyKey));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/);
    const claims = await Promise.all(received.map(claimsOf));
    expect(new Set(claims.map((c) => c.jti)).size).toBe(3);
    for (const [index, c] of claims.entries()) {
      const body = received[index]?.body as Buffer;
      expect(JSON.parse(body.toString())).toEqual({ ticket: 'ticket.jws.token', phone: '+33611111111' });
      expect(c).toMatchObject({
        ver: 1,
        iss: 'bookshop',
        aud: (options.server as { issuer: string }).issuer,
        htm: 'POST',
        htu: `${(options.server as { issuer: string }).issuer}/v1/payments`,
        bodySha256: bodySha256(body),
      });
      expect(c.exp - c.iat).toBe(60);
    }
  });

  it('gives each POST its own key, or the caller’s', async () => {
    script = [json({}), json({}), json({})];
    const client = createMerchantClient(options);
    await client.deliveries.create({ id: 'pay_1042' }, { reference: 'TRACK-1' });
    await client.deliveries.create({ id: 'pay_1042' }, { reference: 'TRACK-1' });
    await client.payments.cancel({ id: 'pay_1043' }, {}, { idempotencyKey: 'cancel-order-43' });
    expect(received[0]?.idempotencyKey).not.toBe(received[1]?.idempotencyKey);
    expect(received[2]).toMatchObject({ url: '/v1/payments/pay_1043/cancellation', idempotencyKey: 'cancel-order-43' });
    await expect(client.payments.cancel({ id: 'pay_1043' }, {}, { idempotencyKey: 'has space' })).rejects.toThrow(TypeError);
  });

  it('sends no Idempotency-Key and no bodySha256 on a GET, and puts the query in htu', async () => {
    script = [json({ payments: [], nextAfter: null })];
    const client = createMerchantClient(options);
    await client.payments.list({ from: '2026-03-01T00:00:00+01:00', to: new Date('2026-03-02T00:00:00Z'), limit: 10 });
    const [request] = received as [Received];
    expect(request.idempotencyKey).toBeUndefined();
    expect(request.url).toBe('/v1/payments?from=2026-03-01T00%3A00%3A00%2B01%3A00&to=2026-03-02T00%3A00%3A00.000Z&limit=10');
    const claims = await claimsOf(request);
    expect(claims.htu).toBe(`${(options.server as { issuer: string }).issuer}${request.url}`);
    expect(claims.bodySha256).toBeUndefined();
  });

  it('refuses a path segment that would reach another endpoint, before sending anything', async () => {
    const client = createMerchantClient(options);
    await expect(client.payments.get({ id: '../settlements' })).rejects.toThrow(TypeError);
    await expect(client.payments.get({ id: 'pay_1/../../settlements' })).rejects.toThrow(TypeError);
    // A URL resolves `.` and `..` segments however they are escaped: such an order serial cannot be sent.
    for (const serial of ['.', '..']) await expect(client.payments.get({ serial })).rejects.toThrow(TypeError);
    await expect(client.payments.byTicket('..')).rejects.toThrow(TypeError);
    expect(received).toHaveLength(0);
  });

  it('escapes an order serial as one path segment', async () => {
    script = [json({ id: 'pay_7', serial: 'a/b?c#d%e' })];
    const client = createMerchantClient(options);
    expect(await client.payments.get({ serial: 'a/b?c#d%e' })).toEqual({ id: 'pay_7', serial: 'a/b?c#d%e' });
    expect(received.map((r) => r.url)).toEqual(['/v1/payments/by-serial/a%2Fb%3Fc%23d%25e']);
    expect((await claimsOf(received[0] as Received)).htu).toBe(`${(options.server as { issuer: string }).issuer}${received[0]?.url}`);
  });
});

describe('naming a payment', () => {
  const NOT_A_LOOKUP: unknown[] = [
    '5',
    'pay_5',
    5,
    5n,
    null,
    undefined,
    {},
    { id: '5' },
    { id: 5 },
    { id: 'pay_0' },
    { id: 'pay_05' },
    { id: 'PAY_5' },
    { id: 'pay_9223372036854775808' },
    { serial: 5 },
    { serial: '' },
    { serial: 'has space' },
    { serial: 'x'.repeat(65) },
    { serial: 'é' },
    { id: 'pay_5', serial: '5' },
  ];

  it('refuses anything but { id: pay_… } or { serial } with a TypeError, for every method, before sending anything', async () => {
    const client = createMerchantClient(options);
    for (const lookup of NOT_A_LOOKUP) {
      const named = lookup as never;
      const calls: [string, () => Promise<unknown>][] = [
        ['payments.get', () => client.payments.get(named)],
        ['payments.cancel', () => client.payments.cancel(named)],
        ['deliveries.create', () => client.deliveries.create(named)],
        ['refunds.create', () => client.refunds.create(named, { amount: 1 })],
        ['refunds.list', () => client.refunds.list(named)],
      ];
      for (const [method, call] of calls) {
        const error = await failure(call());
        expect(error, `${method}(${String(JSON.stringify(lookup, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)))})`).toBeInstanceOf(
          TypeError,
        );
        expect((error as TypeError).message).toContain(method);
      }
    }
    // A bare number is refused as a cursor too: nextAfter is a payment id.
    await expect(client.payments.list({ from: '2026-03-01T00:00:00Z', to: '2026-03-02T00:00:00Z', after: '1042' })).rejects.toThrow(
      TypeError,
    );
    expect(received).toHaveLength(0);
  });

  it('by id, acts on that payment at once', async () => {
    script = [json({ id: 'pay_1042' }), json({ payment: 'pay_1042', status: 'voided' }), json({ refunds: [] })];
    const client = createMerchantClient(options);
    await client.payments.get({ id: 'pay_1042' });
    await client.payments.cancel({ id: 'pay_1042' });
    await client.refunds.list({ id: 'pay_1042' });
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /v1/payments/pay_1042',
      'POST /v1/payments/pay_1042/cancellation',
      'GET /v1/payments/pay_1042/refunds',
    ]);
  });

  it('by order serial, looks the payment up first and acts on the id the server gave, the key on the POST only', async () => {
    const payment = { id: 'pay_1042', serial: '6' };
    script = [
      json(payment),
      json({ id: 'rf_1', payment: 'pay_1042', amount: 500, status: 'succeeded' }, 201),
      json(payment),
      json({ payment: 'pay_1042', serial: '6', status: 'released' }),
      json(payment),
      json({ refunds: [] }),
    ];
    const client = createMerchantClient(options);
    expect(await client.refunds.create({ serial: '6' }, { amount: 500 }, { idempotencyKey: 'refund-order-6' })).toMatchObject({
      payment: 'pay_1042',
    });
    expect(await client.deliveries.create({ serial: '6' }, { reference: 'TRACK-6' })).toMatchObject({ payment: 'pay_1042' });
    expect(await client.refunds.list({ serial: '6' })).toEqual([]);
    expect(received.map((r) => `${r.method} ${r.url} ${r.idempotencyKey ?? '-'}`)).toEqual([
      'GET /v1/payments/by-serial/6 -',
      'POST /v1/payments/pay_1042/refunds refund-order-6',
      'GET /v1/payments/by-serial/6 -',
      expect.stringMatching(/^POST \/v1\/payments\/pay_1042\/deliveries [0-9a-f-]{36}$/),
      'GET /v1/payments/by-serial/6 -',
      'GET /v1/payments/pay_1042/refunds -',
    ]);
  });

  it('by order serial, stops at the lookup when the server refuses it, sending no POST', async () => {
    script = [problem(409, 'payment_ambiguous'), problem(404, 'payment_unknown')];
    const client = createMerchantClient(options);
    expect(await failure(client.refunds.create({ serial: '6' }, { amount: 500 }))).toMatchObject({
      status: 409,
      code: 'payment_ambiguous',
    });
    expect(await failure(client.payments.cancel({ serial: '7' }))).toMatchObject({ status: 404, code: 'payment_unknown' });
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /v1/payments/by-serial/6', 'GET /v1/payments/by-serial/7']);
  });
});

describe('resources', () => {
  it('reads a settlement day as JSON or as CSV, by Accept', async () => {
    const csv = 'merchant_id,date\r\nbookshop,2026-03-01\r\n';
    script = [
      json({ merchantId: 'bookshop', date: '2026-03-01', currencies: [] }),
      (res) => res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' }).end(csv),
      json({ merchantId: 'bookshop', date: '2026-03-01', currencies: [] }),
    ];
    const accepts: (string | undefined)[] = [];
    const client = createMerchantClient({
      ...options,
      fetch: (input, init) => {
        accepts.push(new Request(input, init).headers.get('accept') ?? undefined);
        return fetch(input, init);
      },
    });
    expect(await client.settlements.get('2026-03-01')).toEqual({ merchantId: 'bookshop', date: '2026-03-01', currencies: [] });
    expect(await client.settlements.get('2026-03-01', { format: 'csv' })).toBe(csv);
    // JSON where CSV was asked for is not what the endpoint returns.
    expect(await failure(client.settlements.get('2026-03-01', { format: 'csv' }))).toMatchObject({ code: 'response_invalid' });
    expect(accepts).toEqual([
      'application/json, application/problem+json',
      'text/csv, application/problem+json',
      'text/csv, application/problem+json',
    ]);
    expect(received.map((r) => r.url)).toEqual(['/v1/settlements/2026-03-01', '/v1/settlements/2026-03-01', '/v1/settlements/2026-03-01']);
    await expect(client.settlements.get('2026-3-1')).rejects.toThrow(TypeError);
  });

  it('creates and lists refunds', async () => {
    const refund = { id: 'rf_1', payment: 'pay_1042', amount: 500, status: 'succeeded' };
    script = [json(refund, 201), json({ refunds: [refund] })];
    const client = createMerchantClient(options);
    expect(await client.refunds.create({ id: 'pay_1042' }, { amount: 500, reason: 'damaged' })).toEqual(refund);
    expect(await client.refunds.list({ id: 'pay_1042' })).toEqual([refund]);
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /v1/payments/pay_1042/refunds',
      'GET /v1/payments/pay_1042/refunds',
    ]);
    expect(JSON.parse(received[0]?.body.toString() ?? '')).toEqual({ amount: 500, reason: 'damaged' });
  });
});

describe('contents', () => {
  const stored = {
    ref: 'article-42',
    title: 'The tide tables',
    contentType: 'text/html',
    size: 22,
    createdAt: '2026-11-22T10:00:00.000Z',
    updatedAt: '2026-11-22T10:00:00.000Z',
  };

  it('stores a good with PUT: base64url of its UTF-8 bytes, the assertion bound to PUT, the URL and the body, no Idempotency-Key', async () => {
    script = [json(stored)];
    const client = createMerchantClient(options);
    const html = '<h1>Marées à Brest</h1>';
    expect(await client.contents.put('article-42', { title: 'The tide tables', contentType: 'text/html', data: html })).toEqual(stored);
    const [request] = received as [Received];
    expect(request).toMatchObject({
      method: 'PUT',
      url: '/v1/contents/article-42',
      contentType: 'application/json',
      idempotencyKey: undefined,
    });
    const body = JSON.parse(request.body.toString());
    expect(body).toEqual({ title: 'The tide tables', contentType: 'text/html', data: Buffer.from(html, 'utf8').toString('base64url') });
    expect(body.data).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(body.data, 'base64url').toString('utf8')).toBe(html);
    expect(await claimsOf(request)).toMatchObject({
      htm: 'PUT',
      htu: `${(options.server as { issuer: string }).issuer}/v1/contents/article-42`,
      bodySha256: bodySha256(request.body),
    });
  });

  it('sends bytes as they are, a view into a larger buffer included', async () => {
    script = [json({ ...stored, contentType: 'application/octet-stream', size: 4 })];
    const client = createMerchantClient(options);
    const bytes = new Uint8Array([0xaa, 0xff, 0x00, 0xfe, 0xfb, 0x01]).subarray(1, 5);
    await client.contents.put('blob-1', { title: 'Blob', contentType: 'application/octet-stream', data: bytes });
    const body = JSON.parse(received[0]?.body.toString() ?? '');
    expect(body.data).toBe('_wD--w');
    expect([...Buffer.from(body.data, 'base64url')]).toEqual([0xff, 0x00, 0xfe, 0xfb]);
  });

  it('sends a PUT again, signed anew, when its answer was lost: a repeat stores the same good', async () => {
    script = [drop, problem(503, 'internal_error'), json(stored)];
    const client = createMerchantClient(options);
    await client.contents.put('article-42', { title: 'The tide tables', contentType: 'text/html', data: '<p>x</p>' });
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual(Array(3).fill('PUT /v1/contents/article-42'));
    expect(new Set(received.map((r) => r.body.toString())).size).toBe(1);
    const claims = await Promise.all(received.map(claimsOf));
    expect(new Set(claims.map((c) => c.jti)).size).toBe(3);
    expect(received.every((r) => r.idempotencyKey === undefined)).toBe(true);
  });

  it('reads what is stored with GET, never the good', async () => {
    script = [json(stored)];
    const client = createMerchantClient(options);
    expect(await client.contents.get('article-42')).toEqual(stored);
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /v1/contents/article-42']);
    expect(await claimsOf(received[0] as Received)).toMatchObject({ htm: 'GET' });
  });

  it('reports the server’s refusal with its code', async () => {
    script = [problem(404, 'content_unknown')];
    const client = createMerchantClient(options);
    const error = await failure(client.contents.get('article-43'));
    expect(isMerchantApiError(error, 'content_unknown')).toBe(true);
  });

  it('refuses a ref outside the id rule, data of another kind and a good over 512 KiB, before sending anything', async () => {
    const client = createMerchantClient(options);
    const good = { title: 'T', contentType: 'text/plain' as const, data: 'x' };
    for (const ref of ['..', '../payments', 'a/b', '', '-leading', 'x'.repeat(65)]) {
      await expect(client.contents.put(ref, good)).rejects.toThrow(TypeError);
      await expect(client.contents.get(ref)).rejects.toThrow(TypeError);
    }
    await expect(client.contents.put('a', { ...good, data: 42 as unknown as string })).rejects.toThrow(TypeError);
    await expect(client.contents.put('a', { ...good, data: new Uint8Array(512 * 1024 + 1) })).rejects.toThrow(/at most 524288/);
    await expect(client.contents.put('a', { ...good, data: 'é'.repeat(256 * 1024 + 1) })).rejects.toThrow(TypeError);
    expect(received).toHaveLength(0);
  });
});

describe('retry policy', () => {
  it('retries a GET after network errors and 5xx, then gives the answer', async () => {
    script = [drop, problem(502, 'http_error'), json({ id: 'pay_1042' })];
    const client = createMerchantClient(options);
    expect(await client.payments.get({ id: 'pay_1042' })).toEqual({ id: 'pay_1042' });
    expect(received).toHaveLength(3);
  });

  it('never retries a 4xx, and reports the server’s code, detail and issues', async () => {
    script = [
      (res) =>
        res.writeHead(400, { 'content-type': 'application/problem+json' }).end(
          JSON.stringify({
            type: 'about:blank',
            title: 'The request is missing a field or has one of the wrong form.',
            status: 400,
            code: 'request_invalid',
            detail: 'to: must be after from.',
            issues: [{ path: 'to', message: 'must be after from' }],
          }),
        ),
    ];
    const client = createMerchantClient({ ...options, retry: 5 });
    const error = await failure(client.payments.list({ from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' }));
    expect(error).toBeInstanceOf(MerchantApiError);
    expect(error).toMatchObject({
      name: 'MerchantApiError',
      status: 400,
      code: 'request_invalid',
      detail: 'to: must be after from.',
      issues: [{ path: 'to', message: 'must be after from' }],
      attempts: 1,
      idempotencyKey: undefined,
    });
    expect(isMerchantApiError(error, 'request_invalid')).toBe(true);
    expect(isMerchantTransportError(error)).toBe(false);
    expect(received).toHaveLength(1);
  });

  it('retries a 429 only when it carries Retry-After, after waiting that long', async () => {
    script = [problem(429, 'rate_limited')];
    const client = createMerchantClient(options);
    expect(await failure(client.payments.get({ id: 'pay_1' }))).toMatchObject({ status: 429, attempts: 1 });

    script = [problem(429, 'rate_limited', { 'retry-after': '1' }), json({ id: 'pay_1' })];
    const started = performance.now();
    expect(await client.payments.get({ id: 'pay_1' })).toEqual({ id: 'pay_1' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('does not wait for a Retry-After longer than maxRetryAfter', async () => {
    script = [problem(503, 'internal_error', { 'retry-after': '120' })];
    const client = createMerchantClient(options);
    expect(await failure(client.payments.get({ id: 'pay_1' }))).toMatchObject({ status: 503, retryAfter: 120, attempts: 1 });
  });

  it('waits for the original of a POST that is still running (idempotency_in_progress) and gets its answer', async () => {
    script = [problem(409, 'idempotency_in_progress', { 'retry-after': '0' }), json({ status: 'released' })];
    const client = createMerchantClient(options);
    expect(await client.deliveries.create({ id: 'pay_7' })).toEqual({ status: 'released' });
    expect(received[0]?.idempotencyKey).toBe(received[1]?.idempotencyKey);
  });

  it('gives up after the limit with a transport error that carries the POST’s key', async () => {
    script = [drop, drop, drop, json({})];
    const client = createMerchantClient(options);
    const error = await failure(client.payments.cancel({ id: 'pay_5' }, { reason: 'out of stock' }));
    expect(error).toBeInstanceOf(MerchantTransportError);
    expect(error).toMatchObject({ name: 'MerchantTransportError', code: 'network_error', attempts: 3 });
    expect((error as MerchantTransportError).idempotencyKey).toBe(received[0]?.idempotencyKey);
    expect(isMerchantTransportError(error, 'network_error')).toBe(true);
    expect(received).toHaveLength(3);
  });

  it('reports a server that cannot be reached at all', async () => {
    const port = await closedPort();
    const client = createMerchantClient({ ...options, server: { issuer: `http://localhost:${port}` }, retry: 1 });
    expect(await failure(client.payments.get({ id: 'pay_1' }))).toMatchObject({ code: 'network_error', attempts: 2 });
  });

  it('tells an error page without a problem document by its status, and retries it when it is a 5xx', async () => {
    const page: Answer = (res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>');
    script = [page, page, page];
    const client = createMerchantClient(options);
    expect(await failure(client.payments.get({ id: 'pay_1' }))).toMatchObject({ status: 502, code: 'http_error', attempts: 3 });
  });

  it('does not follow a redirect', async () => {
    script = [(res) => res.writeHead(302, { location: 'https://elsewhere.example/v1/payments/pay_1' }).end()];
    const client = createMerchantClient(options);
    expect(await failure(client.payments.get({ id: 'pay_1' }))).toMatchObject({ status: 302, code: 'http_error', attempts: 1 });
  });

  it('refuses a success whose body is not JSON without retrying', async () => {
    script = [(res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>Welcome</p>')];
    const client = createMerchantClient(options);
    expect(await failure(client.payments.get({ id: 'pay_1' }))).toMatchObject({
      name: 'MerchantTransportError',
      code: 'response_invalid',
      attempts: 1,
    });
  });
});

describe('time-outs and cancellation', () => {
  it('times out each attempt, retries, then reports timeout', async () => {
    script = [hang, hang];
    const client = createMerchantClient({ ...options, timeout: 200, retry: 1 });
    const started = performance.now();
    const error = await failure(client.payments.get({ id: 'pay_1' }));
    expect(error).toMatchObject({ name: 'MerchantTransportError', code: 'timeout', attempts: 2 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(380);
    expect(received).toHaveLength(2);
  });

  it('counts the body in the time-out: a response that stalls after its headers times out', async () => {
    script = [
      (res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"id":');
      },
    ];
    const client = createMerchantClient({ ...options, timeout: 200, retry: 0 });
    expect(await failure(client.payments.get({ id: 'pay_1' }))).toMatchObject({ code: 'timeout', attempts: 1 });
  });

  it('takes a per-call time-out', async () => {
    script = [hang];
    const client = createMerchantClient({ ...options, retry: 0 });
    expect(await failure(client.payments.get({ id: 'pay_1' }, { timeout: 100 }))).toMatchObject({ code: 'timeout' });
  });

  it('stops at the caller’s signal, also while waiting to retry, with the signal’s reason', async () => {
    script = [problem(503, 'internal_error', { 'retry-after': '30' })];
    const client = createMerchantClient(options);
    const controller = new AbortController();
    const call = client.payments.get({ id: 'pay_1' }, { signal: controller.signal });
    await vi.waitFor(() => expect(received).toHaveLength(1));
    const reason = new Error('shutting down');
    controller.abort(reason);
    expect(await failure(call)).toBe(reason);
    expect(received).toHaveLength(1);

    await expect(client.payments.get({ id: 'pay_1' }, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(received).toHaveLength(1);
  });
});
