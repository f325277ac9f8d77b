import type { Acquirer } from '@caisse/acquirer';
import { createSandboxAcquirer, type RunningSandboxBank, startSandboxBank } from '@caisse/sandbox-bank';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import type { Database } from '../storage/database.js';
import { openTestDatabase, type TestDatabase, testDrivers } from '../storage/test-support.js';
import type { ApprovedOperation, DeclinedOperation } from './model.js';
import { type AuthoriseInput, createAcquirerOperations } from './operations.js';
import type { AcquirerConfig } from './routing.js';

/**
 * Two sandbox banks over real HTTP: `first`, which only processes euros, is asked first
 * for every currency; `second` takes what the first provably did not charge. The clock
 * is manual, so retry delays are stepped over.
 */

const drivers = await testDrivers('payment-server acquirer handover');
const RETRY_AFTER_MS = 60_000;
const YEAR = 365 * 86_400_000;
let epoch = Date.parse('2041-01-01T00:00:00Z');

describe.each(drivers)('handing an authorisation over to the next acquirer on %s', (driver) => {
  let handle: TestDatabase;
  let db: Database;
  let tests = 0;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    handle = await openTestDatabase(driver, 'acquirer_handover');
    db = handle.db;
  });
  afterAll(() => handle.close());
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function bank(options: Parameters<typeof startSandboxBank>[0] = {}): Promise<RunningSandboxBank> {
    const started = await startSandboxBank({ timeoutDelayMs: 2_000, ...options });
    closers.push(started.close);
    return started;
  }

  async function setUp(options: { first?: (real: Acquirer) => Acquirer } = {}) {
    const n = ++tests;
    epoch -= YEAR;
    let current = epoch;
    const first = await bank({ currencies: ['EUR'] });
    const second = await bank();
    const realFirst = createSandboxAcquirer({ url: first.url, timeoutMs: 1_000 });
    const acquirers: AcquirerConfig[] = [
      { name: 'first', acquirer: options.first?.(realFirst) ?? realFirst },
      { name: 'second', acquirer: createSandboxAcquirer({ url: second.url, timeoutMs: 1_000 }) },
    ];
    const approved: ApprovedOperation[] = [];
    const declined: DeclinedOperation[] = [];
    const operations = createAcquirerOperations({
      db,
      acquirers,
      now: () => new Date(current),
      retryAfterMs: RETRY_AFTER_MS,
      log: createLogger({ level: 'error', write: () => {} }),
      onApproved: async (_tx, operation) => {
        approved.push(operation);
      },
      onDeclined: async (_tx, operation) => {
        declined.push(operation);
      },
    });
    const request = (currency: string, customerBankRef = 'test_approve'): AuthoriseInput => ({
      idempotencyKey: `acq:authorise:shop-${driver}-${n}:T${n}`,
      customerBankRef,
      amount: 12_000,
      currency,
      merchantId: `shop-${driver}-${n}`,
      description: `Order ${n}`,
      metadata: { ticket: `T${n}` },
    });
    const advance = (ms: number) => {
      current += ms;
    };
    return { first, second, operations, approved, declined, request, advance };
  }

  it('hands over an authorisation the first acquirer refused before acting, and the second charges it once', async () => {
    const { first, second, operations, approved, declined, request } = await setUp();
    const input = request('GBP');
    const outcome = await operations.authorise(input);

    expect(outcome.operation).toMatchObject({ status: 'approved', acquirer: 'second', idempotencyKey: `${input.idempotencyKey}~second` });
    expect(first.bank.statement()).toEqual([]);
    expect(second.bank.statement()).toEqual([expect.objectContaining({ kind: 'authorise', amount: 12_000, status: 'approved' })]);
    // The hooks see one outcome for the payment: the second acquirer's approval; the refusal that handed over is no decline.
    expect(approved.map((operation) => operation.id)).toEqual([outcome.operation.id]);
    expect(declined).toEqual([]);

    const { rows } = await db.query<{ acquirer: string; status: string; decline_reason: string | null; handed_over_to: string | null }>(
      'SELECT acquirer, status, decline_reason, handed_over_to FROM acquirer_operations WHERE idempotency_key LIKE $1 ORDER BY created_at, acquirer',
      [`${input.idempotencyKey}%`],
    );
    expect(rows).toEqual([
      { acquirer: 'first', status: 'declined', decline_reason: 'request_rejected', handed_over_to: outcome.operation.id },
      { acquirer: 'second', status: 'approved', decline_reason: null, handed_over_to: null },
    ]);

    // Asked again under the first key, the payment is answered from the table, by the operation that took over.
    expect(await operations.authorise(input)).toMatchObject({ operation: { id: outcome.operation.id }, replayed: true });
    expect(await operations.get(input.idempotencyKey)).toMatchObject({ id: outcome.operation.id, acquirer: 'second' });
    expect(second.bank.statement()).toHaveLength(1);
  });

  it('sends captures, refunds and voids to the acquirer that authorised, under the first key', async () => {
    const { first, second, operations, request } = await setUp();
    const input = request('GBP');
    await operations.authorise(input);
    const follow = { authorisationKey: input.idempotencyKey };
    await operations.capture({ ...follow, idempotencyKey: `${input.idempotencyKey}:capture`, amount: 10_000 });
    await operations.refund({ ...follow, idempotencyKey: `${input.idempotencyKey}:refund`, amount: 4_000 });
    await operations.void({ ...follow, idempotencyKey: `${input.idempotencyKey}:void`, amount: 2_000 });
    expect(first.bank.statement()).toEqual([]);
    expect(second.bank.statement().map((operation) => [operation.kind, operation.amount, operation.status])).toEqual([
      ['authorise', 12_000, 'approved'],
      ['capture', 10_000, 'approved'],
      ['refund', 4_000, 'approved'],
      ['void', 2_000, 'approved'],
    ]);
  });

  it('refuses, in the database, a follow-up recorded at another acquirer than its authorisation', async () => {
    const { operations, request } = await setUp();
    const input = request('EUR');
    const authorised = await operations.authorise(input);
    expect(authorised.operation.acquirer).toBe('first');
    await expect(
      db.query(
        `INSERT INTO acquirer_operations (idempotency_key, kind, authorisation_id, request, request_hash, amount, currency, acquirer,
           created_at, updated_at, next_attempt_at)
         VALUES ($1, 'capture', $2, '{}', $3, 1, 'EUR', 'second', now(), now(), now())`,
        [`${input.idempotencyKey}:elsewhere`, authorised.operation.id, 'a'.repeat(64)],
      ),
    ).rejects.toMatchObject({ constraint: 'acquirer_operations_same_acquirer' });
  });

  it('never hands over a time-out: the payment waits for the first acquirer, which charged', async () => {
    const { first, second, operations, approved, request, advance } = await setUp();
    const input = request('EUR', 'test_timeout');
    expect(await operations.authorise(input)).toMatchObject({ operation: { status: 'pending', acquirer: 'first' }, cause: 'timeout' });
    advance(2 * RETRY_AFTER_MS);
    expect(await operations.reconcile()).toMatchObject({ examined: 1, approved: 1, handedOver: 0 });
    expect(first.bank.statement('test_timeout')).toHaveLength(1);
    expect(second.bank.statement()).toEqual([]);
    expect(approved.map((operation) => operation.acquirer)).toEqual(['first']);
  });

  it('hands over, at reconciliation, an authorisation whose bank says it never received it', async () => {
    // The connection broke before the request left: the adapter cannot know, so it answers pending.
    const lost = (real: Acquirer): Acquirer => ({
      ...real,
      authorise: async () => ({ status: 'pending', cause: 'unreachable', detail: 'connection reset' }),
    });
    const { first, second, operations, approved, declined, request, advance } = await setUp({ first: lost });
    const input = request('EUR');
    expect(await operations.authorise(input)).toMatchObject({ operation: { status: 'pending', acquirer: 'first' } });
    expect(await operations.reconcile()).toMatchObject({ examined: 0 });

    advance(RETRY_AFTER_MS);
    expect(await operations.reconcile()).toMatchObject({ examined: 1, approved: 1, handedOver: 1, resent: 0 });
    expect(first.bank.statement()).toEqual([]);
    expect(second.bank.statement()).toEqual([expect.objectContaining({ kind: 'authorise', status: 'approved', amount: 12_000 })]);
    expect(await operations.get(input.idempotencyKey)).toMatchObject({ status: 'approved', acquirer: 'second' });
    expect(approved).toHaveLength(1);
    expect(declined).toEqual([]);
  });

  it('tells the hooks of a refusal when no acquirer is left to hand over to', async () => {
    const { second, operations, approved, declined, request } = await setUp();
    const input = request('EUR', 'test_insufficient_funds');
    const outcome = await operations.authorise(input);
    // A bank that says no acted on the request: the customer is refused, never charged elsewhere.
    expect(outcome.operation).toMatchObject({ status: 'declined', declineReason: 'insufficient_funds', acquirer: 'first' });
    expect(declined.map((operation) => operation.id)).toEqual([outcome.operation.id]);
    expect(approved).toEqual([]);
    expect(second.bank.statement()).toEqual([]);
  });

  it('refuses an operation no acquirer takes, recording nothing', async () => {
    const { request } = await setUp();
    const only = createAcquirerOperations({
      db,
      acquirers: [{ name: 'euros', acquirer: createSandboxAcquirer({ url: 'http://127.0.0.1:9' }), routes: [{ currencies: ['EUR'] }] }],
    });
    const input = request('JPY');
    await expect(only.authorise(input)).rejects.toMatchObject({ name: 'AcquirerError', code: 'no_acquirer' });
    expect(await only.get(input.idempotencyKey)).toBeUndefined();
  });
});
