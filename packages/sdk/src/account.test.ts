import { createHmac, pbkdf2Sync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConfirmationRequest, confirmationClaims, parseMessage } from '@caisse/protocol';
import { base64urlDecode } from '@caisse/protocol/base64url';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Account } from './account.js';
import { createDevice } from './device.js';
import { isCaisseDeviceError } from './errors.js';
import { fileStore } from './file-store.js';
import type { Backoff, RequestEvent } from './requests-stream.js';
import { memoryStore } from './stores/memory.js';

/**
 * The SDK's own behaviour over HTTP (what it sends, how it reads answers and failures),
 * against msw. The payment server's side is tested for real in e2e/.
 */
const SERVER = 'http://localhost:4999';
const mock = setupServer();
beforeAll(() => mock.listen({ onUnhandledRequest: 'error' }));
afterEach(() => mock.resetHandlers());
afterAll(() => mock.close());

const REQUEST: ConfirmationRequest = {
  ver: 1,
  id: 'cfr_1',
  challenge: 'c'.repeat(43),
  ticket: { jti: 'tkt_1', sha256: 'A'.repeat(43) },
  payee: { id: 'bookshop', name: 'The Bookshop' },
  items: [{ id: 'book', label: 'Le Petit Prince', quantity: 1, unitAmount: 1290, vatRate: 550 }],
  amount: 1290,
  vat: 67,
  currency: 'EUR',
  createdAt: 1767225600,
  expiresAt: 1767225900,
};

function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(base64urlDecode(token.split('.')[1] ?? ''))) as Record<string, unknown>;
}

function problem(status: number, code: string, extra: object = {}) {
  return HttpResponse.json(
    { type: 'about:blank', title: code, status, code, detail: `detail of ${code}`, ...extra },
    {
      status,
      headers: { 'content-type': 'application/problem+json' },
    },
  );
}

async function enrolled(backoff: Backoff = { initialDelay: 5, maxDelay: 20 }): Promise<{
  account: Account;
  store: ReturnType<typeof memoryStore>;
  pinSalt: string;
  enrolment: Record<string, unknown>;
  authorization: string;
}> {
  let enrolment: Record<string, unknown> = {};
  let authorization = '';
  mock.use(
    http.post(`${SERVER}/device/enroll`, async ({ request }) => {
      enrolment = (await request.json()) as Record<string, unknown>;
      authorization = request.headers.get('authorization') ?? '';
      const id = (enrolment.jwk as { kid: string }).kid;
      return HttpResponse.json(
        { device: { id, createdAt: '2026-01-01T00:00:00Z' }, customer: { account: 'alice', displayName: 'Alice' } },
        { status: 201 },
      );
    }),
  );
  const store = memoryStore();
  const account = await createDevice({ server: `${SERVER}/`, store, backoff }).enroll({
    code: ' 482913 ',
    pin: '4821',
    name: 'Test phone',
  });
  const [record] = await store.list();
  return { account, store, pinSalt: record?.pinSalt ?? '', enrolment, authorization };
}

