import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CaisseError, isCaisseError, TOKEN_TYPES } from '@caisse/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { frozenReplayStore, ISSUER, MERCHANT_ID, NOW, parties } from '../__fixtures__/parties.js';
import { closedPort, type Listening, listen } from '../handlers/__fixtures__/listen.js';
import { signJws } from '../jws/sign.js';
import { memoryReplayStore } from '../replay/memory.js';
import { verifyVoucher } from '../voucher/verify.js';
import { generateKey } from './generate.js';
import { type RemoteKeySetOptions, remoteKeySet } from './remote.js';

type Route = (req: IncomingMessage, res: ServerResponse) => void;

const json =
  (body: unknown, status = 200): Route =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isCaisseError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a rejection');
}

const first = generateKey({ kid: 'server-1' });
const second = generateKey({ kid: 'server-2', alg: 'ES256' });

let server: Listening;
let route: Route;
let clock: number;
const jwksRequests = () => server.requests.filter((line) => line.startsWith('GET /jwks.json')).length;

beforeEach(async () => {
  clock = NOW.getTime();
  route = json(first.jwks);
  server = await listen((req, res) => {
    if (req.url === '/jwks.json') route(req, res);
    else json({ error: 'not found' }, 404)(req, res);
  });
});
afterEach(() => server.close());

function keySet(options: Partial<RemoteKeySetOptions> = {}) {
  return remoteKeySet({ jwksUri: `${server.origin}/jwks.json`, now: () => clock, ...options });
}

describe('remoteKeySet caching', () => {
  it('fetches on first use, then serves from the cache without a request', async () => {
    const keys = keySet();
    expect((await keys.get('server-1'))?.kid).toBe('server-1');
    clock += 599_000;
    expect((await keys.get('server-1'))?.jwk).toEqual(first.publicJwk);
    expect(jwksRequests()).toBe(1);
  });

  it('refetches before use once the cache is older than maxAge', async () => {
    const keys = keySet();
    await keys.get('server-1');
    clock += 600_000;
    await keys.get('server-1');
    expect(jwksRequests()).toBe(2);
  });

  it('refetches exactly once for an unknown kid, then not again within the cooldown', async () => {
    const keys = keySet();
    await keys.get('server-1');
    clock += 30_000;
    expect(await keys.get('rotated')).toBeUndefined();
    expect(jwksRequests()).toBe(2);
    clock += 29_999;
    expect(await keys.get('another-unknown')).toBeUndefined();
    expect(await keys.get('rotated')).toBeUndefined();
    expect(jwksRequests()).toBe(2);
    clock += 1;
    await keys.get('rotated');
    expect(jwksRequests()).toBe(3);
  });

  it('does not refetch for an unknown kid right after the first fetch (the cooldown counts from any fetch)', async () => {
    const keys = keySet();
    expect(await keys.get('forged')).toBeUndefined();
    expect(jwksRequests()).toBe(1);
  });

  it('finds a key the payment server rotated in, and a voucher it signs verifies', async () => {
    const { ticket } = parties();
    const keys = keySet();
    await keys.get('server-1');
    route = json({ keys: [first.publicJwk, second.publicJwk] });
    clock += 30_000;

    const created = ticket();
    const claims = parties().voucherClaims(created, { iat: Math.floor(clock / 1000), exp: Math.floor(clock / 1000) + 60 });
    const token = signJws(TOKEN_TYPES.voucher, claims, second.signingKey);
    const voucher = await verifyVoucher(token, {
      issuer: ISSUER,
      keys,
      replayStore: memoryReplayStore({ now: () => clock }),
      audience: MERCHANT_ID,
      ticket: created.reference,
      now: () => new Date(clock),
    });
    expect(voucher.jti).toBe(claims.jti);
    expect(jwksRequests()).toBe(2);
  });

  it('drops a key the payment server withdrew once the cache is refreshed', async () => {
    const keys = keySet();
    await keys.get('server-1');
    route = json(second.jwks);
    clock += 600_000;
    expect(await keys.get('server-1')).toBeUndefined();
    expect((await keys.get('server-2'))?.alg).toBe('ES256');
  });

  it('shares one fetch among 20 concurrent lookups of an unknown kid', async () => {
    const keys = keySet();
    await keys.get('server-1');
    route = json({ keys: [first.publicJwk, second.publicJwk] });
    clock += 30_000;
    const found = await Promise.all(Array.from({ length: 20 }, () => keys.get('server-2')));
    expect(found.every((key) => key?.kid === 'server-2')).toBe(true);
    expect(jwksRequests()).toBe(2);
  });

  it('shares one fetch among 20 concurrent first lookups', async () => {
    const keys = keySet();
    await Promise.all(Array.from({ length: 20 }, (_, i) => keys.get(i % 2 === 0 ? 'server-1' : 'unknown')));
    expect(jwksRequests()).toBe(1);
  });

  it('answers a known, fresh kid at once while a refresh for an unknown one is under way', async () => {
    const keys = keySet({ timeout: 60_000 });
    await keys.get('server-1');
    let respond: () => void = () => undefined;
    route = (req, res) => {
      respond = () => json(first.jwks)(req, res);
    };
    clock += 30_000;
    const refreshing = keys.get('rotated');
    while (jwksRequests() < 2) await new Promise((resolve) => setImmediate(resolve));
    expect((await keys.get('server-1'))?.kid).toBe('server-1');
    respond();
    expect(await refreshing).toBeUndefined();
  });

  it('never takes a key from a token header: a jku pointing at the JWKS is refused without a request', async () => {
    const { ticket, voucherClaims } = parties();
    const created = ticket();
    const header = Buffer.from(
      JSON.stringify({ alg: 'EdDSA', typ: TOKEN_TYPES.voucher, kid: 'server-1', jku: `${server.origin}/jwks.json`, jwk: first.publicJwk }),
    ).toString('base64url');
    const payload = Buffer.from(JSON.stringify(voucherClaims(created))).toString('base64url');
    const token = `${header}.${payload}.${'A'.repeat(86)}`;
    const options = { issuer: ISSUER, keys: keySet(), replayStore: frozenReplayStore(), audience: MERCHANT_ID, ticket: created.reference };
    expect(await codeOf(verifyVoucher(token, options))).toBe('header_key_refused');
    expect(server.requests).toEqual([]);
  });

  it('refresh() fetches now, ignoring the cooldown', async () => {
    const keys = keySet();
    await keys.refresh();
    await keys.refresh();
    expect(jwksRequests()).toBe(2);
    expect((await keys.get('server-1'))?.kid).toBe('server-1');
    expect(jwksRequests()).toBe(2);
  });
});

