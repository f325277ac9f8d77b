import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitedNodeBody } from './node-body.js';
import { ProblemError, problemResponse } from './problem.js';

/** The same route served two ways: by @hono/node-server (the socket read) and by `app.request` (Hono's reading). */
const LIMIT = 64;
const body = limitedNodeBody({ maxSize: LIMIT, tooLarge: () => new ProblemError('body_too_large') });
const app = new Hono();
app.post('/echo', body.limit, async (c) => c.json(await body.read(c)));
app.onError((error) => {
  if (error instanceof ProblemError) return problemResponse(error);
  throw error;
});

const server = createAdaptorServer({ fetch: app.fetch });
let url = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const ways = [
  ['from the socket (@hono/node-server)', (init: RequestInit) => fetch(`${url}/echo`, { method: 'POST', ...init })],
  ['through Hono (app.request)', (init: RequestInit) => Promise.resolve(app.request('/echo', { method: 'POST', ...init }))],
] as const;

describe.each(ways)('limitedNodeBody, %s', (_way, post) => {
  it('reads the body and its content type', async () => {
    const response = await post({ headers: { 'content-type': 'application/json' }, body: '{"ticket":"été"}' });
    expect(await response.json()).toEqual({ text: '{"ticket":"été"}', contentType: 'application/json' });
  });

  it('reads text as Request.text() does: a leading BOM dropped, invalid UTF-8 replaced', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    const response = await post({ headers: { 'content-type': 'application/json' }, body: bytes });
    expect(await response.json()).toMatchObject({ text: '{"a":"\uFFFD"}' });
  });

  it('refuses a body over the limit with body_too_large', async () => {
    const response = await post({ headers: { 'content-type': 'application/json' }, body: 'x'.repeat(LIMIT + 1) });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'body_too_large' });
  });

  it('takes a body of exactly the limit', async () => {
    const response = await post({ headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(LIMIT) });
    expect(await response.json()).toEqual({ text: 'x'.repeat(LIMIT), contentType: 'text/plain' });
  });
});
