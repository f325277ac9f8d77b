import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type Listening, listen } from './handlers/__fixtures__/listen.js';
import { type FastifyLike, type KoaContextLike, type NodeHandlerOptions, toFastifyPlugin, toKoaMiddleware, toNodeHandler } from './node.js';

let server: Listening | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A handler that describes the request it got. */
async function echo(request: Request): Promise<Response> {
  return Response.json({ url: request.url, method: request.method, body: await request.text(), cookie: request.headers.get('cookie') });
}

async function serve(handler: (request: Request) => Response | Promise<Response>, options?: NodeHandlerOptions): Promise<Listening> {
  server = await listen(toNodeHandler(handler, options));
  return server;
}

/** node:http rather than fetch, to send headers fetch will not (a bad Host), and to read raw ones. */
function raw(origin: string, options: { path?: string; method?: string; headers?: Record<string, string>; body?: string }) {
  const { hostname, port } = new URL(origin);
  return new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>((resolve, reject) => {
    const req = httpRequest(
      { hostname, port, path: options.path ?? '/', method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('toNodeHandler', () => {
  it('builds the absolute URL from the Host header and passes method, headers and body', async () => {
    const { origin } = await serve(echo);
    const response = await fetch(`${origin}/caisse/return?a=1`, { method: 'POST', body: 'hello', headers: { cookie: 'caisse_state=abc' } });
    expect(await response.json()).toEqual({
      url: `${origin}/caisse/return?a=1`,
      method: 'POST',
      body: 'hello',
      cookie: 'caisse_state=abc',
    });
  });

  it('uses the configured origin over the Host header', async () => {
    const { origin } = await serve(echo, { origin: 'https://shop.example/' });
    expect(((await (await fetch(`${origin}/paid`)).json()) as { url: string }).url).toBe('https://shop.example/paid');
  });

  it('believes X-Forwarded-Proto and -Host only with trustProxy', async () => {
    const forwarded = { 'x-forwarded-proto': 'https, http', 'x-forwarded-host': 'shop.example, proxy.internal' };
    const { origin } = await serve(echo);
    expect(JSON.parse((await raw(origin, { path: '/paid', headers: forwarded })).body).url).toBe(`${origin}/paid`);
    await server?.close();
    const trusting = await serve(echo, { trustProxy: true });
    expect(JSON.parse((await raw(trusting.origin, { path: '/paid', headers: forwarded })).body).url).toBe('https://shop.example/paid');
  });

  it('refuses a request whose Host is not a host name (400 problem)', async () => {
    let called = false;
    const { origin } = await serve(() => {
      called = true;
      return new Response('ok');
    });
    const response = await raw(origin, { headers: { host: 'shop.example/evil?' } });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body)).toMatchObject({ code: 'message_invalid' });
    expect(called).toBe(false);
  });

  it('keeps Express mount paths: the handler sees originalUrl', async () => {
    const node = toNodeHandler(echo);
    server = await listen((req: IncomingMessage & { originalUrl?: string }, res: ServerResponse) => {
      req.originalUrl = req.url;
      req.url = '/return';
      node(req, res);
    });
    expect(((await (await fetch(`${server.origin}/caisse/return?x=1`)).json()) as { url: string }).url).toBe(
      `${server.origin}/caisse/return?x=1`,
    );
  });

  it('takes a body an Express parser already read', async () => {
    const node = toNodeHandler(echo);
    server = await listen((req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        req.body = JSON.parse(Buffer.concat(chunks).toString());
        node(req, res);
      });
    });
    const response = await fetch(`${server.origin}/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"token":"t"}',
    });
    expect(((await response.json()) as { body: string }).body).toBe('{"token":"t"}');
  });

  it('passes a body read from the socket on as sent, with its Content-Encoding', async () => {
    const { origin } = await serve(async (request) =>
      Response.json({
        body: await request.text(),
        length: request.headers.get('content-length'),
        encoding: request.headers.get('content-encoding'),
      }),
    );
    const response = await raw(origin, {
      method: 'POST',
      headers: { 'content-encoding': 'identity', 'transfer-encoding': 'chunked' },
      body: 'a.b.c',
    });
    expect(JSON.parse(response.body)).toEqual({ body: 'a.b.c', length: '5', encoding: 'identity' });
  });

  it('prefers the raw copy a parser kept over what it parsed, and describes the body it passes on', async () => {
    const node = toNodeHandler(async (request) =>
      Response.json({
        body: await request.text(),
        length: request.headers.get('content-length'),
        encoding: request.headers.get('content-encoding'),
      }),
    );
    server = await listen((req: IncomingMessage & { body?: unknown; rawBody?: unknown }, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        req.rawBody = Buffer.concat(chunks);
        req.body = { token: 'reparsed' };
        node(req, res);
      });
    });
    const sent = '{ "token" : "t" }';
    const response = await raw(server.origin, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'identity' },
      body: sent,
    });
    expect(JSON.parse(response.body)).toEqual({ body: sent, length: String(sent.length), encoding: null });
  });

  it('re-serialises a parsed JSON body when no raw copy was kept, with its own length, also after the request was torn down', async () => {
    const node = toNodeHandler(async (request) =>
      Response.json({ body: await request.text(), length: request.headers.get('content-length') }),
    );
    let destroyedBefore: boolean | undefined;
    server = await listen(async (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
      // As Koa's body parsers read: to the end, asynchronously; Node then destroys the request.
      for await (const _chunk of req);
      destroyedBefore = req.destroyed;
      req.body = { token: 'héllo' };
      void node(req, res);
    });
    const response = await fetch(`${server.origin}/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{\n  "token": "héllo"\n}',
    });
    expect(await response.json()).toEqual({ body: '{"token":"héllo"}', length: String(Buffer.byteLength('{"token":"héllo"}')) });
    expect(destroyedBefore).toBe(true);
  });

  it('answers 500 body_unavailable, telling onError, when a parser read the body and kept no copy: it never waits for a body that is gone', async () => {
    let called = false;
    const reported: unknown[] = [];
    const node = toNodeHandler(
      () => {
        called = true;
        return new Response('ok');
      },
      { onError: (error) => reported.push(error) },
    );
    let settled: Promise<void> | undefined;
    server = await listen((req, res) => {
      req.resume();
      req.on('end', () => {
        settled = node(req, res);
      });
    });
    const response = await fetch(`${server.origin}/caisse/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose' },
      body: 'a.b.c',
    });
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await response.json()) as { code: string; detail: string };
    expect(problem.code).toBe('body_unavailable');
    expect(problem.detail).toContain('toKoaMiddleware');
    await expect(settled).resolves.toBeUndefined();
    expect(called).toBe(false);
    expect(reported).toMatchObject([{ code: 'body_unavailable' }]);
  });

  it('settles its promise only once the response is sent, so Koa-style callers can await it', async () => {
    const node = toNodeHandler(async () => new Response('done'));
    let finishedWhenSettled: Promise<boolean> | undefined;
    server = await listen((req, res) => {
      finishedWhenSettled = node(req, res).then(() => res.writableFinished);
    });
    expect(await (await fetch(`${server.origin}/`)).text()).toBe('done');
    expect(await finishedWhenSettled).toBe(true);
  });

  it('answers 413 to a body over maxBodyBytes, declared or streamed, without calling the handler', async () => {
    let called = false;
    const { origin } = await serve(
      () => {
        called = true;
        return new Response('ok');
      },
      { maxBodyBytes: 1_000 },
    );
    const declared = await fetch(`${origin}/notify`, { method: 'POST', body: 'x'.repeat(1_001) });
    expect(declared.status).toBe(413);
    expect(declared.headers.get('cache-control')).toBe('no-store');
    expect(await declared.json()).toMatchObject({ status: 413, code: 'token_too_large' });

    const chunked = await raw(origin, {
      path: '/notify',
      method: 'POST',
      headers: { 'transfer-encoding': 'chunked' },
      body: 'y'.repeat(1_500),
    });
    expect(chunked.status).toBe(413);
    expect(called).toBe(false);
  });

  it('drops a request whose client hangs up mid-upload, without calling the handler or reporting', async () => {
    let calls = 0;
    const reported: unknown[] = [];
    const { origin } = await serve(
      () => {
        calls++;
        return new Response('ok');
      },
      { onError: (error) => reported.push(error) },
    );
    const { hostname, port } = new URL(origin);
    await new Promise<void>((resolve) => {
      const req = httpRequest({ hostname, port, method: 'POST', path: '/notify', headers: { 'content-length': '500' } });
      req.on('error', () => resolve());
      req.write('x'.repeat(100), () => req.destroy());
    });
    const after = await fetch(`${origin}/notify`, { method: 'POST', body: 'fine' });
    expect(after.status).toBe(200);
    expect(reported).toEqual([]);
    expect(calls).toBe(1);
  });

  it('streams the response back, keeping every Set-Cookie and the status', async () => {
    const { origin } = await serve(() => {
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const part of ['one ', 'two ', 'three']) controller.enqueue(encoder.encode(part));
          controller.close();
        },
      });
      const headers = new Headers({ 'content-type': 'text/plain' });
      headers.append('set-cookie', 'a=1; Path=/; HttpOnly');
      headers.append('set-cookie', 'b=2; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT');
      return new Response(body, { status: 201, headers });
    });
    const response = await raw(origin, {});
    expect(response.status).toBe(201);
    expect(response.body).toBe('one two three');
    expect(response.headers['set-cookie']).toEqual(['a=1; Path=/; HttpOnly', 'b=2; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT']);
  });

  it('passes redirects through untouched', async () => {
    const { origin } = await serve(() => new Response(null, { status: 303, headers: { location: '/paid' } }));
    const response = await fetch(`${origin}/paid?caisse_voucher=x`, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/paid');
  });

  it('answers 500 without details when the handler throws, and tells onError', async () => {
    const reported: unknown[] = [];
    const { origin } = await serve(
      () => {
        throw new Error('secret connection string postgres://admin:hunter2@db');
      },
      { onError: (error) => reported.push(error) },
    );
    const response = await fetch(`${origin}/x`);
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(body).not.toContain('hunter2');
    expect(JSON.parse(body)).toEqual({ type: 'about:blank', title: 'Internal Server Error', status: 500 });
    expect(reported).toHaveLength(1);
  });

  it('sends no body for HEAD', async () => {
    const { origin } = await serve(() => new Response('body', { headers: { 'content-type': 'text/plain' } }));
    const response = await raw(origin, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.body).toBe('');
  });

  it('refuses an origin option that is not a bare origin', () => {
    expect(() => toNodeHandler(echo, { origin: 'https://shop.example/app' })).toThrow(TypeError);
    expect(() => toNodeHandler(echo, { origin: 'ftp://shop.example' })).toThrow(TypeError);
    expect(() => toNodeHandler(echo, { maxBodyBytes: -1 })).toThrow(TypeError);
    expect(() => toKoaMiddleware(echo, { maxBodyBytes: 1.5 })).toThrow(TypeError);
    expect(() => toFastifyPlugin('/x', echo, { origin: 'https://shop.example/app' })).toThrow(TypeError);
  });
});

// The real frameworks run these adapters in examples/frameworks; here, the contract each relies on.
describe('toKoaMiddleware', () => {
  /** What Koa hands a middleware: Node's pair, the URL before any mount, its request object. */
  function koaContext(req: IncomingMessage, res: ServerResponse, request: object = {}): KoaContextLike {
    return { req, res, originalUrl: req.url ?? '/', request };
  }

  it('takes over the response (ctx.respond = false) and settles once it is sent', async () => {
    const middleware = toKoaMiddleware(echo);
    let ctx: KoaContextLike | undefined;
    let finishedFirst: boolean | undefined;
    server = await listen((req, res) => {
      ctx = koaContext(req, res);
      void middleware(ctx).then(() => {
        finishedFirst = res.writableFinished;
      });
    });
    const response = await fetch(`${server.origin}/caisse/notify`, { method: 'POST', body: 'a.b.c', headers: { cookie: 'x=1' } });
    expect(await response.json()).toEqual({ url: `${server.origin}/caisse/notify`, method: 'POST', body: 'a.b.c', cookie: 'x=1' });
    expect(ctx?.respond).toBe(false);
    expect(finishedFirst).toBe(true);
  });

  it('uses the raw body a Koa body parser kept, else its parsed body, and the URL before a mount', async () => {
    const middleware = toKoaMiddleware(echo);
    server = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const request = req.url === '/raw' ? { rawBody: text, body: JSON.parse(text) } : { body: JSON.parse(text) };
        const ctx = koaContext(req, res, request);
        ctx.originalUrl = `/shop${req.url}`;
        void middleware(ctx);
      });
    });
    const post = (path: string) =>
      fetch(`${server?.origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{ "token": "t" }' });
    expect(await (await post('/raw')).json()).toMatchObject({ url: `${server.origin}/shop/raw`, body: '{ "token": "t" }' });
    expect(await (await post('/parsed')).json()).toMatchObject({ url: `${server.origin}/shop/parsed`, body: '{"token":"t"}' });
  });
});

describe('toFastifyPlugin', () => {
  /** A stand-in for a Fastify scope that records what the plugin registers on it. */
  function fastifyScope() {
    const scope = {
      parsers: [] as string[],
      removed: false,
      parser: undefined as Parameters<FastifyLike['addContentTypeParser']>[1] | undefined,
      routes: new Map<string, Parameters<FastifyLike['all']>[1]>(),
    };
    const app: FastifyLike = {
      removeAllContentTypeParsers: () => {
        scope.removed = true;
      },
      addContentTypeParser: (type, parser) => {
        scope.parsers.push(type);
        scope.parser = parser;
      },
      all: (url, handler) => {
        scope.routes.set(url, handler);
      },
    };
    return { scope, app };
  }

  it('replaces every parser of its own scope by one that leaves the body on the socket, and answers on the hijacked reply', async () => {
    const { scope, app } = fastifyScope();
    await toFastifyPlugin('/caisse/notify', echo)(app);
    expect(scope.removed).toBe(true);
    expect(scope.parsers).toEqual(['*']);
    const route = scope.routes.get('/caisse/notify');
    let hijacked = false;
    server = await listen((req, res) => {
      // As Fastify does: the parser first, then the route handler with the request and reply.
      scope.parser?.({}, req, (error, body) => {
        expect(error).toBeNull();
        expect(body).toBeUndefined();
        expect(req.readableDidRead).toBe(false);
        void route?.(
          { raw: req, body },
          {
            raw: res,
            hijack: () => {
              hijacked = true;
            },
          },
        );
      });
    });
    const response = await fetch(`${server.origin}/caisse/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose' },
      body: 'a.b.c',
    });
    expect(await response.json()).toMatchObject({ url: `${server.origin}/caisse/notify`, body: 'a.b.c' });
    expect(hijacked).toBe(true);
  });
});
