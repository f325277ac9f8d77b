import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertService } from '../alerts/service.js';
import { ProblemError } from '../http/problem.js';
import { createLedger } from '../ledger/index.js';
import { createLogger } from '../log.js';
import { ID_PATTERN } from '../merchants/input.js';
import { partyRows, problem, refusedWithoutChange } from '../merchants/test-fixtures.js';
import type { Database } from '../storage/database.js';
import { openTestDatabase, type TestDatabase, testDrivers } from '../storage/test-support.js';
import type { ScryptParams } from './access-key.js';
import type { SpendingReader } from './ceilings.js';
import { AuthenticationFailedError, CeilingExceededError } from './errors.js';
import type { AddCustomerInput } from './model.js';
import { type CustomerService, type CustomerServiceDeps, createCustomerService } from './service.js';

const drivers = await testDrivers('payment-server customers');

/** Cheap hashing keeps the suite fast; the default parameters have their own test in access-key.test.ts. */
const FAST: ScryptParams = { N: 2 ** 10, r: 8, p: 1, keyLength: 32 };
const KEY = 'correct horse battery';
const WRONG = 'wrong horse battery';

/** A trivial stand-in for the payments: authorised payments kept in an array. */
function spendingLog(): SpendingReader & { pay(customerId: string, currency: string, amount: bigint, at: string): void } {
  const payments: { customerId: string; currency: string; amount: bigint; at: Date }[] = [];
  return {
    pay: (customerId, currency, amount, at) => payments.push({ customerId, currency, amount, at: new Date(at) }),
    spentSince: async (customerId, currency, since) =>
      payments
        .filter((payment) => payment.customerId === customerId && payment.currency === currency && payment.at >= since)
        .reduce((sum, payment) => sum + payment.amount, 0n),
  };
}

let serial = 0;
function customerInput(overrides: Partial<AddCustomerInput> = {}): AddCustomerInput {
  serial++;
  return {
    accountId: `cust-${serial}-${randomBytes(3).toString('hex')}`,
    phone: `+336${String(10_000_000 + serial * 7919).slice(-8)}`,
    accessKey: KEY,
    ...overrides,
  };
}

/** Calls identify and returns what it threw, as `{ code, message, attemptsLeft }`. */
async function attempt(customers: CustomerService, accountId: string, accessKey: string) {
  try {
    await customers.identify(accountId, accessKey);
    return { code: 'ok' as const };
  } catch (error) {
    if (!(error instanceof ProblemError)) throw error;
    return {
      code: error.code,
      message: error.message,
      attemptsLeft: error instanceof AuthenticationFailedError ? error.attemptsLeft : undefined,
    };
  }
}