describe('enrolment', () => {
  it('sends the code, the public JWK and the PIN verifier, signed by the new key, and keeps no PIN', async () => {
    const { account, pinSalt, enrolment, authorization } = await enrolled();
    expect(account).toMatchObject({ account: 'alice', displayName: 'Alice', server: SERVER, algorithm: 'EdDSA' });
    expect(enrolment).toEqual({
      code: '482913',
      jwk: { kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: account.deviceId, alg: 'EdDSA' },
      pinVerifier: pbkdf2Sync('4821', base64urlDecode(pinSalt) as Uint8Array, 310_000, 32, 'sha256').toString('base64url'),
      name: 'Test phone',
    });
    const [scheme, token] = authorization.split(' ');
    expect(scheme).toBe('Caisse-Device');
    expect(payloadOf(token ?? '')).toMatchObject({ iss: account.deviceId, aud: SERVER, htm: 'POST', htu: `${SERVER}/device/enroll` });
    expect(base64urlDecode(pinSalt)?.length).toBe(16);
  });

  it('keeps neither the PIN nor the PIN verifier in the device file, only the salt', async () => {
    let verifier = '';
    mock.use(
      http.post(`${SERVER}/device/enroll`, async ({ request }) => {
        const body = (await request.json()) as { jwk: { kid: string }; pinVerifier: string };
        verifier = body.pinVerifier;
        return HttpResponse.json(
          { device: { id: body.jwk.kid, createdAt: '2026-01-01T00:00:00Z' }, customer: { account: 'alice' } },
          { status: 201 },
        );
      }),
    );
    const path = join(mkdtempSync(join(tmpdir(), 'caisse-sdk-')), 'device.json');
    await createDevice({ server: SERVER, store: fileStore(path) }).enroll({ code: '1', pin: '48213579' });
    const text = readFileSync(path, 'utf8');
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(text).not.toContain(verifier);
    expect(text).not.toContain('48213579');
    expect(Object.keys((JSON.parse(text) as { accounts: object[] }).accounts[0] ?? {}).sort()).toEqual([
      'account',
      'algorithm',
      'deviceId',
      'enrolledAt',
      'pinSalt',
      'privateKey',
      'publicJwk',
      'server',
    ]);
  });

  it('refuses a malformed PIN and a plain-http server before generating anything', async () => {
    const device = createDevice({ server: SERVER, store: memoryStore() });
    await expect(device.enroll({ code: '1', pin: '12' })).rejects.toSatisfy((error) => isCaisseDeviceError(error, 'pin_malformed'));
    const remote = createDevice({ server: 'http://pay.example', store: memoryStore() });
    await expect(remote.enroll({ code: '1', pin: '1234' })).rejects.toSatisfy((error) => isCaisseDeviceError(error, 'server_invalid'));
  });

  it('maps a refused code to enrollment_code_invalid and stores nothing', async () => {
    mock.use(http.post(`${SERVER}/device/enroll`, () => problem(400, 'enrollment_code_invalid')));
    const store = memoryStore();
    await expect(createDevice({ server: SERVER, store }).enroll({ code: 'nope', pin: '1234' })).rejects.toSatisfy((error) =>
      isCaisseDeviceError(error, 'enrollment_code_invalid'),
    );
    expect(await store.list()).toEqual([]);
  });
});

