import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_IDENTITIES } from './identities.js';
import { type RunningSandboxBank, startSandboxBank } from './server.js';
import { type BankOperation, bankOperation } from './wire.js';

/** The sandbox bank's own contract, spoken over real HTTP with plain fetch. */

let bank: RunningSandboxBank;
let serial = 0;

beforeAll(async () => {
  bank = await startSandboxBank({ port: 0, host: '127.0.0.1', timeoutDelayMs: 60_000, slowDelayMs: 10 });
});
afterAll(() => bank.close());

const newKey = () => `bank-test-${++serial}`;

/** `key` null: no Idempotency-Key header at all. */
async function post(path: string, body: unknown, key: string | null = newKey()) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== null) headers['idempotency-key'] = key;
  const response = await fetch(`${bank.url}${path}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
}

async function get(path: string) {
  const response = await fetch(`${bank.url}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const authorisation = (customerBankRef: string, amount = 7_500) => ({
  customerBankRef,
  amount,
  currency: 'EUR',
  merchantId: 'shop-1',
  description: 'Order 42',
});

async function authorised(customerBankRef = 'test_approve', amount = 7_500): Promise<BankOperation> {
  const answer = await post('/v1/authorisations', authorisation(customerBankRef, amount));
  expect(answer.status).toBe(200);
  return bankOperation.parse(answer.body);
}

describe('sandbox bank over HTTP', () => {
  it('listens on the loopback address it was given, on a port the system chose', () => {
    expect(bank.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(bank.port).toBeGreaterThan(0);
  });

  it.each([
    ['test_approve', 'approved', null],
    ['test_slow', 'approved', null],
    ['test_insufficient_funds', 'declined', 'insufficient_funds'],
    ['test_lost_card', 'declined', 'lost_card'],
    ['test_do_not_honour', 'declined', 'do_not_honour'],
    ['someone_else', 'declined', 'account_unknown'],
  ])('answers an authorisation for %s: %s %s', async (ref, status, declineReason) => {
    const key = newKey();
    const answer = await post('/v1/authorisations', authorisation(ref), key);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      idempotencyKey: key,
      kind: 'authorise',
      status,
      declineReason,
      account: ref,
      amount: 7_500,
      currency: 'EUR',
    });
    expect(bankOperation.parse(answer.body).reference).toMatch(status === 'approved' ? /^auth_[0-9a-f]{24}$/ : /^dcl_[0-9a-f]{24}$/);
  });

  it('documents every behaviour once in its table of test identities', () => {
    expect(new Set(TEST_IDENTITIES.map((identity) => identity.behaviour)).size).toBe(TEST_IDENTITIES.length);
    expect(TEST_IDENTITIES.map((identity) => identity.ref)).toEqual([
      'test_approve',
      'test_insufficient_funds',
      'test_lost_card',
      'test_do_not_honour',
      'test_timeout',
      'test_slow',
    ]);
  });

  it('answers the same key and body with the first answer, and records the operation once', async () => {
    const key = newKey();
    const first = await post('/v1/authorisations', authorisation('test_approve', 1_234), key);
    // Same content, other spelling: member order and white space do not make another request.
    const again = await post(
      '/v1/authorisations',
      `{ "description": "Order 42", "merchantId": "shop-1", "currency": "EUR", "amount": 1234, "customerBankRef": "test_approve" }`,
      key,
    );
    expect(again).toEqual(first);
    const statement = (await get('/v1/statement')).body.operations as BankOperation[];
    expect(statement.filter((operation) => operation.idempotencyKey === key)).toHaveLength(1);
  });

  it('refuses the same key with another body or on another endpoint (422), and keeps the first operation', async () => {
    const key = newKey();
    const first = await post('/v1/authorisations', authorisation('test_approve', 1_000), key);
    const otherBody = await post('/v1/authorisations', authorisation('test_approve', 1_001), key);
    expect(otherBody).toMatchObject({ status: 422, type: 'application/problem+json', body: { code: 'idempotency_conflict' } });
    const otherEndpoint = await post(
      '/v1/payouts',
      { merchantId: 'shop-1', accountRef: 'test_approve', amount: 1_000, currency: 'EUR' },
      key,
    );
    expect(otherEndpoint).toMatchObject({ status: 422, body: { code: 'idempotency_conflict' } });
    expect(await get(`/v1/operations?idempotencyKey=${key}`)).toEqual({ status: 200, body: first.body });
  });

  it('refuses a POST without an Idempotency-Key, or with a malformed one, and records nothing', async () => {
    const before = ((await get('/v1/statement')).body.operations as unknown[]).length;
    expect(await post('/v1/authorisations', authorisation('test_approve'), null)).toMatchObject({
      status: 400,
      body: { code: 'idempotency_key_missing' },
    });
    expect(await post('/v1/authorisations', authorisation('test_approve'), 'has space')).toMatchObject({
      status: 400,
      body: { code: 'request_invalid' },
    });
    expect(((await get('/v1/statement')).body.operations as unknown[]).length).toBe(before);
  });

  it.each([
    ['a float amount', { ...authorisation('test_approve'), amount: 12.5 }, 'amount'],
    ['a zero amount', { ...authorisation('test_approve'), amount: 0 }, 'amount'],
    ['an unknown currency', { ...authorisation('test_approve'), currency: 'XXX' }, 'currency'],
    ['an unexpected member', { ...authorisation('test_approve'), cardNumber: '4242424242424242' }, ''],
    ['a missing reference', { amount: 100, currency: 'EUR', merchantId: 'shop-1', description: '' }, 'customerBankRef'],
  ])('refuses %s with the field named, and records nothing', async (_label, body, path) => {
    const key = newKey();
    const answer = await post('/v1/authorisations', body, key);
    expect(answer).toMatchObject({ status: 400, type: 'application/problem+json', body: { code: 'request_invalid' } });
    expect((answer.body.issues as { path: string }[])[0]?.path).toBe(path);
    expect(await get(`/v1/operations?idempotencyKey=${key}`)).toMatchObject({ status: 404, body: { code: 'operation_unknown' } });
  });

  it('refuses a body that is not JSON', async () => {
    expect(await post('/v1/payouts', '{"amount":', newKey())).toMatchObject({ status: 400, body: { code: 'request_invalid' } });
  });

  it('captures up to the authorised amount and refunds up to the captured amount', async () => {
    const auth = await authorised('test_approve', 10_000);
    const path = `/v1/authorisations/${auth.reference}`;
    expect((await post(`${path}/captures`, { amount: 6_000 })).body).toMatchObject({
      kind: 'capture',
      status: 'approved',
      authorisationId: auth.reference,
      currency: 'EUR',
      account: 'test_approve',
    });
    expect((await post(`${path}/captures`, { amount: 4_001 })).body).toMatchObject({
      status: 'declined',
      declineReason: 'amount_exceeds_authorisation',
    });
    expect((await post(`${path}/captures`, { amount: 4_000 })).body).toMatchObject({ status: 'approved' });
    expect((await post(`${path}/refunds`, { amount: 10_000 })).body).toMatchObject({ kind: 'refund', status: 'approved' });
    expect((await post(`${path}/refunds`, { amount: 1 })).body).toMatchObject({
      status: 'declined',
      declineReason: 'amount_exceeds_capture',
    });
  });

  it('voids the uncaptured remainder: no capture after it, refunds of what was captured still possible', async () => {
    const auth = await authorised('test_approve', 10_000);
    const path = `/v1/authorisations/${auth.reference}`;
    expect((await post(`${path}/captures`, { amount: 3_000 })).body).toMatchObject({ status: 'approved' });
    const key = newKey();
    const voided = await post(`${path}/voids`, { amount: 7_000 }, key);
    expect(voided).toMatchObject({ status: 200 });
    expect(voided.body).toMatchObject({
      idempotencyKey: key,
      kind: 'void',
      status: 'approved',
      authorisationId: auth.reference,
      account: 'test_approve',
      amount: 7_000,
      currency: 'EUR',
      declineReason: null,
    });
    expect(bankOperation.parse(voided.body).reference).toMatch(/^void_[0-9a-f]{24}$/);
    expect((await post(`${path}/captures`, { amount: 1 })).body).toMatchObject({
      kind: 'capture',
      status: 'declined',
      declineReason: 'amount_exceeds_authorisation',
    });
    expect((await post(`${path}/refunds`, { amount: 3_000 })).body).toMatchObject({ kind: 'refund', status: 'approved' });
    const lines = (await get('/v1/statement?account=test_approve')).body.operations as BankOperation[];
    expect(lines.filter((line) => line.authorisationId === auth.reference).map((line) => `${line.kind} ${line.status}`)).toEqual([
      'capture approved',
      'void approved',
      'capture declined',
      'refund approved',
    ]);
  });

  it('replays a void under the same key, and declines a second void under another key', async () => {
    const auth = await authorised('test_approve', 5_000);
    const path = `/v1/authorisations/${auth.reference}/voids`;
    const key = newKey();
    const first = await post(path, { amount: 5_000 }, key);
    expect(first.body).toMatchObject({ kind: 'void', status: 'approved' });
    expect(await post(path, { amount: 5_000 }, key)).toEqual(first);
    expect(await post(path, { amount: 4_000 }, key)).toMatchObject({ status: 422, body: { code: 'idempotency_conflict' } });
    expect((await post(path, { amount: 5_000 })).body).toMatchObject({
      kind: 'void',
      status: 'declined',
      declineReason: 'amount_exceeds_authorisation',
    });
    const voids = ((await get('/v1/statement')).body.operations as BankOperation[]).filter(
      (line) => line.kind === 'void' && line.authorisationId === auth.reference,
    );
    expect(voids.map((line) => line.status)).toEqual(['approved', 'declined']);
  });

  it('declines a void larger than what remains, and a void of an authorisation it does not know', async () => {
    const auth = await authorised('test_approve', 2_000);
    expect((await post(`/v1/authorisations/${auth.reference}/voids`, { amount: 2_001 })).body).toMatchObject({
      status: 'declined',
      declineReason: 'amount_exceeds_authorisation',
    });
    // Declined, the void released nothing: the authorisation can still be captured in full.
    expect((await post(`/v1/authorisations/${auth.reference}/captures`, { amount: 2_000 })).body).toMatchObject({ status: 'approved' });
    expect((await post('/v1/authorisations/auth_nope/voids', { amount: 100 })).body).toMatchObject({
      kind: 'void',
      status: 'declined',
      declineReason: 'authorisation_unknown',
      currency: null,
    });
  });

  it('declines a capture of an authorisation it does not know, without a currency', async () => {
    expect((await post('/v1/authorisations/auth_nope/captures', { amount: 100 })).body).toMatchObject({
      status: 'declined',
      declineReason: 'authorisation_unknown',
      currency: null,
    });
  });

  it('pays out to a test identity and declines an unknown account', async () => {
    const payout = { merchantId: 'shop-1', amount: 2_500, currency: 'EUR' };
    expect((await post('/v1/payouts', { ...payout, accountRef: 'test_approve' })).body).toMatchObject({
      kind: 'payout',
      status: 'approved',
    });
    expect((await post('/v1/payouts', { ...payout, accountRef: 'FR7630006000011234567890189' })).body).toMatchObject({
      status: 'declined',
      declineReason: 'account_unknown',
    });
  });

  it('pays out to an account added by option', async () => {
    const other = await startSandboxBank({ accounts: { FR7630006000011234567890189: 'approve' } });
    try {
      const response = await fetch(`${other.url}/v1/payouts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'payout-1' },
        body: JSON.stringify({ merchantId: 'shop-1', accountRef: 'FR7630006000011234567890189', amount: 2_500, currency: 'EUR' }),
      });
      expect(await response.json()).toMatchObject({ status: 'approved', account: 'FR7630006000011234567890189' });
    } finally {
      await other.close();
    }
  });

  it('refuses an authorisation or payout in a currency it does not process (400), records nothing, and still processes the others', async () => {
    const euroBank = await startSandboxBank({ currencies: ['EUR'] });
    const send = async (path: string, body: unknown, key: string) => {
      const response = await fetch(`${euroBank.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
      });
      return {
        status: response.status,
        type: response.headers.get('content-type'),
        body: (await response.json()) as Record<string, unknown>,
      };
    };
    try {
      expect(await send('/v1/authorisations', { ...authorisation('test_approve'), currency: 'USD' }, 'usd-auth')).toMatchObject({
        status: 400,
        type: 'application/problem+json',
        body: { code: 'currency_unsupported' },
      });
      const payout = { merchantId: 'shop-1', accountRef: 'test_approve', amount: 2_500, currency: 'GBP' };
      expect(await send('/v1/payouts', payout, 'gbp-payout')).toMatchObject({ status: 400, body: { code: 'currency_unsupported' } });
      expect(euroBank.bank.statement()).toEqual([]);
      // Nothing was recorded, so the key is free for the same operation in a currency it takes.
      expect(await send('/v1/authorisations', authorisation('test_approve'), 'usd-auth')).toMatchObject({
        status: 200,
        body: { kind: 'authorise', status: 'approved', currency: 'EUR' },
      });
    } finally {
      await euroBank.close();
    }
  });

  it('refuses a currency list with a code that is not ISO 4217', async () => {
    await expect(startSandboxBank({ currencies: ['eur'] })).rejects.toThrow(/eur is not an active ISO 4217 code/);
  });

  it('records a timing-out operation before it answers: a lookup sees it while the answer is still held back', async () => {
    const key = newKey();
    const abandoned = new AbortController();
    const late = fetch(`${bank.url}/v1/authorisations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(authorisation('test_timeout')),
      signal: abandoned.signal,
    }).catch((error: unknown) => error);
    // Polls the bank (not a sleep): the operation is visible as soon as the bank decided it.
    await expect
      .poll(async () => (await get(`/v1/operations?idempotencyKey=${encodeURIComponent(key)}`)).body, { interval: 10, timeout: 5_000 })
      .toMatchObject({ idempotencyKey: key, status: 'approved', account: 'test_timeout' });
    abandoned.abort();
    expect(await late).toBeInstanceOf(Error);
  });

  it('looks up by key, including keys with characters that need escaping, and says when it does not know one', async () => {
    const key = `odd/key?&=#${newKey()}`;
    const answer = await post('/v1/authorisations', authorisation('test_approve'), key);
    expect(await get(`/v1/operations?idempotencyKey=${encodeURIComponent(key)}`)).toEqual({ status: 200, body: answer.body });
    expect(await get('/v1/operations?idempotencyKey=never-sent')).toMatchObject({ status: 404, body: { code: 'operation_unknown' } });
    expect(await get('/v1/operations')).toMatchObject({ status: 400, body: { code: 'request_invalid' } });
  });

  it('lists the statement of one account', async () => {
    const other = await startSandboxBank();
    try {
      for (const [index, ref] of ['test_approve', 'test_lost_card', 'test_approve'].entries()) {
        await fetch(`${other.url}/v1/authorisations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `statement-${index}` },
          body: JSON.stringify(authorisation(ref)),
        });
      }
      const all = (await (await fetch(`${other.url}/v1/statement`)).json()) as { operations: BankOperation[] };
      const approved = (await (await fetch(`${other.url}/v1/statement?account=test_approve`)).json()) as { operations: BankOperation[] };
      expect(all.operations.map((operation) => operation.account)).toEqual(['test_approve', 'test_lost_card', 'test_approve']);
      expect(approved.operations).toHaveLength(2);
      expect(other.bank.statement('test_lost_card')).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('answers unknown addresses with a problem', async () => {
    expect(await get('/v1/nothing')).toMatchObject({ status: 404, body: { code: 'not_found' } });
  });

  it('closes at once even while an answer is being held back', async () => {
    const other = await startSandboxBank({ timeoutDelayMs: 60_000 });
    const pending = fetch(`${other.url}/v1/authorisations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'held' },
      body: JSON.stringify(authorisation('test_timeout')),
    }).then(
      (response) => response.status,
      (error: unknown) => error,
    );
    await expect.poll(() => other.bank.statement().length, { interval: 10, timeout: 5_000 }).toBe(1);
    await other.close();
    const outcome = await pending;
    // Either the 503 made it out before the socket was dropped, or the connection was cut.
    expect(outcome === 503 || outcome instanceof Error).toBe(true);
  });
});
