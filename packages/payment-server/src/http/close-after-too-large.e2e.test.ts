import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../__fixtures__/payment-server.js';
import { API_BODY_LIMIT } from '../api/routes.js';
import { DEVICE_BODY_LIMIT } from '../devices/routes.js';

let shop: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  shop = await startTestServer();
});
afterAll(async () => {
  await shop?.close();
});

interface Answer {
  status: number;
  connection: string | undefined;
  /** The client side's port: the same on two answers means one connection carried both. */
  localPort: number | undefined;
}

/** One request through `agent`, its body written in two pieces: with Content-Length, or chunked when `chunked`. */
function send(agent: Agent, path: string, body?: { text: string; type: string; chunked: boolean }): Promise<Answer> {
  const { hostname, port } = new URL(shop.url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = body
      ? { 'content-type': body.type, ...(body.chunked ? {} : { 'content-length': String(Buffer.byteLength(body.text)) }) }
      : {};
    const outgoing = request({ agent, hostname, port, path, method: body ? 'POST' : 'GET', headers }, (response) => {
      response.resume();
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, connection: response.headers.connection, localPort: outgoing.socket?.localPort }),
      );
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    if (body) {
      const half = Math.floor(body.text.length / 2);
      outgoing.write(body.text.slice(0, half));
      outgoing.end(body.text.slice(half));
    } else outgoing.end();
  });
}

// Far over each limit (64 KiB), and more than @hono/node-server drains before dropping the connection.
const OVERSIZED = 2 * 1024 * 1024;

const endpoints = [
  {
    name: 'a hosted-page form (POST /pay)',
    path: '/pay',
    type: 'application/x-www-form-urlencoded',
    text: `ticket=${'a'.repeat(OVERSIZED)}`,
  },
  {
    name: 'the merchant API',
    path: '/v1/payments/pay_1/refunds',
    type: 'application/json',
    text: JSON.stringify({ amount: 1, reason: 'r'.repeat(Math.max(OVERSIZED, API_BODY_LIMIT + 1)) }),
  },
  {
    // Read from the socket by its own limit (node-body.ts), not through Hono's bodyLimit.
    name: 'an allowance charge (POST /v1/allowances/charges)',
    path: '/v1/allowances/charges',
    type: 'application/json',
    text: JSON.stringify({ ticket: 't'.repeat(Math.max(OVERSIZED, API_BODY_LIMIT + 1)) }),
  },
  {
    name: 'the device API',
    path: '/device/pin',
    type: 'application/json',
    text: JSON.stringify({ pinProof: 'p'.repeat(Math.max(OVERSIZED, DEVICE_BODY_LIMIT + 1)), pinVerifier: 'v' }),
  },
];

describe('a body over the limit, on a kept-alive connection', () => {
  describe.each(endpoints)('$name', ({ path, type, text }) => {
    it.each([
      ['declared by Content-Length', false],
      ['sent chunked', true],
    ])('answers 413 and closes the connection, so the next request succeeds on a new one (%s)', async (_how, chunked) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const refused = await send(agent, path, { text, type, chunked });
        expect(refused).toMatchObject({ status: 413, connection: 'close' });
        const next = await send(agent, '/health');
        expect(next.status).toBe(200);
        expect(next.localPort).not.toBe(refused.localPort);
      } finally {
        agent.destroy();
      }
    });
  });

  it('keeps the connection of a request refused for anything else', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const refused = await send(agent, '/pay', { text: 'ticket=not-a-ticket', type: 'application/x-www-form-urlencoded', chunked: false });
      expect(refused.status).toBe(400);
      expect(refused.connection).toBe('keep-alive');
      const next = await send(agent, '/health');
      expect(next).toMatchObject({ status: 200, localPort: refused.localPort });
    } finally {
      agent.destroy();
    }
  });
});