describe('answers', () => {
  it('approves with a caisse-confirmation+jwt repeating every fact and a PIN proof bound to the challenge', async () => {
    const { account, pinSalt } = await enrolled();
    let token = '';
    mock.use(
      http.post(`${SERVER}/device/requests/cfr_1/answer`, async ({ request }) => {
        expect(request.headers.get('authorization')).toBeNull();
        token = ((await request.json()) as { token: string }).token;
        return HttpResponse.json({ state: 'approved' });
      }),
    );
    await expect(account.approve(REQUEST, '4821')).resolves.toBe('approved');
    const header = JSON.parse(new TextDecoder().decode(base64urlDecode(token.split('.')[0] ?? ''))) as unknown;
    expect(header).toEqual({ alg: 'EdDSA', typ: 'caisse-confirmation+jwt', kid: account.deviceId });
    const pinKey = pbkdf2Sync('4821', base64urlDecode(pinSalt) as Uint8Array, 310_000, 32, 'sha256');
    expect(parseMessage(confirmationClaims, payloadOf(token))).toEqual({
      ver: 1,
      iss: account.deviceId,
      aud: SERVER,
      jti: expect.stringMatching(/^[0-9a-f]{32}$/),
      iat: expect.any(Number),
      request: 'cfr_1',
      challenge: REQUEST.challenge,
      ticket: REQUEST.ticket.sha256,
      amount: 1290,
      currency: 'EUR',
      payee: 'bookshop',
      decision: 'approve',
      pinProof: createHmac('sha256', pinKey).update(`caisse-pin|approve|cfr_1|${REQUEST.challenge}`).digest('base64url'),
    });
  });

  it('declines without a PIN proof', async () => {
    const { account } = await enrolled();
    let claims: Record<string, unknown> = {};
    mock.use(
      http.post(`${SERVER}/device/requests/cfr_1/answer`, async ({ request }) => {
        claims = payloadOf(((await request.json()) as { token: string }).token);
        return HttpResponse.json({ state: 'declined' });
      }),
    );
    await expect(account.decline(REQUEST)).resolves.toBe('declined');
    expect(claims).toMatchObject({ decision: 'decline' });
    expect(claims).not.toHaveProperty('pinProof');
  });

  it('approves a tap request without a PIN proof, even when given a PIN', async () => {
    const { account } = await enrolled();
    const sent: Record<string, unknown>[] = [];
    mock.use(
      http.post(`${SERVER}/device/requests/cfr_1/answer`, async ({ request }) => {
        sent.push(payloadOf(((await request.json()) as { token: string }).token));
        return HttpResponse.json({ state: 'approved' });
      }),
    );
    const tap: ConfirmationRequest = { ...REQUEST, approval: 'tap' };
    await expect(account.approve(tap)).resolves.toBe('approved');
    await expect(account.approve(tap, '4821')).resolves.toBe('approved');
    expect(sent).toHaveLength(2);
    for (const claims of sent) {
      expect(claims).toMatchObject({ decision: 'approve', amount: 1290 });
      expect(claims).not.toHaveProperty('pinProof');
    }
  });

  it('refuses a PIN request without a PIN, pin_required, before sending anything', async () => {
    const { account } = await enrolled();
    let calls = 0;
    mock.use(
      http.post(`${SERVER}/device/requests/cfr_1/answer`, () => {
        calls++;
        return HttpResponse.json({ state: 'approved' });
      }),
    );
    for (const request of [REQUEST, { ...REQUEST, approval: 'pin' as const }]) {
      await expect(account.approve(request)).rejects.toSatisfy((error) => isCaisseDeviceError(error, 'pin_required'));
    }
    expect(calls).toBe(0);
  });

  it("passes the server's pin_required through: it holds the request as it sent it", async () => {
    const { account } = await enrolled();
    mock.use(http.post(`${SERVER}/device/requests/cfr_1/answer`, () => problem(401, 'pin_required')));
    // A request altered on the device to read `tap` is still a PIN request at the server.
    const error = await account.approve({ ...REQUEST, approval: 'tap' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'CaisseDeviceError', code: 'pin_required', status: 401, serverCode: 'pin_required' });
  });

  it('refuses to sign a request that is not a protocol message', async () => {
    const { account } = await enrolled();
    await expect(account.approve({ ...REQUEST, amount: -1 }, '4821')).rejects.toSatisfy((error) =>
      isCaisseDeviceError(error, 'message_invalid'),
    );
  });

  it('gives pin_invalid with attemptsLeft', async () => {
    const { account } = await enrolled();
    mock.use(http.post(`${SERVER}/device/requests/cfr_1/answer`, () => problem(401, 'pin_invalid', { attemptsLeft: 3 })));
    const error = await account.approve(REQUEST, '0000').catch((caught: unknown) => caught);
    expect(isCaisseDeviceError(error, 'pin_invalid')).toBe(true);
    expect(error).toMatchObject({
      name: 'CaisseDeviceError',
      code: 'pin_invalid',
      attemptsLeft: 3,
      status: 401,
      message: 'detail of pin_invalid',
    });
  });

  it.each([
    [423, 'account_locked'],
    [410, 'confirmation_expired'],
    [409, 'confirmation_answered'],
    [404, 'confirmation_unknown'],
    [422, 'confirmation_mismatch'],
    [403, 'device_revoked'],
    [401, 'device_unknown'],
  ] as const)('passes %i %s through as its own code', async (status, code) => {
    const { account } = await enrolled();
    mock.use(http.post(`${SERVER}/device/requests/cfr_1/answer`, () => problem(status, code)));
    await expect(account.decline(REQUEST)).rejects.toMatchObject({ code, status });
  });

  it('turns any other answer into server_error keeping the server code and status, and no answer into offline', async () => {
    const { account } = await enrolled();
    mock.use(http.post(`${SERVER}/device/requests/cfr_1/answer`, () => problem(401, 'token_replayed')));
    await expect(account.decline(REQUEST)).rejects.toMatchObject({ code: 'server_error', serverCode: 'token_replayed', status: 401 });
    mock.use(http.post(`${SERVER}/device/requests/cfr_1/answer`, () => new HttpResponse('<h1>Bad gateway</h1>', { status: 502 })));
    await expect(account.decline(REQUEST)).rejects.toMatchObject({ code: 'server_error', status: 502 });
    mock.use(
      http.post(
        `${SERVER}/device/requests/cfr_1/answer`,
        () => new HttpResponse('{"code":"confirmation_expired","status":410}', { status: 410, headers: { 'content-type': 'text/plain' } }),
      ),
    );
    await expect(account.decline(REQUEST)).rejects.toMatchObject({ code: 'confirmation_expired', status: 410 });
    mock.use(http.post(`${SERVER}/device/requests/cfr_1/answer`, () => HttpResponse.error()));
    await expect(account.decline(REQUEST)).rejects.toMatchObject({ code: 'offline' });
  });

  it('changes the PIN with a proof of the current one bound to the assertion jti, and the new verifier', async () => {
    const { account, pinSalt } = await enrolled();
    let body: { pinProof?: string; pinVerifier?: string } = {};
    let claims: Record<string, unknown> = {};
    mock.use(
      http.post(`${SERVER}/device/pin`, async ({ request }) => {
        claims = payloadOf((request.headers.get('authorization') ?? '').split(' ')[1] ?? '');
        body = (await request.json()) as typeof body;
        return new HttpResponse(null, { status: 204 });
      }),
    );
    await account.changePin('4821', '903715');
    const salt = base64urlDecode(pinSalt) as Uint8Array;
    const oldKey = pbkdf2Sync('4821', salt, 310_000, 32, 'sha256');
    expect(body).toEqual({
      pinProof: createHmac('sha256', oldKey).update(`caisse-pin|pin-change|${claims.jti}`).digest('base64url'),
      pinVerifier: pbkdf2Sync('903715', salt, 310_000, 32, 'sha256').toString('base64url'),
    });
    expect(claims).toMatchObject({ htm: 'POST', htu: `${SERVER}/device/pin`, bodySha256: expect.any(String) });
  });

  it('revokes at the server and forgets the account; an already revoked device is forgotten too', async () => {
    const { account, store } = await enrolled();
    let claims: Record<string, unknown> = {};
    mock.use(
      http.delete(`${SERVER}/device`, ({ request }) => {
        claims = payloadOf((request.headers.get('authorization') ?? '').split(' ')[1] ?? '');
        return new HttpResponse(null, { status: 204 });
      }),
    );
    await account.revoke();
    expect(claims).toMatchObject({ iss: account.deviceId, htm: 'DELETE', htu: `${SERVER}/device` });
    expect(await store.list()).toEqual([]);

    const again = await enrolled();
    mock.use(http.delete(`${SERVER}/device`, () => problem(403, 'device_revoked')));
    await again.account.revoke();
    expect(await again.store.list()).toEqual([]);
  });
});

