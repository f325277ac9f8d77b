import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNotificationHandler, generateKey, memoryReplayStore, staticKeySet } from '@caisse/server-kit';
import { toFastifyPlugin, toKoaMiddleware, toNodeHandler } from '@caisse/server-kit/node';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * The adapters in the real frameworks, on the setups that broke them (issue 16: Fastify
 * dropped JSON POSTs and refused notifications with 415; Koa hung): a body the framework
 * already parsed still reaches the handler byte for byte, or the answer says what to change
 * at once — never a request left hanging. The shops' matrix runs the whole payment.
 */

/** Describes the request the handler got: its exact body and the length it was told. */
async function echo(request: Request): Promise<Response> {
  return Response.json({ method: request.method, body: await request.text(), length: request.headers.get('content-length') });
}

const running: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((stop) => stop()));
});

async function listen(server: Server): Promise<string> {
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  running.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const JOSE = { 'content-type': 'application/jose' };
const JSON_TYPE = { 'content-type': 'application/json' };
/** A JSON body with the spacing a client chose: a parser would not give these bytes back. */
const SPACED = '{ "token" :  "a.b.c" }';

async function post(url: string, headers: Record<string, string>, body: string) {
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('Fastify', () => {
  it('toFastifyPlugin: the handler reads any media type byte for byte (no 415), and the app keeps its JSON parser', async () => {
    const app = Fastify();
    app.post('/elsewhere', async (request) => ({ parsed: request.body }));
    await app.register(toFastifyPlugin('/caisse/notify', echo));
    await app.register(toFastifyPlugin('/caisse/return', echo));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    running.push(() => app.close());

    expect(await post(`${url}/caisse/notify`, JOSE, 'a.b.c')).toEqual({
      status: 200,
      body: { method: 'POST', body: 'a.b.c', length: '5' },
    });
    expect((await post(`${url}/caisse/return`, JSON_TYPE, SPACED)).body).toMatchObject({ body: SPACED });
    expect((await fetch(`${url}/caisse/return?caisse_voucher=x`)).status).toBe(200);
    expect((await post(`${url}/elsewhere`, JSON_TYPE, SPACED)).body).toEqual({ parsed: { token: 'a.b.c' } });
  });

  it('toNodeHandler on request.raw after Fastify parsed the JSON: body_unavailable at once, naming the adapter to use', async () => {
    const app = Fastify();
    const node = toNodeHandler(echo, { onError: () => undefined });
    app.post('/caisse/return', (request, reply) => {
      reply.hijack();
      return node(request.raw, reply.raw);
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    running.push(() => app.close());

    const answer = await post(`${url}/caisse/return`, JSON_TYPE, SPACED);
    expect(answer).toMatchObject({ status: 500, body: { code: 'body_unavailable' } });
    expect(answer.body.detail).toContain('toFastifyPlugin');
  });
});

describe('Koa', () => {
  it('toKoaMiddleware after @koa/bodyparser: the raw JSON it kept, and the notification body it left unread', async () => {
    const router = new Router();
    router.all('/caisse/return', toKoaMiddleware(echo));
    router.post('/caisse/notify', toKoaMiddleware(echo));
    const url = await listen(new Koa().use(bodyParser()).use(router.routes()).listen(0, '127.0.0.1'));

    expect((await post(`${url}/caisse/return`, JSON_TYPE, SPACED)).body).toMatchObject({ body: SPACED, length: String(SPACED.length) });
    expect(await post(`${url}/caisse/notify`, JOSE, 'a.b.c')).toEqual({
      status: 200,
      body: { method: 'POST', body: 'a.b.c', length: '5' },
    });
  });

  it('toNodeHandler awaited by Koa answers in its place (no 404 from Koa), and after a body parser says body_unavailable instead of hanging', async () => {
    const node = toNodeHandler(echo, { onError: () => undefined });
    const router = new Router();
    router.post('/raw', (ctx) => node(ctx.req, ctx.res));
    router.post('/parsed', bodyParser(), (ctx) => node(ctx.req, ctx.res));
    const url = await listen(new Koa().use(router.routes()).listen(0, '127.0.0.1'));

    expect(await post(`${url}/raw`, JOSE, 'a.b.c')).toEqual({ status: 200, body: { method: 'POST', body: 'a.b.c', length: '5' } });
    const parsed = await post(`${url}/parsed`, JSON_TYPE, SPACED);
    expect(parsed).toMatchObject({ status: 500, body: { code: 'body_unavailable' } });
    expect(parsed.body.detail).toContain('toKoaMiddleware');
  });
});

describe('Express', () => {
  it('toNodeHandler after express.json(), express.raw() or express.text(): the token, the exact bytes, the exact text', async () => {
    const app = express();
    app.post('/json', express.json(), toNodeHandler(echo));
    app.post('/raw', express.raw({ type: '*/*' }), toNodeHandler(echo));
    app.post('/text', express.text({ type: '*/*' }), toNodeHandler(echo));
    const url = await listen(app.listen(0, '127.0.0.1'));

    expect((await post(`${url}/json`, JSON_TYPE, SPACED)).body).toMatchObject({ body: '{"token":"a.b.c"}', length: '17' });
    expect((await post(`${url}/raw`, JOSE, 'a.b.c')).body).toMatchObject({ body: 'a.b.c' });
    expect((await post(`${url}/text`, JSON_TYPE, SPACED)).body).toMatchObject({ body: SPACED });
  });
});

describe('Hono', () => {
  it('a notification whose body a middleware already read: 500 body_unavailable, not an empty token', async () => {
    const errors: unknown[] = [];
    const notificationHandler = createNotificationHandler({
      issuer: 'https://pay.example',
      audience: 'shop',
      keys: staticKeySet(generateKey().jwks),
      replayStore: memoryReplayStore(),
      onNotification: () => undefined,
      onError: (error) => errors.push(error),
    });
    const app = new Hono();
    app.post('/caisse/notify', async (c) => {
      await c.req.text(); // e.g. a logging middleware
      return notificationHandler(c.req.raw);
    });
    const response = await app.request('/caisse/notify', { method: 'POST', headers: JOSE, body: 'a.b.c' });
    expect({ status: response.status, body: await response.json() }).toMatchObject({ status: 500, body: { code: 'body_unavailable' } });
    expect(errors).toMatchObject([{ code: 'body_unavailable' }]);
  });
});