describe.each(drivers)('customers on %s', (driver) => {
  let handle: TestDatabase;
  let db: Database;
  let customers: CustomerService;
  let spending: ReturnType<typeof spendingLog>;
  const secret = randomBytes(32);
  const clock = { now: new Date('2026-11-22T10:00:00Z') };
  const lines: string[] = [];

  function service(overrides: Partial<CustomerServiceDeps> = {}) {
    return createCustomerService({
      db,
      pairwiseSecret: secret,
      spending,
      now: () => clock.now,
      accessKeyHashing: FAST,
      log: createLogger({ write: (line) => lines.push(line) }),
      ...overrides,
    });
  }

  beforeAll(async () => {
    handle = await openTestDatabase(driver, 'customers', { poolSize: 16 });
    db = handle.db;
    spending = spendingLog();
    customers = service();
  });
  afterAll(() => handle.close());

  describe('add', () => {
    it('adds a customer with a wallet per currency, capped, and the default limits', async () => {
      const input = customerInput();
      const customer = await customers.add(input);
      expect(customer).toEqual({
        id: input.accountId,
        phone: input.phone,
        limits: [{ currency: 'EUR', walletCap: 15_000n, dailyCeiling: 30_000n, monthlyCeiling: 100_000n }],
        failedAttempts: 0,
        lockedAt: null,
        createdAt: clock.now,
        locale: 'en',
      });
      expect(await customers.get(input.accountId)).toEqual(customer);
      expect(await customers.findByPhone(input.phone)).toEqual(customer);
      const wallet = await createLedger(db).wallet(input.accountId, 'EUR');
      expect(wallet).toMatchObject({ balance: 0n, cap: 15_000n });
    });

    it('takes limits per currency, filling the rest with defaults scaled to the currency', async () => {
      const input = customerInput({
        limits: { EUR: { walletCap: 20_000n }, JPY: {}, CHF: { dailyCeiling: 5_000n, monthlyCeiling: 5_000n } },
      });
      const customer = await customers.add(input);
      expect(customer.limits).toEqual([
        { currency: 'CHF', walletCap: 15_000n, dailyCeiling: 5_000n, monthlyCeiling: 5_000n },
        { currency: 'EUR', walletCap: 20_000n, dailyCeiling: 30_000n, monthlyCeiling: 100_000n },
        { currency: 'JPY', walletCap: 150n, dailyCeiling: 300n, monthlyCeiling: 1_000n },
      ]);
      expect((await createLedger(db).wallet(input.accountId, 'JPY')).cap).toBe(150n);
    });

    it('stores the access key only as a salted scrypt hash with its parameters', async () => {
      const input = customerInput();
      await customers.add(input);
      const { rows } = await db.query<{ row: string; key_params: unknown; salt_length: number }>(
        'SELECT c::text AS row, key_params, length(key_salt) AS salt_length FROM customers c WHERE id = $1',
        [input.accountId],
      );
      expect(rows[0]?.row).not.toContain(KEY);
      expect(rows[0]?.row).not.toContain(Buffer.from(KEY).toString('hex'));
      expect(rows[0]?.key_params).toEqual({ algorithm: 'scrypt', ...FAST });
      expect(rows[0]?.salt_length).toBe(16);
      expect(lines.join('\n')).not.toContain(KEY);
    });

    it('refuses a taken account id or phone number, and writes nothing', async () => {
      const input = customerInput();
      await customers.add(input);
      const sameId = await refusedWithoutChange(db, 'customer_exists', () => customers.add(customerInput({ accountId: input.accountId })));
      expect(sameId.message).toContain('account id');
      const samePhone = await refusedWithoutChange(db, 'customer_exists', () => customers.add(customerInput({ phone: input.phone })));
      expect(samePhone.message).toContain('phone');
    });

    it.each([
      ['an account id outside the id rule', { accountId: 'alice smith' }],
      ['an account id too long', { accountId: 'a'.repeat(65) }],
      ['a phone not in E.164', { phone: '0612345678' }],
      ['a phone with spaces', { phone: '+33 6 12 34 56 78' }],
      ['a short access key', { accessKey: 'short' }],
      ['an access key with a control character', { accessKey: 'correct\nhorse battery' }],
      ['an unknown currency', { limits: { XYZ: {} } }],
      ['no currency', { limits: {} }],
      ['a negative cap', { limits: { EUR: { walletCap: -1n } } }],
      ['a cap as a number', { limits: { EUR: { walletCap: 15_000 } } }],
      ['a daily ceiling above the monthly one', { limits: { EUR: { dailyCeiling: 200_000n } } }],
      ['an unknown member', { limits: { EUR: { weekly: 1n } } }],
    ])('refuses %s and writes nothing', async (_name, overrides) => {
      const error = await refusedWithoutChange(db, 'request_invalid', () =>
        customers.add(customerInput(overrides as Partial<AddCustomerInput>)),
      );
      expect(error.message).not.toContain(KEY);
      expect(JSON.stringify(error.issues)).not.toContain('correct');
    });

    it('changes limits, opening a wallet in a new currency and refusing a cap below the balance', async () => {
      const input = customerInput();
      await customers.add(input);
      const changed = await customers.setLimits(input.accountId, 'EUR', { walletCap: 10_000n, dailyCeiling: 1_000n });
      expect(changed.limits).toEqual([{ currency: 'EUR', walletCap: 10_000n, dailyCeiling: 1_000n, monthlyCeiling: 100_000n }]);
      const withUsd = await customers.setLimits(input.accountId, 'USD', {});
      expect(withUsd.limits.map((limit) => limit.currency)).toEqual(['EUR', 'USD']);

      await customers.walletCredit(input.accountId, 'EUR', 8_000n, { idempotencyKey: 'top-up-1' });
      await refusedWithoutChange(db, 'wallet_cap_exceeded', () => customers.setLimits(input.accountId, 'EUR', { walletCap: 7_999n }));
      await refusedWithoutChange(db, 'request_invalid', () => customers.setLimits(input.accountId, 'EUR', { dailyCeiling: 200_000n }));
      await refusedWithoutChange(db, 'customer_unknown', () => customers.setLimits('nobody', 'EUR', {}));
      await refusedWithoutChange(db, 'currency_unknown', () => customers.setLimits(input.accountId, 'eur', {}));
      expect((await customers.get(input.accountId)).limits[0]?.walletCap).toBe(10_000n);
    });
  });

  describe('identify and lockout', () => {
    it('identifies with the right key and says nothing else', async () => {
      const input = customerInput();
      await customers.add(input);
      await expect(customers.identify(input.accountId, KEY)).resolves.toMatchObject({
        id: input.accountId,
        failedAttempts: 0,
        lockedAt: null,
      });
      // Same key in another Unicode form, never a different one.
      expect((await attempt(customers, input.accountId, `${KEY} `)).code).toBe('authentication_failed');
    });

    it('locks after exactly 5 wrong keys, raises one alert, and refuses even the right key', async () => {
      const input = customerInput();
      await customers.add(input);
      const alertsBefore = (await createAlertService({ db }).list({ kind: 'account_locked' })).length;

      const results = [];
      for (let i = 0; i < 4; i++) results.push(await attempt(customers, input.accountId, WRONG));
      expect(results.map((result) => [result.code, result.attemptsLeft])).toEqual([
        ['authentication_failed', 4],
        ['authentication_failed', 3],
        ['authentication_failed', 2],
        ['authentication_failed', 1],
      ]);
      expect(await customers.get(input.accountId)).toMatchObject({ failedAttempts: 4, lockedAt: null });

      clock.now = new Date('2026-11-22T10:05:00Z');
      expect((await attempt(customers, input.accountId, WRONG)).code).toBe('account_locked');
      expect(await customers.get(input.accountId)).toMatchObject({ failedAttempts: 5, lockedAt: clock.now });
      const locked = await attempt(customers, input.accountId, KEY);
      expect(locked).toMatchObject({ code: 'account_locked', message: expect.stringContaining('locked') });
      expect((await attempt(customers, input.accountId, WRONG)).code).toBe('account_locked');
      expect(await customers.get(input.accountId)).toMatchObject({ failedAttempts: 5 });

      const alerts = await createAlertService({ db }).list({ kind: 'account_locked' });
      expect(alerts).toHaveLength(alertsBefore + 1);
      expect(alerts.filter((alert) => alert.subject === input.accountId)).toEqual([
        expect.objectContaining({
          kind: 'account_locked',
          subject: input.accountId,
          details: { attempts: 5, reason: 'wrong access keys' },
          createdAt: clock.now,
        }),
      ]);
      expect(lines.join('\n')).not.toContain(WRONG);
    });

    it('lets the operator unlock, after which the right key works and the count starts again', async () => {
      const input = customerInput();
      await customers.add(input);
      for (let i = 0; i < 5; i++) await attempt(customers, input.accountId, WRONG);
      expect((await customers.get(input.accountId)).lockedAt).not.toBeNull();

      const unlocked = await customers.unlock(input.accountId);
      expect(unlocked).toMatchObject({ failedAttempts: 0, lockedAt: null });
      await expect(customers.identify(input.accountId, KEY)).resolves.toMatchObject({ id: input.accountId });
      expect(await attempt(customers, input.accountId, WRONG)).toMatchObject({ code: 'authentication_failed', attemptsLeft: 4 });
      await problem(customers.unlock('nobody'), 'customer_unknown');
    });

    it('locks by the operator exactly as a lock-out does: the right key and PIN refused account_locked until unlocked', async () => {
      const input = customerInput();
      await customers.add(input);
      await attempt(customers, input.accountId, WRONG);
      const alertsBefore = (await createAlertService({ db }).list({ kind: 'account_locked' })).length;

      clock.now = new Date('2026-11-22T11:00:00Z');
      const locked = await customers.lock(input.accountId, 'Phone reported stolen');
      expect(locked).toMatchObject({ id: input.accountId, lockedAt: clock.now });
      expect(await attempt(customers, input.accountId, KEY)).toMatchObject({ code: 'account_locked' });
      await problem(customers.countAttempt(input.accountId, { right: true, factor: 'PIN' }), 'account_locked');
      // The operator chose it: no alert asks them to look.
      expect(await createAlertService({ db }).list({ kind: 'account_locked' })).toHaveLength(alertsBefore);
      expect(lines.join('\n')).toContain('Phone reported stolen');

      // Locked again later: nothing changes, and it stays locked since the first time.
      clock.now = new Date('2026-11-22T12:00:00Z');
      expect((await customers.lock(input.accountId, 'Still stolen')).lockedAt).toEqual(new Date('2026-11-22T11:00:00Z'));

      await customers.unlock(input.accountId);
      await expect(customers.identify(input.accountId, KEY)).resolves.toMatchObject({ failedAttempts: 0, lockedAt: null });
      expect(await attempt(customers, input.accountId, WRONG)).toMatchObject({ code: 'authentication_failed', attemptsLeft: 4 });
    });

    it('refuses a lock without a reason, with a malformed one or of an unknown customer, and locks nothing', async () => {
      const input = customerInput();
      await customers.add(input);
      for (const reason of ['', '   ', ' padded', 'line\nbreak', 'x'.repeat(501), undefined]) {
        const refused = await refusedWithoutChange(db, 'request_invalid', () => customers.lock(input.accountId, reason as string));
        expect(refused.message, String(reason)).toMatch(/^reason: /);
      }
      await refusedWithoutChange(db, 'customer_unknown', () => customers.lock('nobody-here', 'Fraud'));
      await refusedWithoutChange(db, 'customer_unknown', () => customers.lock('not an id', 'Fraud'));
      expect((await customers.get(input.accountId)).lockedAt).toBeNull();
    });

    it('resets the count on the right key while unlocked', async () => {
      const input = customerInput();
      await customers.add(input);
      for (let i = 0; i < 4; i++) await attempt(customers, input.accountId, WRONG);
      await expect(customers.identify(input.accountId, KEY)).resolves.toMatchObject({ failedAttempts: 0 });
      for (let i = 0; i < 4; i++) expect((await attempt(customers, input.accountId, WRONG)).code).toBe('authentication_failed');
      expect((await customers.get(input.accountId)).lockedAt).toBeNull();
    });

    it('answers an unknown account id exactly as a known one with a wrong key, and raises no alert', async () => {
      const known = customerInput();
      await customers.add(known);
      const unknown = `ghost-${randomBytes(4).toString('hex')}`;
      const alertsBefore = await partyRows(db);
      const knownAnswers = [];
      const unknownAnswers = [];
      for (let i = 0; i < 6; i++) {
        knownAnswers.push(await attempt(customers, known.accountId, WRONG));
        unknownAnswers.push(await attempt(customers, unknown, WRONG));
      }
      expect(unknownAnswers).toEqual(knownAnswers);
      expect(unknownAnswers.map((answer) => answer.code)).toEqual([
        ...Array(4).fill('authentication_failed'),
        'account_locked',
        'account_locked',
      ]);
      // The right key of another customer does not help either.
      expect(await attempt(customers, unknown, KEY)).toEqual(knownAnswers[5]);
      expect((await partyRows(db)).alerts).toBe((alertsBefore.alerts ?? 0) + 1);
    });

    it('answers ids that cannot exist with the same error, counting nothing', async () => {
      const before = await partyRows(db);
      const known = await attempt(customers, `never-${randomBytes(4).toString('hex')}`, WRONG);
      for (const accountId of ['', 'a b', 'x'.repeat(65), "x' OR '1'='1", undefined as unknown as string]) {
        expect(await attempt(customers, accountId, WRONG)).toEqual(known);
      }
      expect(await attempt(customers, 'someone', 42 as unknown as string)).toMatchObject({ code: 'authentication_failed' });
      expect(await attempt(customers, 'someone', 'x'.repeat(5_000))).toMatchObject({ code: 'authentication_failed' });
      const after = await partyRows(db);
      expect(after.customer_attempts).toBe((before.customer_attempts ?? 0) + 2);
    });

    it('starts a customer added on an id that was tried before with a clean count', async () => {
      const input = customerInput();
      for (let i = 0; i < 5; i++) await attempt(customers, input.accountId, WRONG);
      const customer = await customers.add(input);
      expect(customer).toMatchObject({ failedAttempts: 0, lockedAt: null });
      await expect(customers.identify(input.accountId, KEY)).resolves.toMatchObject({ id: input.accountId });
    });

    it('counts at most 5 of 20 concurrent wrong keys, locks, and raises one alert', async () => {
      const input = customerInput();
      await customers.add(input);
      const other = service();
      const before = await partyRows(db);
      // Two service instances on one database, as two payment servers would be.
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => attempt(i % 2 === 0 ? customers : other, input.accountId, WRONG)),
      );
      const codes = results.map((result) => result.code);
      expect(codes.filter((code) => code === 'authentication_failed')).toHaveLength(4);
      expect(codes.filter((code) => code === 'account_locked')).toHaveLength(16);
      expect(
        results
          .map((result) => result.attemptsLeft)
          .filter((left) => left !== undefined)
          .sort(),
      ).toEqual([1, 2, 3, 4]);
      const after = await partyRows(db);
      expect(after.failed_attempts).toBe((before.failed_attempts ?? 0) + 5);
      expect(after.alerts).toBe((before.alerts ?? 0) + 1);
      expect(await customers.get(input.accountId)).toMatchObject({ failedAttempts: 5, lockedAt: expect.any(Date) });
      expect((await attempt(customers, input.accountId, KEY)).code).toBe('account_locked');
    });

    // PostgreSQL only: it holds one transaction open while another waits, and PGlite has a single connection.
    if (driver === 'postgres') {
      it('re-checks the lock after the key matched: a lock committed meanwhile wins', async () => {
        const input = customerInput();
        await customers.add(input);
        for (let i = 0; i < 4; i++) await attempt(customers, input.accountId, WRONG);
        // Another instance counts the fifth wrong key and has not committed yet.
        let commit = () => {};
        const gate = new Promise<void>((resolve) => {
          commit = resolve;
        });
        let updated = () => {};
        const rowLocked = new Promise<void>((resolve) => {
          updated = resolve;
        });
        const fifth = db.transaction(async (tx) => {
          await tx.query('UPDATE customer_attempts SET failed = 5, locked_at = $2 WHERE account_id = $1', [input.accountId, clock.now]);
          updated();
          await gate;
        });
        await rowLocked;
        const rightKey = attempt(customers, input.accountId, KEY);
        // Wait (by polling the server, not the clock) until the right key's transaction waits for that row.
        let waiting = 0;
        for (let polls = 0; waiting === 0 && polls < 10_000; polls++) {
          const { rows } = await db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%customer_attempts%'`,
          );
          waiting = rows[0]?.n ?? 0;
        }
        expect(waiting).toBe(1);
        commit();
        await fifth;
        expect((await rightKey).code).toBe('account_locked');
        expect(await customers.get(input.accountId)).toMatchObject({ failedAttempts: 5, lockedAt: clock.now });
      });
    }

    it('re-hashes a key stored with older parameters when the right key is given', async () => {
      const input = customerInput();
      await service({ accessKeyHashing: { ...FAST, N: 2 ** 11 } }).add(input);
      const params = async () =>
        (await db.query<{ key_params: { N: number } }>('SELECT key_params FROM customers WHERE id = $1', [input.accountId])).rows[0]
          ?.key_params.N;
      expect(await params()).toBe(2 ** 11);
      expect((await attempt(customers, input.accountId, WRONG)).code).toBe('authentication_failed');
      expect(await params()).toBe(2 ** 11);
      await customers.identify(input.accountId, KEY);
      expect(await params()).toBe(2 ** 10);
      await expect(customers.identify(input.accountId, KEY)).resolves.toMatchObject({ id: input.accountId });
    });
  });

  describe('bank reference', () => {
    it('takes only a reference the acquirer accepts, and keeps the old one on a refusal', async () => {
      const input = customerInput();
      await customers.add(input);
      await customers.setBankRef(input.accountId, 'FR7630006000011234567890189');
      // Printable ASCII, but the bank leg would refuse it: refused here, not at the first top-up.
      for (const bad of ['FR76 3000 6000', 'acct/42', '-leading-dash', 'x'.repeat(65), '']) {
        await problem(customers.setBankRef(input.accountId, bad), 'request_invalid');
      }
      const { rows } = await db.query<{ bank_ref: string | null }>('SELECT bank_ref FROM customers WHERE id = $1', [input.accountId]);
      expect(rows[0]?.bank_ref).toBe('FR7630006000011234567890189');
      await customers.setBankRef(input.accountId, null);
      await problem(customers.setBankRef('nobody', 'test_approve'), 'customer_unknown');
    });
  });

  describe('pairwise subjects', () => {
    it('is stable per merchant, differs across merchants, and fits the id rule', () => {
      const subject = customers.pairwiseSubject('alice', 'bookshop');
      expect(subject).toMatch(ID_PATTERN);
      expect(service().pairwiseSubject('alice', 'bookshop')).toBe(subject);
      expect(customers.pairwiseSubject('alice', 'newsstand')).not.toBe(subject);
      expect(service({ pairwiseSecret: randomBytes(32) }).pairwiseSubject('alice', 'bookshop')).not.toBe(subject);
      expect(() => customers.pairwiseSubject('alice', 'book shop')).toThrow(ProblemError);
    });

    it('refuses to start without a secret of 32 bytes', () => {
      expect(() => service({ pairwiseSecret: randomBytes(16) })).toThrow('at least 32 bytes');
    });
  });

  describe('wallet credit', () => {
    it('credits from wallet funding, idempotently, up to the cap and not beyond', async () => {
      const input = customerInput();
      await customers.add(input);
      const first = await customers.walletCredit(input.accountId, 'EUR', 10_000n, { idempotencyKey: 'credit-1' });
      expect(first).toMatchObject({ replayed: false, balance: 10_000n, cap: 15_000n });
      expect(await customers.walletCredit(input.accountId, 'EUR', 10_000n, { idempotencyKey: 'credit-1' })).toEqual({
        ...first,
        replayed: true,
      });

      await refusedWithoutChange(db, 'wallet_cap_exceeded', () =>
        customers.walletCredit(input.accountId, 'EUR', 5_001n, { idempotencyKey: 'credit-2' }),
      );
      const full = await customers.walletCredit(input.accountId, 'EUR', 5_000n, { idempotencyKey: 'credit-2' });
      expect(full.balance).toBe(15_000n);
      await refusedWithoutChange(db, 'wallet_cap_exceeded', () =>
        customers.walletCredit(input.accountId, 'EUR', 1n, { idempotencyKey: 'credit-3' }),
      );

      const ledger = createLedger(db);
      const funding = await ledger.findAccount('wallet_funding', 'operator', 'EUR');
      const transfer = await ledger.getTransfer(first.serial);
      expect(transfer?.lines).toEqual(
        expect.arrayContaining([
          { accountId: funding?.id, currency: 'EUR', amount: -10_000n },
          { accountId: (await ledger.wallet(input.accountId, 'EUR')).account.id, currency: 'EUR', amount: 10_000n },
        ]),
      );
    });

    it('refuses bad credits and writes nothing', async () => {
      const input = customerInput();
      await customers.add(input);
      await customers.walletCredit(input.accountId, 'EUR', 100n, { idempotencyKey: 'used' });
      const credit = (overrides: { customer?: string; currency?: string; amount?: unknown; key?: unknown }) => () =>
        customers.walletCredit(overrides.customer ?? input.accountId, overrides.currency ?? 'EUR', (overrides.amount ?? 100n) as bigint, {
          idempotencyKey: (overrides.key ?? 'fresh') as string,
        });
      await refusedWithoutChange(db, 'idempotency_conflict', credit({ key: 'used', amount: 200n }));
      await refusedWithoutChange(db, 'customer_unknown', credit({ customer: 'nobody' }));
      await refusedWithoutChange(db, 'wallet_unknown', credit({ currency: 'USD' }));
      await refusedWithoutChange(db, 'currency_unknown', credit({ currency: 'EURO' }));
      await refusedWithoutChange(db, 'amount_invalid', credit({ amount: 0n }));
      await refusedWithoutChange(db, 'amount_invalid', credit({ amount: -5n }));
      await refusedWithoutChange(db, 'amount_invalid', credit({ amount: 100 }));
      await refusedWithoutChange(db, 'amount_invalid', credit({ amount: 10n ** 13n }));
      await refusedWithoutChange(db, 'request_invalid', credit({ key: '' }));
      await refusedWithoutChange(db, 'request_invalid', credit({ key: 'has space' }));
    });
  });

  describe('ceilings', () => {
    it('allows up to the daily and monthly ceilings and refuses beyond, saying which', async () => {
      const input = customerInput();
      await customers.add(input);
      const id = input.accountId;
      const at = new Date('2026-11-22T10:00:00Z');
      spending.pay(id, 'EUR', 60_000n, '2026-11-03T09:00:00Z');
      spending.pay(id, 'EUR', 25_000n, '2026-11-22T08:00:00Z');
      spending.pay(id, 'EUR', 99_000n, '2026-10-31T23:59:59Z');
      spending.pay(id, 'USD', 99_000n, '2026-11-22T08:00:00Z');

      const status = await customers.checkCeilings(id, 'EUR', 5_000n, at);
      expect(status).toEqual({
        currency: 'EUR',
        amount: 5_000n,
        day: { ceiling: 30_000n, spent: 25_000n, remaining: 0n, since: new Date('2026-11-22T00:00:00Z') },
        month: { ceiling: 100_000n, spent: 85_000n, remaining: 10_000n, since: new Date('2026-11-01T00:00:00Z') },
      });
      const daily = await problem(customers.checkCeilings(id, 'EUR', 5_001n, at), 'ceiling_exceeded');
      expect(daily).toBeInstanceOf(CeilingExceededError);
      expect((daily as CeilingExceededError).period).toBe('day');
      // Tomorrow the day is fresh but the month is nearly spent.
      const tomorrow = new Date('2026-11-23T10:00:00Z');
      await expect(customers.checkCeilings(id, 'EUR', 15_000n, tomorrow)).resolves.toMatchObject({ month: { remaining: 0n } });
      const monthly = await problem(customers.checkCeilings(id, 'EUR', 15_001n, tomorrow), 'ceiling_exceeded');
      expect((monthly as CeilingExceededError).period).toBe('month');
      await expect(customers.checkCeilings(id, 'EUR', 0n, at)).resolves.toMatchObject({ amount: 0n });
    });

    it('counts days in the operator time zone', async () => {
      const input = customerInput();
      await customers.add(input);
      spending.pay(input.accountId, 'EUR', 30_000n, '2026-11-21T23:30:00Z');
      const paris = service({ timeZone: 'Europe/Paris' });
      await problem(paris.checkCeilings(input.accountId, 'EUR', 1n, new Date('2026-11-22T10:00:00Z')), 'ceiling_exceeded');
      await expect(customers.checkCeilings(input.accountId, 'EUR', 1n, new Date('2026-11-22T10:00:00Z'))).resolves.toBeDefined();
      expect(() => service({ timeZone: 'Nowhere/Special' })).toThrow(RangeError);
    });

    it('uses the defaults in a currency without limits, and knows no unknown customer', async () => {
      const input = customerInput();
      await customers.add(input);
      await expect(customers.checkCeilings(input.accountId, 'USD', 30_000n)).resolves.toMatchObject({ day: { ceiling: 30_000n } });
      await problem(customers.checkCeilings(input.accountId, 'USD', 30_001n), 'ceiling_exceeded');
      await problem(customers.checkCeilings('nobody', 'EUR', 1n), 'customer_unknown');
      await problem(customers.checkCeilings(input.accountId, 'EUR', -1n), 'amount_invalid');
      await problem(customers.get('nobody'), 'customer_unknown');
      expect(await customers.findByPhone('+10000000000')).toBeUndefined();
    });
  });
});