describe('the request stream', () => {
  function sse(text: string) {
    return new HttpResponse(text, { headers: { 'content-type': 'text/event-stream' } });
  }

  it('reconnects with Last-Event-ID and a fresh assertion, surfaces closed events, and ends on device_revoked', async () => {
    const { account } = await enrolled();
    const seen: { lastEventId: string | null; jti: unknown }[] = [];
    mock.use(
      http.get(`${SERVER}/device/requests`, ({ request }) => {
        const jti = payloadOf((request.headers.get('authorization') ?? '').split(' ')[1] ?? '').jti;
        seen.push({ lastEventId: request.headers.get('last-event-id'), jti });
        if (seen.length === 1) return sse(`: hello\n\nid: 41\nevent: request\ndata: ${JSON.stringify(REQUEST)}\n\n`);
        if (seen.length === 2) return sse('event: closed\ndata: {"id":"cfr_1","state":"approved"}\n\nevent: request\ndata: {"bad":1}\n\n');
        if (seen.length === 3) return HttpResponse.error();
        return problem(403, 'device_revoked');
      }),
    );
    const events: RequestEvent[] = [];
    const failure = await (async () => {
      for await (const event of account.requests()) events.push(event);
    })().catch((error: unknown) => error);
    expect(isCaisseDeviceError(failure, 'device_revoked')).toBe(true);
    expect(events.map((event) => event.type)).toEqual(['open', 'request', 'retry', 'open', 'closed', 'invalid', 'retry', 'retry']);
    expect(events[1]).toEqual({ type: 'request', request: REQUEST });
    expect(events[4]).toEqual({ type: 'closed', id: 'cfr_1', state: 'approved' });
    expect(events[7]).toMatchObject({ type: 'retry', error: { code: 'offline' } });
    expect(seen.map((connection) => connection.lastEventId)).toEqual([null, '41', '41', '41']);
    expect(new Set(seen.map((connection) => connection.jti)).size).toBe(4);
  });

  it('ends quietly when the signal aborts, and when the consumer stops', async () => {
    const { account } = await enrolled();
    mock.use(http.get(`${SERVER}/device/requests`, () => sse(`id: 1\nevent: request\ndata: ${JSON.stringify(REQUEST)}\n\n`)));
    const controller = new AbortController();
    const types: string[] = [];
    for await (const event of account.requests({ signal: controller.signal })) {
      types.push(event.type);
      if (event.type === 'request') controller.abort();
    }
    expect(types).toEqual(['open', 'request']);
    for await (const event of account.requests()) if (event.type === 'request') break;
  });

  it('drops a connection that goes silent and makes a new one', async () => {
    const { account } = await enrolled({ initialDelay: 5, silenceLimit: 100 });
    let connections = 0;
    mock.use(
      http.get(`${SERVER}/device/requests`, () => {
        connections++;
        // Headers, then nothing: a dead line after a network change looks like this.
        return new HttpResponse(new ReadableStream({ start: (controller) => controller.enqueue(new TextEncoder().encode(': hi\n\n')) }), {
          headers: { 'content-type': 'text/event-stream' },
        });
      }),
    );
    const types: string[] = [];
    for await (const event of account.requests()) {
      types.push(event.type === 'retry' ? `retry:${event.error?.message}` : event.type);
      if (types.length === 4) break;
    }
    expect(types).toEqual(['open', 'retry:The event stream went silent.', 'open', 'retry:The event stream went silent.']);
    expect(connections).toBe(2);

    // A consumer that takes its time over an event (a customer typing a PIN) is not taken for silence.
    mock.use(
      http.get(`${SERVER}/device/requests`, () => sse(`id: 1\nevent: request\ndata: ${JSON.stringify(REQUEST)}\n\n: keep-alive\n\n`)),
    );
    const slow: string[] = [];
    for await (const event of account.requests()) {
      slow.push(event.type === 'retry' ? `retry:${event.error?.message ?? 'ended'}` : event.type);
      if (event.type === 'request') await new Promise((resolve) => setTimeout(resolve, 300));
      if (slow.length === 3) break;
    }
    expect(slow).toEqual(['open', 'request', 'retry:ended']);
  });

  it('surfaces outcomes: paid with the payment id, refused with the reason; an outcome not of the protocol is invalid', async () => {
    const { account } = await enrolled();
    const paid = { id: 'cfr_1', outcome: { status: 'paid', paymentId: 'pay_1042' } };
    const refused = { id: 'cfr_2', outcome: { status: 'refused', reason: 'bank_declined' } };
    const unknownReason = { id: 'cfr_3', outcome: { status: 'refused', reason: 'bank_said_no' } };
    mock.use(
      http.get(`${SERVER}/device/requests`, () =>
        sse(
          [paid, refused, unknownReason].map((event) => `event: outcome\ndata: ${JSON.stringify(event)}\n\n`).join('') +
            'event: later-kind\ndata: {}\n\n',
        ),
      ),
    );
    const events: RequestEvent[] = [];
    for await (const event of account.requests()) {
      events.push(event);
      if (events.length === 4) break;
    }
    expect(events.slice(1, 3)).toEqual([
      { type: 'outcome', ...paid },
      { type: 'outcome', ...refused },
    ]);
    expect(events[3]).toMatchObject({
      type: 'invalid',
      error: { code: 'message_invalid', message: expect.stringContaining('outcome.reason') },
    });
  });

  it('reads pending requests in one look, validating each', async () => {
    const { account } = await enrolled();
    mock.use(
      http.get(`${SERVER}/device/requests`, ({ request }) => {
        expect(request.headers.get('accept')).toBe('application/json');
        return HttpResponse.json({ requests: [REQUEST] });
      }),
    );
    expect(await account.pending()).toEqual([REQUEST]);
    mock.use(http.get(`${SERVER}/device/requests`, () => HttpResponse.json({ requests: [{ ...REQUEST, challenge: 'short' }] })));
    await expect(account.pending()).rejects.toMatchObject({ code: 'message_invalid' });
  });
});

