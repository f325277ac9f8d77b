import { type Acquirer, type AcquirerErrorCode, isAcquirerError } from '@caisse/acquirer';
import { createSandboxAcquirer, type RunningSandboxBank, startSandboxBank } from '@caisse/sandbox-bank';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { credit, debit } from '../ledger/model.js';
import { createLedger } from '../ledger/service.js';
import { createLogger } from '../log.js';
import type { Database, Transaction } from '../storage/database.js';
import { openTestDatabase, type TestDatabase, testDrivers } from '../storage/test-support.js';
import { fromDatabaseError } from './errors.js';
import type { ApprovedOperation, DeclinedOperation } from './model.js';
import { type AuthoriseInput, createAcquirerOperations } from './operations.js';

/**
 * The operations table against both drivers, and the sandbox bank over real HTTP on
 * 127.0.0.1. The time-outs are real and short: the client gives up after 200 ms, the bank
 * answers `test_timeout` after 400 ms. The service's clock is a manual one, so retry
 * delays are stepped over, never waited for.
 */

const drivers = await testDrivers('payment-server acquirer operations');

const CLIENT_TIMEOUT_MS = 1_000;
const BANK_DELAY_MS = 2_000;
const RETRY_AFTER_MS = 60_000;
const YEAR = 365 * 86_400_000;

/**
 * Each test's clock starts a year before the previous test's: rows an earlier test left
 * pending are then never due in a later test's reconciliation, although they share a database.
 */
let epoch = Date.parse('2040-01-01T00:00:00Z');
function manualClock() {
  epoch -= YEAR;
  let current = epoch;
  return {
    now: () => new Date(current),
    advance: (ms: number) => {
      current += ms;
    },
  };
}

async function refused(promise: Promise<unknown>, code: AcquirerErrorCode) {
  const error = await promise.then(
    () => {
      throw new Error(`expected ${code}, but it succeeded`);
    },
    (failure: unknown) => failure,
  );
  if (!isAcquirerError(error, code)) throw new Error(`expected ${code}, got ${String(error)}`, { cause: error });
  return error;
}

