import { HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { TOKEN, VERIFY_URL, VOUCHER, verifyEndpoint } from './test-support.js';
import { verifyToken } from './verify.js';

const verify = verifyEndpoint();
const problem = (status: number, code?: string) =>
  HttpResponse.json(
    { type: 'about:blank', title: 'x', status, ...(code ? { code } : {}) },
    { status, headers: { 'content-type': 'application/problem+json' } },
  );

describe('verifyToken', () => {
  it('posts { token } as JSON and reads a paid answer', async () => {
    expect(await verifyToken(VERIFY_URL, TOKEN)).toEqual({ status: 'paid', voucher: VOUCHER, redirectTo: undefined });
    expect(verify.requests).toMatchObject([{ body: { token: TOKEN }, contentType: 'application/json' }]);
  });

  it('reads a refusal and a redirectTo', async () => {
    verify.answer(() => HttpResponse.json({ status: 'refused', reason: 'account_locked', redirectTo: '/basket' }));
    expect(await verifyToken(VERIFY_URL, TOKEN)).toEqual({ status: 'refused', reason: 'account_locked', redirectTo: '/basket' });
  });

  it('maps problems to error codes, retryable only when the server side failed', async () => {
    const cases: [Response, string, boolean][] = [
      [problem(409, 'token_replayed'), 'token_replayed', false],
      [problem(403, 'state_mismatch'), 'state_mismatch', false],
      [problem(401, 'token_expired'), 'token_expired', false],
      [problem(503, 'replay_store_unavailable'), 'replay_store_unavailable', true],
      [problem(500), 'server_error', true],
      [problem(429), 'server_error', true],
      [problem(408), 'server_error', true],
      [new HttpResponse('<h1>Not found</h1>', { status: 404 }), 'server_error', false],
      [problem(400, 'Robert"); DROP'), 'server_error', false],
    ];
    for (const [response, code, retryable] of cases) {
      verify.answer(() => response);
      expect(await verifyToken(VERIFY_URL, TOKEN)).toEqual({ status: 'error', code, retryable });
    }
  });

  it('calls a 200 it cannot read response_invalid', async () => {
    for (const body of [
      {},
      { status: 'paid' },
      { status: 'paid', voucher: { ...VOUCHER, amount: '1590' } },
      { status: 'refused' },
      { status: 'ok' },
      null,
    ]) {
      verify.answer(() => HttpResponse.json(body));
      expect(await verifyToken(VERIFY_URL, TOKEN)).toEqual({ status: 'error', code: 'response_invalid', retryable: false });
    }
    verify.answer(() => new HttpResponse('not json', { status: 200 }));
    expect(await verifyToken(VERIFY_URL, TOKEN)).toEqual({ status: 'error', code: 'response_invalid', retryable: false });
  });

  it('calls a failed request network_error, retryable', async () => {
    verify.answer(() => HttpResponse.error());
    expect(await verifyToken(VERIFY_URL, TOKEN)).toEqual({ status: 'error', code: 'network_error', retryable: true });
  });
});