describe('the payment plan', () => {
  const PLAN = {
    currency: 'EUR',
    plan: { means: ['wallet', 'bank'], walletBelow: 5000, bankWhenShort: false, tapBelow: 0, dailyCeiling: 30000, monthlyCeiling: 100000 },
    bounds: { walletThreshold: 5000, tapLimit: 2000, dailyCeiling: 30000, monthlyCeiling: 100000 },
    chosen: false,
  };

  it('reads the plan with the bounds, signed for the URL with its query, dropping members it does not know', async () => {
    const { account } = await enrolled();
    let claims: Record<string, unknown> = {};
    mock.use(
      http.get(`${SERVER}/device/plan`, ({ request }) => {
        expect(new URL(request.url).searchParams.get('currency')).toBe('EUR');
        claims = payloadOf((request.headers.get('authorization') ?? '').split(' ')[1] ?? '');
        return HttpResponse.json({ ...PLAN, later: 'a member a newer server adds' });
      }),
    );
    expect(await account.plan('EUR')).toEqual(PLAN);
    expect(claims).toMatchObject({ iss: account.deviceId, htm: 'GET', htu: `${SERVER}/device/plan?currency=EUR` });
    expect(claims).not.toHaveProperty('bodySha256');
  });

  it('refuses an answer that is not a plan, and an unknown currency before sending anything', async () => {
    const { account } = await enrolled();
    mock.use(http.get(`${SERVER}/device/plan`, () => HttpResponse.json({ ...PLAN, plan: { ...PLAN.plan, tapBelow: '1500' } })));
    await expect(account.plan('EUR')).rejects.toMatchObject({ code: 'message_invalid', message: expect.stringContaining('plan.tapBelow') });
    // No handler for `XXX`: the mock fails any call the SDK would make.
    await expect(account.plan('XXX')).rejects.toMatchObject({ code: 'currency_unknown' });
  });

  it('changes the plan with a PIN proof for plan-change bound to the assertion jti, and returns the new plan', async () => {
    const { account, pinSalt } = await enrolled();
    let body: Record<string, unknown> = {};
    let claims: Record<string, unknown> = {};
    const changed = { ...PLAN, plan: { ...PLAN.plan, means: ['bank', 'wallet'], tapBelow: 1500, dailyCeiling: 20000 }, chosen: true };
    mock.use(
      http.put(`${SERVER}/device/plan`, async ({ request }) => {
        claims = payloadOf((request.headers.get('authorization') ?? '').split(' ')[1] ?? '');
        body = (await request.json()) as Record<string, unknown>;
        return HttpResponse.json(changed);
      }),
    );
    const change = { means: ['bank', 'wallet'] as const, tapBelow: 1500, dailyCeiling: 20000, monthlyCeiling: null };
    await expect(account.setPlan('EUR', change, '4821')).resolves.toEqual(changed);
    const pinKey = pbkdf2Sync('4821', base64urlDecode(pinSalt) as Uint8Array, 310_000, 32, 'sha256');
    expect(body).toEqual({
      currency: 'EUR',
      change: { means: ['bank', 'wallet'], tapBelow: 1500, dailyCeiling: 20000, monthlyCeiling: null },
      pinProof: createHmac('sha256', pinKey).update(`caisse-pin|plan-change|${claims.jti}`).digest('base64url'),
    });
    expect(claims).toMatchObject({ htm: 'PUT', htu: `${SERVER}/device/plan`, bodySha256: expect.any(String) });
  });

  it('gives pin_invalid with attemptsLeft, and account_locked', async () => {
    const { account } = await enrolled();
    mock.use(http.put(`${SERVER}/device/plan`, () => problem(401, 'pin_invalid', { attemptsLeft: 2 })));
    const error = await account.setPlan('EUR', { tapBelow: 1000 }, '0000').catch((caught: unknown) => caught);
    expect(isCaisseDeviceError(error, 'pin_invalid')).toBe(true);
    expect(error).toMatchObject({ code: 'pin_invalid', attemptsLeft: 2, status: 401 });
    mock.use(http.put(`${SERVER}/device/plan`, () => problem(423, 'account_locked')));
    await expect(account.setPlan('EUR', { tapBelow: 1000 }, '0000')).rejects.toMatchObject({ code: 'account_locked', status: 423 });
  });

  it('gives plan_out_of_bounds with the issue of each field past its bound', async () => {
    const { account } = await enrolled();
    const issues = [
      { path: 'walletBelow', message: "must not exceed the operator's wallet threshold (5000 minor units)" },
      { path: 'tapBelow', message: "must not exceed the operator's tap limit (2000 minor units)" },
    ];
    // The server names the request's fields; the SDK names the change's, as the caller wrote them.
    const inRequest = issues.map((issue) => ({ ...issue, path: `change.${issue.path}` }));
    mock.use(http.put(`${SERVER}/device/plan`, () => problem(422, 'plan_out_of_bounds', { issues: inRequest })));
    const error = await account.setPlan('EUR', { walletBelow: 9000, tapBelow: 2500 }, '4821').catch((caught: unknown) => caught);
    expect(isCaisseDeviceError(error, 'plan_out_of_bounds')).toBe(true);
    expect(error).toMatchObject({ code: 'plan_out_of_bounds', status: 422, serverCode: 'plan_out_of_bounds', issues });
  });

  it("turns the server's request_invalid about plan fields into plan_invalid, about anything else into server_error", async () => {
    const { account } = await enrolled();
    const daily = [{ path: 'dailyCeiling', message: 'must not exceed the monthly ceiling' }];
    mock.use(
      http.put(`${SERVER}/device/plan`, () => problem(400, 'request_invalid', { issues: [{ ...daily[0], path: 'change.dailyCeiling' }] })),
    );
    await expect(account.setPlan('EUR', { dailyCeiling: 200000 }, '4821')).rejects.toMatchObject({
      code: 'plan_invalid',
      status: 400,
      issues: daily,
      message: 'dailyCeiling: must not exceed the monthly ceiling.',
    });
    mock.use(
      http.put(`${SERVER}/device/plan`, () => problem(400, 'request_invalid', { issues: [{ path: 'pinProof', message: 'Required' }] })),
    );
    await expect(account.setPlan('EUR', { tapBelow: 0 }, '4821')).rejects.toMatchObject({
      code: 'server_error',
      serverCode: 'request_invalid',
    });
  });

  it('refuses a change that is not a plan, a malformed PIN and an unknown currency before sending anything', async () => {
    const { account } = await enrolled();
    const refused = (change: object) => account.setPlan('EUR', change, '4821').catch((caught: unknown) => caught);
    expect(await refused({ walletBelow: 12.5, means: ['bank', 'bank'] })).toMatchObject({
      code: 'plan_invalid',
      issues: [
        { path: 'means', message: 'must not name a means twice' },
        { path: 'walletBelow', message: 'must be a whole number of minor units' },
      ],
    });
    expect(await refused({ tapBelow: -1 })).toMatchObject({ code: 'plan_invalid', issues: [{ path: 'tapBelow' }] });
    expect(await refused({ means: [] })).toMatchObject({ code: 'plan_invalid', issues: [{ path: 'means' }] });
    expect(await refused({ pointsFirst: true })).toMatchObject({ code: 'plan_invalid' });
    await expect(account.setPlan('EUR', { tapBelow: 0 }, '12')).rejects.toMatchObject({ code: 'pin_malformed' });
    await expect(account.setPlan('eur', { tapBelow: 0 }, '4821')).rejects.toMatchObject({ code: 'currency_unknown' });
  });
});