describe.each(drivers)('acquirer operations on %s', (driver) => {
  let handle: TestDatabase;
  let db: Database;
  let tests = 0;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    handle = await openTestDatabase(driver, 'acquirer');
    db = handle.db;
  });
  afterAll(() => handle.close());
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function startBank(): Promise<RunningSandboxBank> {
    const bank = await startSandboxBank({ timeoutDelayMs: BANK_DELAY_MS, slowDelayMs: 50 });
    closers.push(bank.close);
    return bank;
  }

  /** A URL where nothing listens: a bank that was started, then stopped. */
  async function deadUrl(): Promise<string> {
    const bank = await startSandboxBank();
    await bank.close();
    return bank.url;
  }

  /**
   * A fresh bank, a service over the shared database, and hooks that do what the payment
   * flow does: book the approved amount from bank clearing to the merchant's till.
   */
  async function setUp(options: { url?: string; failHook?: number } = {}) {
    const n = ++tests;
    const bank = options.url === undefined ? await startBank() : undefined;
    const url = options.url ?? (bank as RunningSandboxBank).url;
    const acquirer = createSandboxAcquirer({ url, timeoutMs: CLIENT_TIMEOUT_MS });
    const clock = manualClock();
    const merchant = `shop-${driver}-${n}`;
    const approved: ApprovedOperation[] = [];
    const declined: DeclinedOperation[] = [];
    const lines: string[] = [];
    let hookFailures = options.failHook ?? 0;
    const deps = {
      db,
      now: clock.now,
      retryAfterMs: RETRY_AFTER_MS,
      log: createLogger({ level: 'debug', write: (line) => lines.push(line) }),
      onApproved: async (tx: Transaction, operation: ApprovedOperation) => {
        if (hookFailures > 0) {
          hookFailures -= 1;
          throw new Error('the payment flow failed to book');
        }
        approved.push(operation);
        if (operation.kind !== 'authorise') return;
        const ledger = createLedger(tx);
        const clearing = await ledger.openAccount({ type: 'bank_clearing', ownerId: 'operator', currency: operation.currency });
        const till = await ledger.openAccount({
          type: 'merchant_till',
          ownerId: String(operation.metadata.merchant),
          currency: operation.currency,
        });
        await ledger.transfer({
          idempotencyKey: `bank:${operation.idempotencyKey}`,
          lines: [debit(clearing.id, BigInt(operation.amount)), credit(till.id, BigInt(operation.amount))],
          metadata: { acquirerOperation: operation.id },
        });
      },
      onDeclined: async (_tx: Transaction, operation: DeclinedOperation) => {
        declined.push(operation);
      },
    };
    const operations = createAcquirerOperations({ ...deps, acquirers: [{ name: 'sandbox', acquirer }] });
    const request = (customerBankRef: string, amount = 12_000, key = `acq:authorise:${merchant}:T${n}`): AuthoriseInput => ({
      idempotencyKey: key,
      customerBankRef,
      amount,
      currency: 'EUR',
      merchantId: merchant,
      description: `Order ${n}`,
      metadata: { merchant, ticket: `T${n}` },
    });
    const tillBalance = async () => {
      const till = await createLedger(db).findAccount('merchant_till', merchant, 'EUR');
      return till === undefined ? 0n : (await createLedger(db).balance(till.id)).balance;
    };
    /** Another service over the same database, as a second instance would be. */
    const instance = (other: Acquirer) => createAcquirerOperations({ ...deps, acquirers: [{ name: 'sandbox', acquirer: other }] });
    return { bank, acquirer, operations, instance, clock, merchant, approved, declined, lines, request, tillBalance };
  }

  it('records the operation, pending, before the bank is called', async () => {
    const { bank, request, instance } = await setUp();
    const real = createSandboxAcquirer({ url: (bank as RunningSandboxBank).url, timeoutMs: CLIENT_TIMEOUT_MS });
    const seen: unknown[] = [];
    const watching: Acquirer = {
      ...real,
      authorise: async (sent) => {
        const { rows } = await db.query('SELECT status, attempts FROM acquirer_operations WHERE idempotency_key = $1', [
          sent.idempotencyKey,
        ]);
        seen.push(rows[0]);
        return real.authorise(sent);
      },
    };
    const outcome = await instance(watching).authorise(request('test_approve'));
    expect(seen).toEqual([{ status: 'pending', attempts: 1 }]);
    expect(outcome.operation.status).toBe('approved');
  });

  it('approves: one transition, whose hook books bank clearing to the till once', async () => {
    const { bank, operations, approved, request, tillBalance, merchant } = await setUp();
    const input = request('test_approve', 12_000);
    const outcome = await operations.authorise(input);
    const [charge] = (bank as RunningSandboxBank).bank.statement();
    expect(outcome).toEqual({
      operation: expect.objectContaining({
        status: 'approved',
        kind: 'authorise',
        idempotencyKey: input.idempotencyKey,
        amount: 12_000,
        currency: 'EUR',
        bankReference: charge?.reference,
        declineReason: null,
        attempts: 1,
        lastError: null,
        authorisationId: null,
        metadata: { merchant, ticket: String(input.metadata?.ticket) },
      }),
      transitioned: true,
      replayed: false,
      cause: null,
    });
    expect(approved.map((operation) => operation.id)).toEqual([outcome.operation.id]);
    expect(await tillBalance()).toBe(12_000n);
    expect((bank as RunningSandboxBank).bank.statement()).toHaveLength(1);
  });

  it.each([
    ['test_insufficient_funds', 'insufficient_funds'],
    ['test_lost_card', 'lost_card'],
    ['test_do_not_honour', 'do_not_honour'],
  ] as const)('declines for %s with %s and the refusal bank_declined, moving no money', async (ref, reason) => {
    const { operations, approved, declined, request, tillBalance } = await setUp();
    const outcome = await operations.authorise(request(ref));
    expect(outcome.transitioned).toBe(true);
    expect(outcome.operation).toMatchObject({ status: 'declined', declineReason: reason, refusal: 'bank_declined' });
    expect(declined.map((operation) => operation.id)).toEqual([outcome.operation.id]);
    expect(approved).toEqual([]);
    expect(await tillBalance()).toBe(0n);
  });

  it('answers a retry of a settled operation from the table, without asking the bank again', async () => {
    const { bank, operations, approved, request } = await setUp();
    const first = await operations.authorise(request('test_approve'));
    const again = await operations.authorise(request('test_approve'));
    expect(again).toEqual({ operation: first.operation, transitioned: false, replayed: true, cause: null });
    expect(again.operation.attempts).toBe(1);
    expect(approved).toHaveLength(1);
    expect((bank as RunningSandboxBank).bank.statement()).toHaveLength(1);
  });

  it('refuses the same key with other content, and asks the bank nothing', async () => {
    const { bank, operations, request } = await setUp();
    await operations.authorise(request('test_approve', 12_000));
    await refused(operations.authorise(request('test_approve', 12_001)), 'idempotency_conflict');
    await refused(operations.authorise({ ...request('test_approve', 12_000), metadata: { merchant: 'other' } }), 'idempotency_conflict');
    expect((bank as RunningSandboxBank).bank.statement()).toHaveLength(1);
  });

  it('refuses malformed input before recording anything', async () => {
    const { operations, request } = await setUp();
    const input = request('test_approve');
    await refused(operations.authorise({ ...input, amount: 10.5 }), 'invalid_request');
    await refused(operations.authorise({ ...input, amount: -1 }), 'invalid_request');
    await refused(operations.authorise({ ...input, currency: 'XXX' }), 'invalid_request');
    await refused(operations.authorise({ ...input, customerBankRef: '' }), 'invalid_request');
    await refused(operations.authorise({ ...input, metadata: { rate: 0.5 } }), 'invalid_request');
    await refused(operations.authorise({ ...input, idempotencyKey: 'k'.repeat(256) }), 'invalid_request');
    expect(await operations.get(input.idempotencyKey)).toBeUndefined();
  });

  it('a bank time-out followed by a retry charges once, and ends approved after reconciliation', async () => {
    const { bank, operations, approved, request, clock, tillBalance } = await setUp();
    const input = request('test_timeout', 25_000);

    const first = await operations.authorise(input);
    expect(first).toMatchObject({ operation: { status: 'pending', attempts: 1 }, transitioned: false, cause: 'timeout' });
    expect(first.operation.lastError).toMatch(/^timeout: /);

    // The customer (or the flow) retries the same payment: same row, same key.
    const retry = await operations.authorise(input);
    expect(retry).toMatchObject({ operation: { id: first.operation.id, status: 'pending', attempts: 2 }, cause: 'timeout' });
    expect(approved).toEqual([]);

    // Not due yet: reconciliation leaves it alone until the retry delay has passed.
    expect(await operations.reconcile()).toMatchObject({ examined: 0 });
    clock.advance(2 * RETRY_AFTER_MS);
    expect(await operations.reconcile()).toEqual({
      examined: 1,
      approved: 1,
      declined: 0,
      pending: 0,
      resent: 0,
      handedOver: 0,
      failed: 0,
    });

    const charges = (bank as RunningSandboxBank).bank.statement('test_timeout');
    expect(charges).toHaveLength(1);
    expect(charges[0]).toMatchObject({ idempotencyKey: input.idempotencyKey, status: 'approved', amount: 25_000 });
    const settled = await operations.get(input.idempotencyKey);
    expect(settled).toMatchObject({ status: 'approved', bankReference: charges[0]?.reference, attempts: 3, lastError: null });
    expect(approved).toHaveLength(1);
    expect(await tillBalance()).toBe(25_000n);

    // Nothing left to do, and a late retry is answered from the table.
    clock.advance(YEAR / 12);
    expect(await operations.reconcile()).toMatchObject({ examined: 0 });
    expect(await operations.authorise(input)).toMatchObject({ operation: { status: 'approved' }, replayed: true });
    expect((bank as RunningSandboxBank).bank.statement('test_timeout')).toHaveLength(1);
    expect(approved).toHaveLength(1);
  });

  it('(why the key is kept) the sandbox bank does charge twice when a retry comes under a new key', async () => {
    const { bank, operations, request } = await setUp();
    const input = request('test_timeout', 25_000);
    await operations.authorise(input);
    await operations.authorise({ ...input, idempotencyKey: `${input.idempotencyKey}:again` });
    expect((bank as RunningSandboxBank).bank.statement('test_timeout')).toHaveLength(2);
  });

  it('sends a pending operation the bank never received again, under the same key', async () => {
    const offline = await setUp({ url: await deadUrl() });
    const input = offline.request('test_approve', 8_000);
    expect(await offline.operations.authorise(input)).toMatchObject({ operation: { status: 'pending' }, cause: 'unreachable' });

    // The bank is back (another instance reaches it): the lookup says unknown, so it is sent.
    const bank = await startBank();
    const online = offline.instance(createSandboxAcquirer({ url: bank.url, timeoutMs: CLIENT_TIMEOUT_MS }));
    offline.clock.advance(RETRY_AFTER_MS);
    expect(await online.reconcile()).toEqual({ examined: 1, approved: 1, declined: 0, pending: 0, resent: 1, handedOver: 0, failed: 0 });
    expect(bank.bank.statement()).toEqual([
      expect.objectContaining({ idempotencyKey: input.idempotencyKey, amount: 8_000, status: 'approved' }),
    ]);
    expect(await online.get(input.idempotencyKey)).toMatchObject({ status: 'approved', attempts: 2 });
    expect(offline.approved).toHaveLength(1);
    expect(await offline.tillBalance()).toBe(8_000n);
  });

  it('backs off while the bank stays silent: 1, 2, 4 times the retry delay', async () => {
    const { operations, request, clock } = await setUp({ url: await deadUrl() });
    const input = request('test_approve');
    await operations.authorise(input);
    const recorded = await operations.get(input.idempotencyKey);
    const start = (recorded as { lastAttemptAt: Date }).lastAttemptAt.getTime();
    expect(recorded?.nextAttemptAt.getTime()).toBe(start + RETRY_AFTER_MS);

    clock.advance(RETRY_AFTER_MS - 1);
    expect(await operations.reconcile()).toMatchObject({ examined: 0 });
    clock.advance(1);
    expect(await operations.reconcile()).toMatchObject({ examined: 1, pending: 1 });
    expect((await operations.get(input.idempotencyKey))?.nextAttemptAt.getTime()).toBe(start + RETRY_AFTER_MS + 2 * RETRY_AFTER_MS);
    clock.advance(2 * RETRY_AFTER_MS);
    expect(await operations.reconcile()).toMatchObject({ examined: 1, pending: 1 });
    expect(await operations.get(input.idempotencyKey)).toMatchObject({
      status: 'pending',
      attempts: 3,
      lastError: expect.stringMatching(/^unreachable: /),
    });
    expect((await operations.get(input.idempotencyKey))?.nextAttemptAt.getTime()).toBe(start + 3 * RETRY_AFTER_MS + 4 * RETRY_AFTER_MS);
  });

  it('two concurrent calls with one key: one charge, one transition, one hook', async () => {
    const { bank, operations, approved, request, tillBalance } = await setUp();
    const input = request('test_slow', 3_000);
    const outcomes = await Promise.all([operations.authorise(input), operations.authorise(input)]);
    expect(outcomes.map((outcome) => outcome.operation.status)).toEqual(['approved', 'approved']);
    expect(outcomes.filter((outcome) => outcome.transitioned)).toHaveLength(1);
    expect(approved).toHaveLength(1);
    expect((bank as RunningSandboxBank).bank.statement()).toHaveLength(1);
    expect(await tillBalance()).toBe(3_000n);
  });

  it('two instances reconciling at once settle each operation once', async () => {
    const offline = await setUp({ url: await deadUrl() });
    const inputs = [1, 2, 3, 4].map((i) => offline.request('test_approve', 1_000 * i, `acq:authorise:${offline.merchant}:T${i}`));
    for (const input of inputs) await offline.operations.authorise(input);
    const bank = await startBank();
    const instances = [0, 1].map(() => offline.instance(createSandboxAcquirer({ url: bank.url, timeoutMs: CLIENT_TIMEOUT_MS })));
    offline.clock.advance(RETRY_AFTER_MS);
    const reports = await Promise.all(instances.map((instance) => instance.reconcile()));
    expect(reports.reduce((sum, report) => sum + report.examined, 0)).toBe(4);
    expect(reports.reduce((sum, report) => sum + report.approved, 0)).toBe(4);
    expect(offline.approved).toHaveLength(4);
    expect(bank.bank.statement()).toHaveLength(4);
    expect(await offline.tillBalance()).toBe(10_000n);
  });

  it('a failing hook rolls the transition back; reconciliation settles it later, hook included', async () => {
    const { bank, operations, approved, request, clock, tillBalance } = await setUp({ failHook: 1 });
    const input = request('test_approve', 4_200);
    await expect(operations.authorise(input)).rejects.toThrow('the payment flow failed to book');
    expect(await operations.get(input.idempotencyKey)).toMatchObject({
      status: 'pending',
      lastError: expect.stringMatching(/^hook_failed: /),
    });
    expect(await tillBalance()).toBe(0n);

    clock.advance(RETRY_AFTER_MS);
    expect(await operations.reconcile()).toMatchObject({ examined: 1, approved: 1, resent: 0 });
    expect(approved).toHaveLength(1);
    expect(await tillBalance()).toBe(4_200n);
    expect((bank as RunningSandboxBank).bank.statement()).toHaveLength(1);
  });

  it('captures and refunds an approved authorisation, linked to it', async () => {
    const { operations, request, merchant } = await setUp();
    const auth = await operations.authorise(request('test_approve', 10_000));
    const authorisationKey = auth.operation.idempotencyKey;
    const capture = await operations.capture({ idempotencyKey: `acq:capture:${merchant}:1`, authorisationKey, amount: 6_000 });
    expect(capture.operation).toMatchObject({
      kind: 'capture',
      status: 'approved',
      amount: 6_000,
      currency: 'EUR',
      authorisationId: auth.operation.id,
    });
    const over = await operations.capture({ idempotencyKey: `acq:capture:${merchant}:2`, authorisationKey, amount: 4_001 });
    expect(over.operation).toMatchObject({ status: 'declined', declineReason: 'amount_exceeds_authorisation' });
    const refund = await operations.refund({ idempotencyKey: `acq:refund:${merchant}:1`, authorisationKey, amount: 2_000 });
    expect(refund.operation).toMatchObject({ kind: 'refund', status: 'approved', amount: 2_000, authorisationId: auth.operation.id });
  });

  it('refuses to capture an authorisation that is unknown, still pending or declined', async () => {
    const { operations, request, merchant } = await setUp();
    const capture = (authorisationKey: string) =>
      operations.capture({ idempotencyKey: `acq:capture:${merchant}:${authorisationKey}`, authorisationKey, amount: 1 });
    await refused(capture('never-authorised'), 'authorisation_unknown');
    const pending = await operations.authorise(request('test_timeout', 5_000, `acq:authorise:${merchant}:slow`));
    await refused(capture(pending.operation.idempotencyKey), 'authorisation_pending');
    const declined = await operations.authorise(request('test_lost_card', 5_000, `acq:authorise:${merchant}:lost`));
    await refused(capture(declined.operation.idempotencyKey), 'authorisation_declined');
  });

  it('pays a merchant out', async () => {
    const { operations, merchant, approved } = await setUp();
    const outcome = await operations.payout({
      idempotencyKey: `acq:payout:${merchant}:2040-01`,
      merchantId: merchant,
      accountRef: 'test_approve',
      amount: 150_000,
      currency: 'EUR',
    });
    expect(outcome.operation).toMatchObject({ kind: 'payout', status: 'approved', amount: 150_000 });
    expect(approved.map((operation) => operation.kind)).toEqual(['payout']);
  });

  it('never settles on a bank answer that describes another operation', async () => {
    const { bank, acquirer, operations, request, clock, approved, lines } = await setUp();
    const input = request('test_approve', 12_000);
    // Someone else used our key at the bank first, for another amount.
    await acquirer.authorise({ ...input, amount: 99_999 });
    await refused(operations.authorise(input), 'bank_idempotency_conflict');
    clock.advance(RETRY_AFTER_MS);
    expect(await operations.reconcile()).toMatchObject({ examined: 1, pending: 1, approved: 0 });
    expect(await operations.get(input.idempotencyKey)).toMatchObject({
      status: 'pending',
      lastError: expect.stringContaining('amount 99999'),
    });
    expect(approved).toEqual([]);
    expect(lines.some((line) => line.includes('"acquirer.operation.mismatch"'))).toBe(true);
    expect((bank as RunningSandboxBank).bank.statement()).toHaveLength(1);
  });

  it('keeps a settled outcome final and the request unchangeable, in the database itself', async () => {
    const { operations, request, instance } = await setUp();
    const approved = await operations.authorise(request('test_approve'));
    const attempt = async (sql: string) => {
      const error = await db.query(sql, [approved.operation.id]).then(
        () => undefined,
        (failure: unknown) => fromDatabaseError(failure),
      );
      return isAcquirerError(error, 'operation_immutable') ? error.details.constraint : error;
    };
    expect(await attempt(`UPDATE acquirer_operations SET status = 'declined', decline_reason = 'lost_card' WHERE id = $1`)).toBe(
      'acquirer_operations_final',
    );
    expect(await attempt(`UPDATE acquirer_operations SET attempts = attempts + 1 WHERE id = $1`)).toBe('acquirer_operations_final');
    expect(await attempt('DELETE FROM acquirer_operations WHERE id = $1')).toBe('acquirer_operations_append_only');
    const offline = instance(createSandboxAcquirer({ url: await deadUrl(), timeoutMs: CLIENT_TIMEOUT_MS }));
    const pending = await offline.authorise(request('test_approve', 1, `${approved.operation.idempotencyKey}:pending`));
    const error = await db.query('UPDATE acquirer_operations SET amount = 2 WHERE id = $1', [pending.operation.id]).then(
      () => undefined,
      (failure: unknown) => fromDatabaseError(failure),
    );
    expect(isAcquirerError(error, 'operation_immutable') && error.details.constraint).toBe('acquirer_operations_immutable');
  });

  it('never logs the customer’s bank reference', async () => {
    const { operations, request, lines, clock } = await setUp();
    await operations.authorise(request('test_timeout', 700));
    clock.advance(RETRY_AFTER_MS);
    await operations.reconcile();
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain('test_timeout');
  });
});