describe('remoteKeySet failures', () => {
  it('throws keys_unavailable when the server is down and nothing is cached', async () => {
    const keys = remoteKeySet({ jwksUri: `http://127.0.0.1:${await closedPort()}/jwks.json` });
    expect(await codeOf(keys.get('server-1'))).toBe('keys_unavailable');
  });

  it('throws keys_unavailable when the server does not answer within the timeout', async () => {
    route = () => undefined;
    const keys = keySet({ timeout: 100 });
    const error = await keys.get('server-1').catch((caught: CaisseError) => caught);
    expect(isCaisseError(error, 'keys_unavailable')).toBe(true);
    expect((error as Error).message).toContain('no response within 100 ms');
  });

  it('times out a server that sends headers and then trickles its body', async () => {
    route = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"keys":[');
    };
    const keys = keySet({ timeout: 150 });
    expect(await codeOf(keys.get('server-1'))).toBe('keys_unavailable');
  });

  it('throws keys_unavailable on HTTP 500, without retrying', async () => {
    route = json({ error: 'boom' }, 500);
    const keys = keySet();
    const error = await keys.get('server-1').catch((caught: CaisseError) => caught);
    expect(isCaisseError(error, 'keys_unavailable')).toBe(true);
    expect((error as Error).message).toContain('HTTP 500');
    expect(jwksRequests()).toBe(1);
  });

  it.each([
    ['invalid JSON', '{"keys": [', 'keys_invalid'],
    ['a duplicate kid', JSON.stringify({ keys: [first.publicJwk, { ...second.publicJwk, kid: 'server-1' }] }), 'keys_invalid'],
    ['a private key', JSON.stringify({ keys: [first.privateJwk] }), 'keys_invalid'],
    [
      'a repeated member',
      `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"${first.publicJwk.x}","x":"${second.publicJwk.x}","kid":"k"}]}`,
      'keys_invalid',
    ],
    ['an empty key list', '{"keys":[]}', 'keys_invalid'],
    ['a symmetric key', JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' }] }), 'keys_invalid'],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'keys_invalid'],
  ])('refuses a JWKS with %s: %s', async (_what, body, code) => {
    route = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    };
    expect(await codeOf(keySet().get('server-1'))).toBe(code);
  });

  it('refuses a body over maxBytes, whether declared or streamed', async () => {
    const big = JSON.stringify({ keys: [first.publicJwk], padding: 'x'.repeat(2_000) });
    route = json(big);
    expect(await codeOf(keySet({ maxBytes: 1_000 }).get('server-1'))).toBe('keys_unavailable');
    route = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(big.slice(0, 900));
      res.end(big.slice(900));
    };
    const error = await keySet({ maxBytes: 1_000 })
      .get('server-1')
      .catch((caught: CaisseError) => caught);
    expect((error as Error).message).toContain('larger than 1000 bytes');
  });

  it('follows a redirect within the origin, and refuses one to another origin without requesting it', async () => {
    route = (_req, res) => {
      res.writeHead(302, { location: '/keys/v2.json' });
      res.end();
    };
    const other = await listen(json(first.jwks));
    try {
      const sameOrigin = await listen((req, res) => {
        if (req.url === '/jwks.json') route(req, res);
        else json(first.jwks)(req, res);
      });
      expect((await remoteKeySet({ jwksUri: `${sameOrigin.origin}/jwks.json` }).get('server-1'))?.kid).toBe('server-1');
      expect(sameOrigin.requests).toEqual(['GET /jwks.json', 'GET /keys/v2.json']);
      await sameOrigin.close();

      route = (_req, res) => {
        res.writeHead(302, { location: `${other.origin}/jwks.json` });
        res.end();
      };
      const error = await keySet()
        .get('server-1')
        .catch((caught: CaisseError) => caught);
      expect(isCaisseError(error, 'keys_unavailable')).toBe(true);
      expect((error as Error).message).toContain('another origin');
      expect(other.requests).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('serves the cached keys when a refresh fails, tells onRefreshError, and waits out the cooldown before trying again', async () => {
    const failures: string[] = [];
    const keys = keySet({ onRefreshError: (error) => failures.push(error.code) });
    await keys.get('server-1');
    route = json({ error: 'boom' }, 500);
    clock += 600_000;
    expect((await keys.get('server-1'))?.kid).toBe('server-1');
    expect(failures).toEqual(['keys_unavailable']);
    expect(jwksRequests()).toBe(2);

    clock += 29_999;
    expect((await keys.get('server-1'))?.kid).toBe('server-1');
    expect(jwksRequests()).toBe(2);

    route = json(first.jwks);
    clock += 1;
    expect((await keys.get('server-1'))?.kid).toBe('server-1');
    expect(jwksRequests()).toBe(3);
  });

  it('serves the cached keys when the refreshed JWKS is invalid', async () => {
    const keys = keySet();
    await keys.get('server-1');
    route = json({ keys: [first.privateJwk] });
    clock += 600_000;
    expect((await keys.get('server-1'))?.kid).toBe('server-1');
  });

  it('says keys_unavailable, not key_unknown, for an unknown kid while the JWKS cannot be fetched', async () => {
    const keys = keySet();
    await keys.get('server-1');
    route = json({ error: 'boom' }, 503);
    clock += 30_000;
    expect(await codeOf(keys.get('server-2'))).toBe('keys_unavailable');
    expect(await codeOf(keys.get('server-3'))).toBe('keys_unavailable');
    expect(jwksRequests()).toBe(2);
  });

  it('refresh() throws when the fetch fails, even with keys cached', async () => {
    const keys = keySet();
    await keys.get('server-1');
    route = json({ error: 'boom' }, 500);
    expect(await codeOf(keys.refresh())).toBe('keys_unavailable');
    expect((await keys.get('server-1'))?.kid).toBe('server-1');
  });

  it('tries again on the next lookup when nothing is cached', async () => {
    route = json({ error: 'boom' }, 500);
    const keys = keySet();
    expect(await codeOf(keys.get('server-1'))).toBe('keys_unavailable');
    route = json(first.jwks);
    expect((await keys.get('server-1'))?.kid).toBe('server-1');
    expect(jwksRequests()).toBe(2);
  });

  it('refuses a jwksUri that is not https (except on localhost) or carries credentials', () => {
    expect(() => remoteKeySet({ jwksUri: 'http://pay.example/jwks.json' })).toThrow(TypeError);
    expect(() => remoteKeySet({ jwksUri: 'https://user:pw@pay.example/jwks.json' })).toThrow(TypeError);
    expect(() => remoteKeySet({ jwksUri: 'https://pay.example/jwks.json', timeout: 0 })).toThrow(TypeError);
    expect(() => remoteKeySet({ jwksUri: 'https://pay.example/jwks.json', cooldown: Number.NaN })).toThrow(TypeError);
  });
});