describe('the money overview', () => {
  const EUR = {
    currency: 'EUR',
    plan: { means: ['wallet', 'bank'], walletBelow: 5000, bankWhenShort: false, tapBelow: 0, dailyCeiling: 30000, monthlyCeiling: 100000 },
    bounds: { walletThreshold: 5000, tapLimit: 2000, dailyCeiling: 30000, monthlyCeiling: 100000 },
    chosen: false,
    wallet: { balance: 8710, available: 8710, cap: 15000 },
    points: 120,
    day: { since: '2026-03-02T00:00:00.000Z', ceiling: 30000, spent: 1290, remaining: 28710, byMeans: { wallet: 1290, bank: 0 } },
    month: { since: '2026-03-01T00:00:00.000Z', ceiling: 100000, spent: 7290, remaining: 92710, byMeans: { wallet: 1290, bank: 6000 } },
  };

  it('reads every currency with dates as Dates, and a currency without a wallet', async () => {
    const { account } = await enrolled();
    let claims: Record<string, unknown> = {};
    const bankOnly = { ...EUR, currency: 'GBP', wallet: null, points: 0 };
    mock.use(
      http.get(`${SERVER}/device/overview`, ({ request }) => {
        claims = payloadOf((request.headers.get('authorization') ?? '').split(' ')[1] ?? '');
        return HttpResponse.json({ customer: { account: 'alice' }, at: '2026-03-02T10:00:00.000Z', currencies: [EUR, bankOnly] });
      }),
    );
    const overview = await account.overview();
    expect(claims).toMatchObject({ htm: 'GET', htu: `${SERVER}/device/overview` });
    expect(overview).toEqual({
      at: new Date('2026-03-02T10:00:00.000Z'),
      currencies: [
        { ...EUR, day: { ...EUR.day, since: new Date(EUR.day.since) }, month: { ...EUR.month, since: new Date(EUR.month.since) } },
        { ...bankOnly, day: { ...EUR.day, since: new Date(EUR.day.since) }, month: { ...EUR.month, since: new Date(EUR.month.since) } },
      ],
    });
  });

  it('refuses an overview whose amounts are not whole minor units', async () => {
    const { account } = await enrolled();
    mock.use(
      http.get(`${SERVER}/device/overview`, () =>
        HttpResponse.json({ at: '2026-03-02T10:00:00.000Z', currencies: [{ ...EUR, points: 1.5 }] }),
      ),
    );
    await expect(account.overview()).rejects.toMatchObject({
      code: 'message_invalid',
      message: expect.stringContaining('currencies.0.points'),
    });
  });
});

