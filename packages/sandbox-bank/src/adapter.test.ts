import { type AuthoriseRequest, isAcquirerError, refusalFor } from '@caisse/acquirer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxAcquirer, type SandboxAcquirer } from './adapter.js';
import { type RunningSandboxBank, startSandboxBank } from './server.js';

/**
 * The sandbox acquirer against the real sandbox bank, over HTTP on 127.0.0.1. Time-outs
 * are short and real: the client gives up after 1 s (room for a loaded machine), the bank answers `test_timeout`
 * after 2 s and `test_slow` after 50 ms.
 */

let bank: RunningSandboxBank;
let acquirer: SandboxAcquirer;
let serial = 0;
const newKey = () => `adapter-${++serial}`;

beforeAll(async () => {
  bank = await startSandboxBank({ timeoutDelayMs: 2_000, slowDelayMs: 50 });
  acquirer = createSandboxAcquirer({ url: bank.url, timeoutMs: 1_000 });
});
afterAll(() => bank.close());

function authorisation(customerBankRef: string, amount = 9_900): AuthoriseRequest {
  return { idempotencyKey: newKey(), customerBankRef, amount, currency: 'EUR', merchantId: 'shop-1', description: 'Order 7' };
}

describe('sandbox acquirer', () => {
  it('approves for test_approve, with the bank reference to capture', async () => {
    const result = await acquirer.authorise(authorisation('test_approve'));
    expect(result).toEqual({
      status: 'approved',
      kind: 'authorise',
      bankReference: expect.stringMatching(/^auth_/),
      amount: 9_900,
      currency: 'EUR',
    });
  });

  it('approves for test_slow, which answers late but within the timeout', async () => {
    expect(await acquirer.authorise(authorisation('test_slow'))).toMatchObject({ status: 'approved' });
  });

  it.each([
    ['test_insufficient_funds', 'insufficient_funds'],
    ['test_lost_card', 'lost_card'],
    ['test_do_not_honour', 'do_not_honour'],
    ['nobody_at_all', 'account_unknown'],
  ] as const)('declines for %s with %s, which the customer sees as bank_declined', async (ref, reason) => {
    const result = await acquirer.authorise(authorisation(ref));
    expect(result).toEqual({
      status: 'declined',
      kind: 'authorise',
      reason,
      refusal: 'bank_declined',
      bankReference: expect.stringMatching(/^dcl_/),
      amount: 9_900,
    });
    expect(refusalFor(reason)).toBe('bank_declined');
  });

  it('answers pending (timeout) for test_timeout, although the bank approved it: only a lookup tells', async () => {
    const request = authorisation('test_timeout');
    expect(await acquirer.authorise(request)).toEqual({ status: 'pending', cause: 'timeout', detail: expect.any(String) });
    expect(await acquirer.lookup(request.idempotencyKey)).toMatchObject({
      status: 'approved',
      kind: 'authorise',
      amount: 9_900,
      currency: 'EUR',
    });
    // Asking again under the same key is safe, but the bank is just as slow to answer.
    expect(await acquirer.authorise(request)).toMatchObject({ status: 'pending', cause: 'timeout' });
    expect(bank.bank.statement().filter((operation) => operation.idempotencyKey === request.idempotencyKey)).toHaveLength(1);
  });

  it('sends an Idempotency-Key, so a replay gets the same answer and no second operation', async () => {
    const request = authorisation('test_approve', 4_321);
    const first = await acquirer.authorise(request);
    expect(await acquirer.authorise(request)).toEqual(first);
    expect(bank.bank.statement().filter((operation) => operation.idempotencyKey === request.idempotencyKey)).toHaveLength(1);
  });

  it('throws bank_idempotency_conflict when the bank holds another request under the key', async () => {
    const request = authorisation('test_approve', 1_000);
    await acquirer.authorise(request);
    const error = await acquirer.authorise({ ...request, amount: 1_001 }).catch((failure: unknown) => failure);
    expect(isAcquirerError(error, 'bank_idempotency_conflict')).toBe(true);
  });

  it('captures, refunds and pays out', async () => {
    const auth = await acquirer.authorise(authorisation('test_approve', 5_000));
    if (auth.status !== 'approved') throw new Error('expected an approval');
    const capture = await acquirer.capture({ idempotencyKey: newKey(), authorisationId: auth.bankReference, amount: 5_000 });
    expect(capture).toMatchObject({ status: 'approved', kind: 'capture', amount: 5_000, currency: 'EUR' });
    expect(await acquirer.capture({ idempotencyKey: newKey(), authorisationId: auth.bankReference, amount: 1 })).toMatchObject({
      status: 'declined',
      reason: 'amount_exceeds_authorisation',
    });
    expect(await acquirer.refund({ idempotencyKey: newKey(), authorisationId: auth.bankReference, amount: 2_000 })).toMatchObject({
      status: 'approved',
      kind: 'refund',
    });
    expect(await acquirer.capture({ idempotencyKey: newKey(), authorisationId: 'auth_unknown', amount: 1 })).toMatchObject({
      status: 'declined',
      reason: 'authorisation_unknown',
    });
    const payout = { idempotencyKey: newKey(), merchantId: 'shop-1', accountRef: 'test_approve', amount: 3_000, currency: 'EUR' };
    expect(await acquirer.payout(payout)).toMatchObject({ status: 'approved', kind: 'payout', amount: 3_000 });
  });

  it('voids what remains of an authorisation, after which it can no longer be captured', async () => {
    const auth = await acquirer.authorise(authorisation('test_approve', 8_000));
    if (auth.status !== 'approved') throw new Error('expected an approval');
    await acquirer.capture({ idempotencyKey: newKey(), authorisationId: auth.bankReference, amount: 2_000 });
    const request = { idempotencyKey: newKey(), authorisationId: auth.bankReference, amount: 6_000 };
    const voided = await acquirer.void(request);
    expect(voided).toEqual({
      status: 'approved',
      kind: 'void',
      bankReference: expect.stringMatching(/^void_/),
      amount: 6_000,
      currency: 'EUR',
    });
    expect(await acquirer.void(request)).toEqual(voided);
    expect(await acquirer.lookup(request.idempotencyKey)).toEqual(voided);
    expect(await acquirer.capture({ idempotencyKey: newKey(), authorisationId: auth.bankReference, amount: 1 })).toMatchObject({
      status: 'declined',
      kind: 'capture',
      reason: 'amount_exceeds_authorisation',
    });
    expect(await acquirer.void({ idempotencyKey: newKey(), authorisationId: 'auth_unknown', amount: 1 })).toMatchObject({
      status: 'declined',
      kind: 'void',
      reason: 'authorisation_unknown',
    });
    const error = await acquirer.void({ ...request, idempotencyKey: newKey(), amount: 0 }).catch((failure: unknown) => failure);
    expect(isAcquirerError(error, 'invalid_request')).toBe(true);
  });

  it('answers declined (request_rejected) when the bank does not process the currency', async () => {
    const euroBank = await startSandboxBank({ currencies: ['EUR'] });
    try {
      const euroOnly = createSandboxAcquirer({ url: euroBank.url, timeoutMs: 1_000 });
      const request = { ...authorisation('test_approve'), currency: 'CHF' };
      expect(await euroOnly.authorise(request)).toEqual({
        status: 'declined',
        kind: 'authorise',
        reason: 'request_rejected',
        refusal: 'bank_declined',
        bankReference: null,
        amount: 9_900,
      });
      // The bank refused before acting: it has no operation under the key.
      expect(await euroOnly.lookup(request.idempotencyKey)).toEqual({ status: 'unknown' });
      const payout = { idempotencyKey: newKey(), merchantId: 'shop-1', accountRef: 'test_approve', amount: 3_000, currency: 'USD' };
      expect(await euroOnly.payout(payout)).toMatchObject({ status: 'declined', kind: 'payout', reason: 'request_rejected' });
      expect(await euroOnly.authorise(authorisation('test_approve'))).toMatchObject({ status: 'approved', currency: 'EUR' });
    } finally {
      await euroBank.close();
    }
  });

  it('looks up what the bank did, and says unknown for a key it never received', async () => {
    const declined = authorisation('test_lost_card');
    await acquirer.authorise(declined);
    expect(await acquirer.lookup(declined.idempotencyKey)).toMatchObject({
      status: 'declined',
      reason: 'lost_card',
      refusal: 'bank_declined',
    });
    expect(await acquirer.lookup('never-sent')).toEqual({ status: 'unknown' });
  });

  it('refuses a malformed request before sending it', async () => {
    const before = bank.bank.statement().length;
    for (const request of [
      { ...authorisation('test_approve'), amount: 12.5 },
      { ...authorisation('test_approve'), amount: 0 },
      { ...authorisation('test_approve'), currency: 'eur' },
      { ...authorisation('test_approve'), idempotencyKey: '' },
      { ...authorisation('test_approve'), idempotencyKey: 'x'.repeat(256) },
    ]) {
      const error = await acquirer.authorise(request).catch((failure: unknown) => failure);
      expect(isAcquirerError(error, 'invalid_request')).toBe(true);
    }
    expect(bank.bank.statement()).toHaveLength(before);
  });

  it('answers pending (unreachable) when nothing listens, and never unknown', async () => {
    const closed = await startSandboxBank();
    const url = closed.url;
    await closed.close();
    const offline = createSandboxAcquirer({ url, timeoutMs: 200 });
    expect(await offline.authorise(authorisation('test_approve'))).toMatchObject({ status: 'pending', cause: 'unreachable' });
    expect(await offline.lookup('anything')).toMatchObject({ status: 'pending', cause: 'unreachable' });
  });

  it('does not take a 404 from something that is not the bank for "unknown"', async () => {
    const wrongPath = createSandboxAcquirer({ url: `${bank.url}/elsewhere`, timeoutMs: 200 });
    expect(await wrongPath.lookup('never-sent')).toMatchObject({ status: 'pending', cause: 'response_invalid' });
    expect(await wrongPath.authorise(authorisation('test_approve'))).toMatchObject({ status: 'pending', cause: 'response_invalid' });
  });

  it('reads the statement of one account', async () => {
    const request = authorisation('test_do_not_honour');
    await acquirer.authorise(request);
    const lines = await acquirer.statement('test_do_not_honour');
    expect(lines.map((line) => line.idempotencyKey)).toContain(request.idempotencyKey);
    expect(lines.every((line) => line.account === 'test_do_not_honour')).toBe(true);
  });
});
