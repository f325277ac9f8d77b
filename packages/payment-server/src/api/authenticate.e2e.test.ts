import { request as httpRequest } from 'node:http';
import { TOKEN_TYPES } from '@caisse/protocol';
import { generateKey, signJws } from '@caisse/server-kit';
import { describe, expect, it } from 'vitest';
import {
  type ApiCaller,
  type ApiTestServer,
  apiServerPerSuite,
  type CallOptions,
  insertPayment,
  serverDrivers,
} from './__fixtures__/api-server.js';
import { assertionClaimsFor, authorization, nowSeconds, signAssertion } from './__fixtures__/assertions.js';
import { bodySha256 } from './assertion.js';

const drivers = await serverDrivers('api authentication');

async function problem(response: Response): Promise<{ status: number; code: string; detail: string; type: string | null }> {
  const body = (await response.json()) as { code: string; detail: string };
  return { status: response.status, code: body.code, detail: body.detail, type: response.headers.get('content-type') };
}

/** A GET through node:http, which (unlike fetch) lets the test choose the Host header. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'GET', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe.each(drivers)('merchant API authentication over real HTTP on $name', (driver) => {
  let shop: ApiTestServer;
  let other: ApiCaller;
  const serial = 7_000_000_001n;
  const path = `/v1/payments/pay_${serial}`;

  apiServerPerSuite(driver.url, async (started) => {
    shop = started;
    other = await shop.addMerchant();
    await insertPayment(shop.server.db, { serial, merchantId: shop.merchantId, createdAt: new Date() });
    // Left by an earlier run: the first authenticated request purges it. Expired by the server's clock, not the database's now().
    await shop.server.db.query("INSERT INTO api_assertions (merchant_id, jti, expires_at) VALUES ($1, 'stale', $2)", [
      shop.merchantId,
      new Date(Date.now() - 3_600_000),
    ]);
  });

  /** A request to `path` with a hand-made Authorization header. */
  const send = (header: string | undefined, init: RequestInit = {}) =>
    fetch(`${shop.url}${path}`, { ...init, headers: { ...(header === undefined ? {} : { authorization: header }), ...init.headers } });
  const signed = (input: Partial<Parameters<typeof signAssertion>[0]> = {}) =>
    signAssertion({
      key: shop.self.key.signingKey,
      merchantId: shop.merchantId,
      audience: shop.server.issuer,
      url: `${shop.server.issuer}${path}`,
      ...input,
    });

  it('accepts a fresh assertion signed with a registered merchant key, scheme name in any case', async () => {
    const response = await shop.call(path);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { id: string }).id).toBe(`pay_${serial}`);
    const lower = await send(`caisse-assertion ${signed()}`);
    expect(lower.status).toBe(200);
  });

  it('answers 401 assertion_missing with WWW-Authenticate without a header, with another scheme, or without a token', async () => {
    for (const header of [undefined, `Bearer ${signed()}`, 'Caisse-Assertion', 'Caisse-Assertion ', signed()]) {
      const response = await send(header);
      expect(response.headers.get('www-authenticate')).toBe('Caisse-Assertion');
      expect(await problem(response)).toMatchObject({ status: 401, code: 'assertion_missing', type: 'application/problem+json' });
    }
  });

  it('refuses a malformed token', async () => {
    const cases: [string, string][] = [
      ['not-a-token', 'token_malformed'],
      ['a.b.c', 'token_malformed'],
      [`${signed()}.extra`, 'token_malformed'],
      // {"alg":"none"}: an unsigned token.
      ['eyJhbGciOiJub25lIn0.e30.', 'algorithm_not_allowed'],
    ];
    for (const [token, code] of cases) expect(await problem(await send(authorization(token)))).toMatchObject({ status: 400, code });
  });

  it('refuses a ticket presented as an assertion (typ), even one signed by the merchant', async () => {
    expect(await problem(await send(authorization(shop.ticket(100).token)))).toMatchObject({ status: 400, code: 'type_mismatch' });
    const claims = assertionClaimsFor({
      key: shop.self.key.signingKey,
      merchantId: shop.merchantId,
      audience: shop.server.issuer,
      url: `${shop.server.issuer}${path}`,
    });
    const asTicket = signJws(TOKEN_TYPES.ticket, claims, shop.self.key.signingKey);
    expect(await problem(await send(authorization(asTicket)))).toMatchObject({ status: 400, code: 'type_mismatch' });
  });

  it('refuses an unregistered key, a registered kid with another key, and a retired key', async () => {
    const unregistered = generateKey();
    expect(await problem(await send(authorization(signed({ key: unregistered.signingKey }))))).toMatchObject({
      status: 401,
      code: 'key_unknown',
    });
    const impostor = generateKey({ kid: shop.self.key.kid });
    expect(await problem(await send(authorization(signed({ key: impostor.signingKey }))))).toMatchObject({
      status: 401,
      code: 'signature_invalid',
    });
    const retiring = generateKey();
    await shop.server.merchants.addKey(shop.merchantId, retiring.publicJwk);
    expect((await send(authorization(signed({ key: retiring.signingKey })))).status).toBe(200);
    await shop.server.merchants.retireKey(shop.merchantId, retiring.kid);
    expect(await problem(await send(authorization(signed({ key: retiring.signingKey }))))).toMatchObject({
      status: 401,
      code: 'key_unknown',
    });
  });

  it("checks an assertion with the keys of the merchant it names: another merchant's key does not verify, an unknown merchant has none", async () => {
    // Signed by the other merchant, claiming to be this one: checked against this merchant's keys only.
    expect(await problem(await send(authorization(signed({ key: other.key.signingKey }))))).toMatchObject({
      status: 401,
      code: 'key_unknown',
    });
    expect(await problem(await send(authorization(signed({ merchantId: 'no-such-shop' }))))).toMatchObject({
      status: 400,
      code: 'merchant_unknown',
    });
  });

  it('refuses an assertion for another audience', async () => {
    expect(await problem(await send(authorization(signed({ audience: 'https://other-payment-server.example' }))))).toMatchObject({
      status: 401,
      code: 'audience_mismatch',
    });
  });

  it('refuses an expired assertion, with 30 s of tolerance and not a second more', async () => {
    const now = nowSeconds();
    expect(await problem(await send(authorization(signed({ iat: now - 120, exp: now - 31 }))))).toMatchObject({
      status: 401,
      code: 'token_expired',
    });
    expect((await send(authorization(signed({ iat: now - 120, exp: now - 10 })))).status).toBe(200);
  });

  it('refuses an assertion dated in the future beyond the tolerance', async () => {
    const now = nowSeconds();
    expect(await problem(await send(authorization(signed({ iat: now + 120, exp: now + 180 }))))).toMatchObject({
      status: 401,
      code: 'token_not_yet_valid',
    });
    expect((await send(authorization(signed({ iat: now + 10, exp: now + 70 })))).status).toBe(200);
  });

  it('refuses claims outside the schema: a validity over 300 s, a missing jti, an unknown member', async () => {
    const now = nowSeconds();
    for (const input of [{ iat: now, exp: now + 301 }, { claims: { jti: undefined } }, { claims: { scope: 'all' } }]) {
      expect(await problem(await send(authorization(signed(input))))).toMatchObject({ status: 400, code: 'claims_invalid' });
    }
  });

  it('binds the method', async () => {
    expect(await problem(await send(authorization(signed({ method: 'DELETE' }))))).toMatchObject({
      status: 401,
      code: 'assertion_binding',
    });
  });

  it('binds the path and the query, and a fragment never matches', async () => {
    expect(await problem(await send(authorization(signed({ url: `${shop.server.issuer}/v1/payments/pay_7000000002` }))))).toMatchObject({
      code: 'assertion_binding',
    });
    expect(await problem(await send(authorization(signed({ url: `${shop.server.issuer}${path}#top` }))))).toMatchObject({
      code: 'assertion_binding',
    });
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 86_400_000).toISOString();
    const listed = `/v1/payments?from=${from}&to=${to}`;
    const other = `/v1/payments?from=${from}&to=${to}&limit=1`;
    const mismatch = await shop.call(other, { assertion: { url: `${shop.server.issuer}${listed}` } });
    const body = await problem(mismatch);
    expect(body).toMatchObject({ status: 401, code: 'assertion_binding' });
    expect(body.detail).toContain(`${shop.server.issuer}${other}`);
    expect((await shop.call(listed)).status).toBe(200);
    expect((await shop.call(other)).status).toBe(200);
  });

  it("takes the issuer's public URL as the base of htu, never the Host header", async () => {
    const url = `${shop.url}${path}`;
    const spoofed = await rawGet(url, {
      host: 'evil.example',
      authorization: authorization(signed({ url: `https://evil.example${path}` })),
    });
    expect(spoofed.status).toBe(401);
    expect(JSON.parse(spoofed.body)).toMatchObject({ code: 'assertion_binding' });
    const honest = await rawGet(url, { host: 'evil.example', authorization: authorization(signed()) });
    expect(honest.status).toBe(200);
  });

  it('binds the body: bodySha256 present exactly when there is a body, and equal to its hash', async () => {
    const body = JSON.stringify({ amount: 100 });
    const post = (assertion: CallOptions['assertion'], sent: string | null = body) =>
      shop.call('/v1/payments', {
        method: 'POST',
        ...(sent === null ? {} : { body: sent }),
        headers: { 'content-type': 'application/json', 'idempotency-key': `k-${Math.random()}` },
        ...(assertion ? { assertion } : {}),
      });
    expect(await problem(await post({ claims: { bodySha256: undefined } }))).toMatchObject({ status: 401, code: 'assertion_binding' });
    expect(await problem(await post({ claims: { bodySha256: bodySha256(`${body} `) } }))).toMatchObject({ code: 'assertion_binding' });
    expect(await problem(await post({ claims: { bodySha256: bodySha256(body) } }, null))).toMatchObject({
      code: 'assertion_binding',
    });
    expect(await problem(await send(authorization(signed({ claims: { bodySha256: bodySha256('') } }))))).toMatchObject({
      code: 'assertion_binding',
    });
    // Bound correctly, the request gets past authentication, to the Idempotency-Key every POST needs…
    const keyless = await shop.call('/v1/payments', { method: 'POST', body });
    expect(await problem(keyless)).toMatchObject({ status: 400, code: 'idempotency_key_missing' });
    // …and then to the route, which checks the body (POST /v1/payments takes a ticket and a phone number).
    expect(await problem(await post(undefined))).toMatchObject({ status: 400, code: 'request_invalid' });
  });

  it('purges expired jtis as requests arrive', async () => {
    expect((await shop.call(path)).status).toBe(200);
    const { rows } = await shop.server.db.query("SELECT 1 FROM api_assertions WHERE jti = 'stale'");
    expect(rows).toEqual([]);
  });

  it('refuses an oversized body before reading it', async () => {
    const body = 'x'.repeat(64 * 1024 + 1);
    expect(await problem(await shop.call('/v1/payments', { method: 'POST', body }))).toMatchObject({ status: 413, code: 'body_too_large' });
  });

  it('spends a jti once, and only once every check has passed', async () => {
    const token = signed();
    // Sent with another method, the assertion is refused and not spent.
    expect(await problem(await send(authorization(token), { method: 'POST' }))).toMatchObject({ code: 'assertion_binding' });
    expect((await send(authorization(token))).status).toBe(200);
    expect(await problem(await send(authorization(token)))).toMatchObject({ status: 409, code: 'token_replayed' });
  });

  it('lets exactly one of 10 concurrent requests carrying one assertion through', async () => {
    const token = signed();
    const responses = await Promise.all(Array.from({ length: 10 }, () => send(authorization(token))));
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    for (const response of responses.filter((r) => r.status === 409)) {
      expect(((await response.json()) as { code: string }).code).toBe('token_replayed');
    }
  });

  it('keeps jtis per merchant: two merchants may use the same one', async () => {
    const jti = `shared-${Math.random().toString(36).slice(2)}`;
    expect((await shop.call(path, { assertion: { jti } })).status).toBe(200);
    const from = new Date(Date.now() - 60_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    expect((await shop.call(`/v1/payments?from=${from}&to=${to}`, { as: other, assertion: { jti } })).status).toBe(200);
    expect((await shop.call(path, { assertion: { jti } })).status).toBe(409);
  });

  it('authenticates before anything else, even an address that does not exist', async () => {
    expect((await fetch(`${shop.url}/v1/nothing-here`)).status).toBe(401);
    expect(await problem(await shop.call('/v1/nothing-here'))).toMatchObject({ status: 404, code: 'not_found' });
  });
});