describe('the history of answered requests', () => {
  const PAID = {
    id: 'cfr_2',
    payee: { id: 'bookshop', name: 'The Bookshop' },
    amount: 1290,
    currency: 'EUR',
    answer: 'approved',
    answeredAt: 1767225660,
    outcome: { status: 'paid', paymentId: 'pay_1042' },
  };
  const REFUSED = { ...PAID, id: 'cfr_1', amount: 6000, outcome: { status: 'refused', reason: 'bank_declined' } };

  it('reads the answered requests with their outcome, signed for the URL with its query, dates as Dates', async () => {
    const { account } = await enrolled();
    let claims: Record<string, unknown> = {};
    mock.use(
      http.get(`${SERVER}/device/history`, ({ request }) => {
        claims = payloadOf((request.headers.get('authorization') ?? '').split(' ')[1] ?? '');
        return HttpResponse.json({ requests: [PAID, REFUSED] });
      }),
    );
    expect(await account.history({ limit: 2, before: 'cfr_9' })).toEqual([
      { ...PAID, answeredAt: new Date(PAID.answeredAt * 1000) },
      { ...REFUSED, answeredAt: new Date(REFUSED.answeredAt * 1000) },
    ]);
    expect(claims).toMatchObject({ htm: 'GET', htu: `${SERVER}/device/history?limit=2&before=cfr_9` });
    await account.history();
    expect(claims).toMatchObject({ htu: `${SERVER}/device/history` });
  });

  it('refuses a history whose outcome is not of the protocol (a paid one without its payment id)', async () => {
    const { account } = await enrolled();
    mock.use(http.get(`${SERVER}/device/history`, () => HttpResponse.json({ requests: [{ ...PAID, outcome: { status: 'paid' } }] })));
    await expect(account.history()).rejects.toMatchObject({
      code: 'message_invalid',
      message: expect.stringContaining('requests.0.outcome.paymentId'),
    });
  });
});
