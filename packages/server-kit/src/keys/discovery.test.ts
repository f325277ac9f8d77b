import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DiscoveryDocument, isCaisseError } from '@caisse/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closedPort, type Listening, listen } from '../handlers/__fixtures__/listen.js';
import { DISCOVERY_PATH, discoverPaymentServer } from './discovery.js';
import { generateKey } from './generate.js';

const key = generateKey({ kid: 'server-1' });

let server: Listening;
let document: unknown;

function send(res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function documentFor(origin: string, overrides: Partial<DiscoveryDocument> = {}): DiscoveryDocument {
  return {
    issuer: origin,
    jwksUri: `${origin}/jwks.json`,
    payEndpoint: `${origin}/pay`,
    apiBase: `${origin}/api`,
    algorithms: ['EdDSA', 'ES256'],
    versions: [1],
    ...overrides,
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isCaisseError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a rejection');
}

beforeEach(async () => {
  server = await listen((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === DISCOVERY_PATH || req.url === `/tenant${DISCOVERY_PATH}`) send(res, document);
    else if (req.url === '/jwks.json') send(res, key.jwks);
    else send(res, { error: 'not found' }, 404);
  });
  document = documentFor(server.origin);
});
afterEach(() => server.close());

describe('discoverPaymentServer', () => {
  it('reads the discovery document and returns the payment server with a remote key set on its jwksUri', async () => {
    const paymentServer = await discoverPaymentServer(server.origin);
    expect(paymentServer.issuer).toBe(server.origin);
    expect(paymentServer.payEndpoint).toBe(`${server.origin}/pay`);
    expect(paymentServer.keys.jwksUri).toBe(`${server.origin}/jwks.json`);
    expect(server.requests).toEqual([`GET ${DISCOVERY_PATH}`]);
    expect((await paymentServer.keys.get('server-1'))?.kid).toBe('server-1');
    expect(server.requests).toEqual([`GET ${DISCOVERY_PATH}`, 'GET /jwks.json']);
  });

  it('reads the mode the document says: test, or live when it says none', async () => {
    expect((await discoverPaymentServer(server.origin)).mode).toBe('live');
    document = { ...documentFor(server.origin), mode: 'test' };
    expect((await discoverPaymentServer(server.origin)).mode).toBe('test');
    document = { ...documentFor(server.origin), mode: 'staging' };
    expect(await codeOf(discoverPaymentServer(server.origin))).toBe('message_invalid');
  });

  it('looks below the path it is given, with or without a trailing slash', async () => {
    await discoverPaymentServer(`${server.origin}/tenant/`);
    expect(server.requests).toEqual([`GET /tenant${DISCOVERY_PATH}`]);
  });

  it('accepts the issuer you configure when it is not the URL origin', async () => {
    document = documentFor(server.origin, { issuer: 'https://pay.caisse.test' });
    const paymentServer = await discoverPaymentServer(server.origin, { issuer: 'https://pay.caisse.test' });
    expect(paymentServer.issuer).toBe('https://pay.caisse.test');
  });

  it('refuses a document naming another issuer', async () => {
    document = documentFor(server.origin, { issuer: 'https://evil.example' });
    expect(await codeOf(discoverPaymentServer(server.origin))).toBe('issuer_mismatch');
    expect(await codeOf(discoverPaymentServer(server.origin, { issuer: 'https://pay.caisse.test' }))).toBe('issuer_mismatch');
  });

  it('refuses a JWKS on another origin unless that origin is allowed', async () => {
    document = documentFor(server.origin, { jwksUri: 'https://cdn.example/jwks.json' });
    const error = await discoverPaymentServer(server.origin).catch((caught: unknown) => caught);
    expect(isCaisseError(error, 'message_invalid')).toBe(true);
    expect((error as { issues: unknown }).issues).toEqual([{ path: 'jwksUri', message: 'must be on the payment server origin' }]);
    const allowed = await discoverPaymentServer(server.origin, { allowedJwksOrigins: ['https://cdn.example'] });
    expect(allowed.keys.jwksUri).toBe('https://cdn.example/jwks.json');
  });

  it('refuses a malformed document, naming the field', async () => {
    document = { ...documentFor(server.origin), payEndpoint: 'http://pay.example/pay' };
    const error = await discoverPaymentServer(server.origin).catch((caught: unknown) => caught);
    expect(isCaisseError(error, 'message_invalid')).toBe(true);
    expect((error as { issues: { path: string }[] }).issues[0]?.path).toBe('payEndpoint');
  });

  it('refuses a payment server that speaks no protocol version this kit reads', async () => {
    document = documentFor(server.origin, { versions: [2, 3] });
    expect(await codeOf(discoverPaymentServer(server.origin))).toBe('version_unsupported');
  });

  it('says keys_unavailable when the document cannot be fetched', async () => {
    expect(await codeOf(discoverPaymentServer(`http://127.0.0.1:${await closedPort()}`))).toBe('keys_unavailable');
    expect(await codeOf(discoverPaymentServer(`${server.origin}/missing`))).toBe('keys_unavailable');
  });

  it('passes the key set options on (timeout, clock, cooldown)', async () => {
    let clock = 0;
    const paymentServer = await discoverPaymentServer(server.origin, { now: () => clock, cooldown: 10 });
    await paymentServer.keys.get('server-1');
    clock = 10;
    await paymentServer.keys.get('unknown');
    expect(server.requests.filter((line) => line === 'GET /jwks.json')).toHaveLength(2);
  });

  it('refuses a URL that is not https (except on localhost), or has a query', async () => {
    await expect(discoverPaymentServer('http://pay.example')).rejects.toThrow(TypeError);
    await expect(discoverPaymentServer(`${server.origin}/?tenant=1`)).rejects.toThrow(TypeError);
  });
});
