import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type Listening, listen } from './handlers/__fixtures__/listen.js';
import { type NodeHandlerOptions, toNodeHandler } from './node.js';

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
  });
});
