import { randomBytes } from 'node:crypto';
import { reference } from '@caisse/acquirer';
import { isCurrencyCode, LIMITS } from '@caisse/protocol';
import { ALERT_KINDS } from '../alerts/model.js';
import { createAlertService } from '../alerts/service.js';
import { ProblemError } from '../http/problem.js';
import { type Account, createLedger, type Ledger } from '../ledger/index.js';
import { bookWalletCredit, OPERATOR } from '../ledger/postings.js';
import type { Logger } from '../log.js';
import { ID_PATTERN, parseInput } from '../merchants/input.js';
import { suspensionInput } from '../merchants/status.js';
import type { Locale } from '../pages/i18n.js';
import { type Executor, type Queryable, type Transaction, withTransaction } from '../storage/database.js';
import { constraintName, sqlState } from '../storage/errors.js';
import {
  checkScryptParams,
  DEFAULT_SCRYPT,
  hashAccessKey,
  type ScryptParams,
  type StoredAccessKey,
  sameParams,
  verifyAccessKey,
} from './access-key.js';
import { type CeilingStatus, checkTimeZone, periodStarts, type SpendingReader } from './ceilings.js';
import { AuthenticationFailedError, accountLocked, CeilingExceededError, fromLedgerError } from './errors.js';
import {
  type AddCustomerInput,
  addCustomerInput,
  type CurrencyLimits,
  type Customer,
  DEFAULT_CURRENCY,
  defaultLimits,
  type LimitsInput,
  limitsInput,
  locale as localeInput,
  MAX_FAILED_ATTEMPTS,
  resolveLimits,
} from './model.js';
import { PAIRWISE_SECRET_LENGTH, pairwiseSubject } from './pairwise.js';

export interface CustomerServiceDeps {
  db: Executor;
  /** Key of the pairwise subjects: `deriveKey(CAISSE_SECRET, 'pairwise-subject')`, 32 bytes or more. */
  pairwiseSecret: Uint8Array;
  /** The payments' totals, for the ceilings. */
  spending: SpendingReader;
  now?: () => Date;
  log?: Logger;
  /** Parameters for new access key hashes. Default {@link DEFAULT_SCRYPT}. */
  accessKeyHashing?: ScryptParams;
  /** Owner of the `wallet_funding` accounts wallet credits come from. Default `operator`. */
  operatorId?: string;
  /** IANA time zone whose calendar days and months the ceilings count. Default `UTC`. */
  timeZone?: string;
}

export interface WalletCredit {
  /** The register serial of the ledger transfer. */
  readonly serial: bigint;
  /** True when this idempotency key had already credited the same amount: nothing moved this time. */
  readonly replayed: boolean;
  readonly balance: bigint;
  readonly cap: bigint;
}

export interface CustomerService {
  /**
   * Adds a customer and opens a wallet with its cap in each currency of `limits`.
   * @throws ProblemError `request_invalid`, `customer_exists` (account id or phone taken)
   * @example await customers.add({ accountId: 'alice', phone: '+33612345678', accessKey, limits: { EUR: { walletCap: 20_000n } } })
   */
  add(input: AddCustomerInput): Promise<Customer>;
  /** @throws ProblemError `customer_unknown` */
  get(customerId: string): Promise<Customer>;
  findByPhone(phone: string): Promise<Customer | undefined>;
  /**
   * Sets a customer's limits in one currency (the fields given), opening the wallet if
   * the customer has none in that currency yet.
   * @throws ProblemError `customer_unknown`, `request_invalid`, `wallet_cap_exceeded` (the wallet holds more than the new cap)
   */
  setLimits(customerId: string, currency: string, limits: LimitsInput): Promise<Customer>;
  /**
   * Checks an account id and access key. {@link MAX_FAILED_ATTEMPTS} wrong keys in a row lock
   * the account and raise an `account_locked` alert; the right key resets the count.
   * @throws AuthenticationFailedError `authentication_failed` with `attemptsLeft`
   * (the same for an unknown account id), ProblemError `account_locked`
   */
  identify(accountId: string, accessKey: string): Promise<Customer>;
  /**
   * Counts a secret checked elsewhere (a phone's PIN proof) in the same counter as access
   * keys: refused while the account is locked, right or wrong; a right one resets the
   * count; a wrong one counts, and the {@link MAX_FAILED_ATTEMPTS}th locks the account and
   * raises the `account_locked` alert.
   * @returns `attemptsLeft` after a wrong one (0: this one locked the account)
   * @throws ProblemError `account_locked` (already locked), `customer_unknown`
   * @example const counted = await customers.countAttempt(device.customerId, { right: safeEqual(proof, expected), factor: 'PIN' })
   */
  countAttempt(
    customerId: string,
    attempt: { right: boolean; factor: 'PIN' },
  ): Promise<{ right: true } | { right: false; attemptsLeft: number }>;
  /** Operator: lifts a lock and clears the count. @throws ProblemError `customer_unknown` */
  unlock(customerId: string): Promise<Customer>;
  /**
   * Operator: locks the account as {@link MAX_FAILED_ATTEMPTS} wrong keys or PINs would, so
   * every payment and phone confirmation is refused `account_locked` until {@link unlock}.
   * Raises no alert (the operator chose it). The reason is checked and logged; the
   * table keeps no reason, so the console's register of operator actions is where it stays.
   * Locking a locked account changes nothing and keeps the time it was locked.
   * @throws ProblemError `request_invalid` (`reason`: 1–500 characters, no control characters), `customer_unknown`
   * @example await customers.lock('alice', 'Phone reported stolen')
   */
  lock(customerId: string, reason: string): Promise<Customer>;
  /**
   * The language of the customer's receipts (the operator, or the customer choosing one on the account page).
   * @throws ProblemError `request_invalid` (not a language of the pages), `customer_unknown`
   * @example await customers.setLocale('alice', 'fr')
   */
  setLocale(customerId: string, locale: Locale): Promise<void>;
  /**
   * Operator: the customer's funding reference at the bank (opaque, never a card
   * number), used for payments at or above the wallet threshold; null removes it.
   * @throws ProblemError `request_invalid`, `customer_unknown`
   */
  setBankRef(customerId: string, bankRef: string | null): Promise<void>;
  /** The customer id a merchant sees in vouchers (`sub`); see {@link pairwiseSubject}. */
  pairwiseSubject(customerId: string, merchantId: string): string;
  /**
   * Moves money from the operator's `wallet_funding` account to the wallet. Idempotent by
   * key: a retry with the same key and amount credits nothing more.
   * @throws ProblemError `customer_unknown`, `wallet_unknown`, `wallet_cap_exceeded`,
   * `idempotency_conflict`, `currency_unknown`, `amount_invalid`, `request_invalid`
   */
  walletCredit(customerId: string, currency: string, amount: bigint, options: { idempotencyKey: string }): Promise<WalletCredit>;
  /**
   * Whether paying `amount` at `at` stays within the daily and monthly ceilings. A read:
   * to be exact under concurrency, call it in the payment's transaction after locking
   * what serialises that customer's payments.
   * @throws CeilingExceededError `ceiling_exceeded` with `period`, ProblemError `customer_unknown`
   */
  checkCeilings(customerId: string, currency: string, amount: bigint, at?: Date): Promise<CeilingStatus>;
  /**
   * Which ceiling paying `amount` at `at` would pass, if any, read in `executor` (the
   * payment's transaction, after locking the customer): what the checkout refuses on.
   * `ceilings`: the ones the caller has read already (the customer's payment plan, in the
   * same transaction), so they are not read twice.
   * @throws ProblemError `customer_unknown`
   */
  exceededCeiling(
    executor: Queryable,
    customerId: string,
    currency: string,
    amount: bigint,
    at: Date,
    ceilings?: Ceilings,
  ): Promise<'day' | 'month' | undefined>;
}

/** A daily and a monthly ceiling, in minor units. */
export interface Ceilings {
  readonly daily: bigint;
  readonly monthly: bigint;
}

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => SILENT };

/** Longest access key hashed when identifying: longer ones are wrong anyway (see ACCESS_KEY_LENGTH), and hashing them costs more. */
const MAX_TRIED_KEY_LENGTH = 1_024;

interface CustomerRow {
  id: string;
  phone: string;
  created_at: Date;
  failed: number;
  locked_at: Date | null;
  locale: Locale;
}

interface CredentialsRow {
  customer_id: string | null;
  key_hash: Uint8Array | null;
  key_salt: Uint8Array | null;
  key_params: (ScryptParams & { algorithm: 'scrypt' }) | null;
  locked_at: Date | null;
}

const CUSTOMER_SQL = `
SELECT c.id, c.phone, c.created_at, coalesce(a.failed, 0) AS failed, a.locked_at, c.locale
FROM customers c LEFT JOIN customer_attempts a ON a.account_id = c.id`;

/**
 * One statement counts a wrong key: it creates the counter or adds one to it, and locks
 * at the limit. The WHERE re-checks the row as the upsert finds it after waiting for any
 * concurrent attempt, so a locked row is never counted again and no more than
 * MAX_FAILED_ATTEMPTS attempts are ever counted. No row returned: it was locked already.
 */
const COUNT_WRONG_KEY = `
INSERT INTO customer_attempts AS a (account_id, failed, last_failed_at, locked_at)
VALUES ($1, 1, $2, CASE WHEN $3::int <= 1 THEN $2::timestamptz END)
ON CONFLICT (account_id) DO UPDATE
  SET failed = a.failed + 1,
      last_failed_at = $2,
      locked_at = CASE WHEN a.failed + 1 >= $3::int THEN $2::timestamptz END
  WHERE a.locked_at IS NULL
RETURNING failed, locked_at`;

/**
 * The operator's lock: the row a lock-out leaves (the table's CHECK ties a lock to the
 * full count), written whatever the count was. The WHERE leaves a locked row as it is,
 * so an account locked twice keeps the time of its first lock; no row returned then.
 */
const LOCK = `
INSERT INTO customer_attempts AS a (account_id, failed, last_failed_at, locked_at)
VALUES ($1, $3, $2, $2)
ON CONFLICT (account_id) DO UPDATE SET failed = $3, last_failed_at = $2, locked_at = $2
  WHERE a.locked_at IS NULL
RETURNING locked_at`;

/** A lock's reason follows the rule of a merchant suspension's: 1–500 characters, no control characters, no outer spaces. */
const lockInput = suspensionInput.pick({ reason: true });

/**
 * What an unknown account id is checked against: a hash of a random key with the current
 * parameters, so it costs the same as a real one and never matches. Made on first use and
 * shared by every service in the process (services are cheap to create, e.g. one per
 * payment transaction; a scrypt per creation would not be). Not state another instance
 * needs: each makes its own.
 */
const decoys = new Map<string, Promise<StoredAccessKey>>();

function decoyFor(params: ScryptParams): Promise<StoredAccessKey> {
  const name = `${params.N}:${params.r}:${params.p}:${params.keyLength}`;
  let decoy = decoys.get(name);
  if (decoy === undefined) {
    decoy = hashAccessKey(randomBytes(32).toString('base64url'), params);
    decoys.set(name, decoy);
    decoy.catch(() => decoys.delete(name));
  }
  return decoy;
}

function checkAmount(amount: unknown, allowZero: boolean): bigint {
  if (typeof amount !== 'bigint' || amount < (allowZero ? 0n : 1n) || amount > BigInt(LIMITS.amount)) {
    throw new ProblemError('amount_invalid', `The amount must be a bigint of minor units from ${allowZero ? 0 : 1} to ${LIMITS.amount}.`);
  }
  return amount;
}

function checkCurrency(currency: unknown): string {
  if (!isCurrencyCode(currency)) throw new ProblemError('currency_unknown');
  return currency;
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/** Opens the wallet with this cap, or sets the cap of the wallet already there. */
async function ensureWallet(ledger: Ledger, customerId: string, currency: string, cap: bigint): Promise<Account> {
  const existing = await ledger.findAccount('customer_wallet', customerId, currency);
  if (existing === undefined) return ledger.openAccount({ type: 'customer_wallet', ownerId: customerId, currency, cap });
  await ledger.setCap(existing.id, cap);
  return existing;
}

/**
 * @example
 * const customers = createCustomerService({ db, pairwiseSecret: deriveKey(secret, 'pairwise-subject'), spending: payments, log });
 * const customer = await customers.identify(form.account, form.accessKey);
 */
export function createCustomerService(deps: CustomerServiceDeps): CustomerService {
  const { db, spending } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? SILENT;
  const hashing = checkScryptParams(deps.accessKeyHashing ?? DEFAULT_SCRYPT);
  const operatorId = deps.operatorId ?? OPERATOR;
  const timeZone = checkTimeZone(deps.timeZone ?? 'UTC');
  if (!(deps.pairwiseSecret instanceof Uint8Array) || deps.pairwiseSecret.length < PAIRWISE_SECRET_LENGTH) {
    throw new Error(`createCustomerService: pairwiseSecret must be at least ${PAIRWISE_SECRET_LENGTH} bytes.`);
  }
  const secret = Uint8Array.from(deps.pairwiseSecret);
  // Made now (once per process and parameters), so the first unknown id is not slower than the next.
  void decoyFor(hashing);

  async function load(executor: Queryable, customerId: string): Promise<Customer | undefined> {
    if (!isId(customerId)) return undefined;
    const { rows } = await executor.query<CustomerRow>(`${CUSTOMER_SQL} WHERE c.id = $1`, [customerId]);
    const row = rows[0];
    return row === undefined ? undefined : withLimits(executor, row);
  }

  async function withLimits(executor: Queryable, row: CustomerRow): Promise<Customer> {
    const { rows } = await executor.query<{ currency: string; daily_ceiling: bigint; monthly_ceiling: bigint }>(
      'SELECT currency, daily_ceiling, monthly_ceiling FROM customer_limits WHERE customer_id = $1 ORDER BY currency COLLATE "C"',
      [row.id],
    );
    const ledger = createLedger(executor as Executor);
    const limits: CurrencyLimits[] = [];
    for (const limit of rows) {
      const wallet = await ledger.wallet(row.id, limit.currency);
      limits.push({
        currency: limit.currency,
        walletCap: wallet.cap ?? 0n,
        dailyCeiling: limit.daily_ceiling,
        monthlyCeiling: limit.monthly_ceiling,
      });
    }
    return {
      id: row.id,
      phone: row.phone,
      limits,
      failedAttempts: row.failed,
      lockedAt: row.locked_at,
      createdAt: row.created_at,
      locale: row.locale,
    };
  }

  async function requireCustomer(executor: Queryable, customerId: string): Promise<Customer> {
    const customer = await load(executor, customerId);
    if (customer === undefined) throw new ProblemError('customer_unknown');
    return customer;
  }

  /** {@link requireCustomer} for a caller that needs only to know the customer exists: one read, not four. */
  async function requireExists(executor: Queryable, customerId: string): Promise<void> {
    const { rows } = isId(customerId) ? await executor.query('SELECT 1 FROM customers WHERE id = $1', [customerId]) : { rows: [] };
    if (rows.length === 0) throw new ProblemError('customer_unknown');
  }

  async function writeLimits(tx: Transaction, customerId: string, limits: CurrencyLimits): Promise<void> {
    await tx.query(
      `INSERT INTO customer_limits (customer_id, currency, daily_ceiling, monthly_ceiling) VALUES ($1, $2, $3, $4)
       ON CONFLICT (customer_id, currency) DO UPDATE SET daily_ceiling = EXCLUDED.daily_ceiling, monthly_ceiling = EXCLUDED.monthly_ceiling`,
      [customerId, limits.currency, limits.dailyCeiling, limits.monthlyCeiling],
    );
    await ensureWallet(createLedger(tx), customerId, limits.currency, limits.walletCap);
  }

  /** Counts a wrong key; raises the alert in the same transaction when this attempt locks a real account. */
  async function countWrongKey(
    accountId: string,
    exists: boolean,
    reason = 'wrong access keys',
  ): Promise<{ locked: boolean; failed: number }> {
    return withTransaction(db, async (tx) => {
      const at = now();
      const { rows } = await tx.query<{ failed: number; locked_at: Date | null }>(COUNT_WRONG_KEY, [accountId, at, MAX_FAILED_ATTEMPTS]);
      const counted = rows[0];
      if (counted === undefined) return { locked: true, failed: MAX_FAILED_ATTEMPTS };
      if (counted.locked_at !== null && exists) {
        await createAlertService({ db: tx, now, log }).raise({
          kind: ALERT_KINDS.accountLocked,
          subject: accountId,
          details: { attempts: counted.failed, reason },
        });
        log.warn('customer.locked', { customerId: accountId, attempts: counted.failed });
      }
      return { locked: counted.locked_at !== null, failed: counted.failed };
    });
  }

  const service: CustomerService = {
    async add(raw) {
      const input = parseInput(addCustomerInput, raw);
      const limits = Object.entries(input.limits ?? { [DEFAULT_CURRENCY]: {} })
        .map(([currency, given]) => resolveLimits(currency, given))
        .sort((a, b) => (a.currency < b.currency ? -1 : 1));
      for (const limit of limits) {
        if (limit.dailyCeiling > limit.monthlyCeiling) {
          throw new ProblemError('request_invalid', `limits.${limit.currency}: the daily ceiling exceeds the monthly ceiling.`, {
            issues: [{ path: `limits.${limit.currency}.dailyCeiling`, message: 'must not exceed the monthly ceiling' }],
          });
        }
      }
      const stored = await hashAccessKey(input.accessKey, hashing);
      let customer: Customer;
      try {
        customer = await withTransaction(db, async (tx) => {
          await tx.query(
            'INSERT INTO customers (id, phone, key_hash, key_salt, key_params, created_at, locale) VALUES ($1, $2, $3, $4, $5::text::jsonb, $6, $7)',
            [input.accountId, input.phone, stored.hash, stored.salt, JSON.stringify(stored.params), now(), input.locale ?? 'en'],
          );
          // Wrong keys tried on this id before it existed do not count against the new customer.
          await tx.query('DELETE FROM customer_attempts WHERE account_id = $1', [input.accountId]);
          for (const limit of limits) await writeLimits(tx, input.accountId, limit);
          return requireCustomer(tx, input.accountId);
        });
      } catch (error) {
        if (sqlState(error) === '23505') {
          const constraint = constraintName(error);
          if (constraint === 'customers_pkey')
            throw new ProblemError('customer_exists', `A customer with account id "${input.accountId}" already exists.`, { cause: error });
          if (constraint === 'customers_phone_unique')
            throw new ProblemError('customer_exists', 'A customer with this phone number already exists.', { cause: error });
        }
        throw fromLedgerError(error);
      }
      log.info('customer.added', { customerId: customer.id, currencies: customer.limits.map((limit) => limit.currency) });
      return customer;
    },

    get: (customerId) => requireCustomer(db, customerId),

    async findByPhone(phone) {
      if (typeof phone !== 'string') return undefined;
      const { rows } = await db.query<CustomerRow>(`${CUSTOMER_SQL} WHERE c.phone = $1`, [phone]);
      const row = rows[0];
      return row === undefined ? undefined : withLimits(db, row);
    },

    async setLimits(customerId, currency, given) {
      const code = checkCurrency(currency);
      const input = parseInput(limitsInput, given);
      try {
        const customer = await withTransaction(db, async (tx) => {
          const current = await requireCustomer(tx, customerId);
          const base = current.limits.find((limit) => limit.currency === code) ?? defaultLimits(code);
          const limits = resolveLimits(code, input, base);
          if (limits.dailyCeiling > limits.monthlyCeiling) {
            throw new ProblemError('request_invalid', 'dailyCeiling: must not exceed the monthly ceiling.', {
              issues: [{ path: 'dailyCeiling', message: 'must not exceed the monthly ceiling' }],
            });
          }
          await writeLimits(tx, current.id, limits);
          return requireCustomer(tx, current.id);
        });
        log.info('customer.limits_set', { customerId: customer.id, currency: code });
        return customer;
      } catch (error) {
        throw fromLedgerError(error);
      }
    },

    async identify(accountId, accessKey) {
      const id = isId(accountId) ? accountId : undefined;
      const tried = typeof accessKey === 'string' && accessKey.length <= MAX_TRIED_KEY_LENGTH ? accessKey : '';
      const { rows } =
        id === undefined
          ? { rows: [] as CredentialsRow[] }
          : await db.query<CredentialsRow>(
              `SELECT c.id AS customer_id, c.key_hash, c.key_salt, c.key_params, a.locked_at
               FROM (SELECT $1::text AS account_id) q
               LEFT JOIN customers c ON c.id = q.account_id
               LEFT JOIN customer_attempts a ON a.account_id = q.account_id`,
              [id],
            );
      const row = rows[0];
      // A locked account (known or not) is refused before any hashing: the answer is the same either way.
      if (row?.locked_at != null) throw accountLocked();

      const exists = row?.customer_id != null && row.key_hash !== null && row.key_salt !== null && row.key_params !== null;
      const stored: StoredAccessKey = exists
        ? {
            hash: Buffer.from(row.key_hash as Uint8Array),
            salt: Buffer.from(row.key_salt as Uint8Array),
            params: row.key_params as StoredAccessKey['params'],
          }
        : await decoyFor(hashing);
      const matches = (await verifyAccessKey(tried, stored)) && exists && tried !== '';

      if (matches && id !== undefined) {
        const rehashed = sameParams(stored.params, hashing) ? undefined : await hashAccessKey(tried, hashing);
        const customer = await withTransaction(db, async (tx) => {
          // Locks the counter row (if any) so a lock committed meanwhile by a concurrent wrong key wins.
          const lock = await tx.query<{ locked_at: Date | null }>(
            'SELECT locked_at FROM customer_attempts WHERE account_id = $1 FOR UPDATE',
            [id],
          );
          if (lock.rows[0]?.locked_at != null) throw accountLocked();
          // No counter row, nothing to reset (a wrong key committing after the read counts after this right one).
          if (lock.rows.length > 0) await tx.query('DELETE FROM customer_attempts WHERE account_id = $1', [id]);
          if (rehashed !== undefined) {
            await tx.query('UPDATE customers SET key_hash = $2, key_salt = $3, key_params = $4::text::jsonb WHERE id = $1', [
              id,
              rehashed.hash,
              rehashed.salt,
              JSON.stringify(rehashed.params),
            ]);
          }
          return requireCustomer(tx, id);
        });
        log.info('customer.identified', { customerId: id });
        return customer;
      }

      // An id outside the id rule cannot exist and cannot be stored: nothing to count.
      if (id === undefined) throw new AuthenticationFailedError(MAX_FAILED_ATTEMPTS - 1);
      const counted = await countWrongKey(id, exists);
      log.warn('customer.identification_failed', { accountId: id, failed: counted.failed, locked: counted.locked });
      if (counted.locked) throw accountLocked();
      throw new AuthenticationFailedError(MAX_FAILED_ATTEMPTS - counted.failed);
    },

    async countAttempt(customerId, attempt) {
      if (attempt.right) {
        await withTransaction(db, async (tx) => {
          await requireExists(tx, customerId);
          // Locks the counter row so a lock committed meanwhile by a concurrent wrong attempt wins.
          const lock = await tx.query<{ locked_at: Date | null }>(
            'SELECT locked_at FROM customer_attempts WHERE account_id = $1 FOR UPDATE',
            [customerId],
          );
          if (lock.rows[0]?.locked_at != null) throw accountLocked();
          if (lock.rows.length > 0) await tx.query('DELETE FROM customer_attempts WHERE account_id = $1', [customerId]);
        });
        return { right: true };
      }
      const customer = await requireCustomer(db, customerId);
      if (customer.lockedAt !== null) throw accountLocked();
      const counted = await countWrongKey(customerId, true, `wrong ${attempt.factor}s`);
      log.warn('customer.attempt_failed', { customerId, factor: attempt.factor, failed: counted.failed, locked: counted.locked });
      return { right: false, attemptsLeft: counted.locked ? 0 : MAX_FAILED_ATTEMPTS - counted.failed };
    },

    async unlock(customerId) {
      const { customer, wasLocked } = await withTransaction(db, async (tx) => {
        await requireCustomer(tx, customerId);
        const { rows } = await tx.query<{ locked_at: Date | null }>(
          'DELETE FROM customer_attempts WHERE account_id = $1 RETURNING locked_at',
          [customerId],
        );
        return { customer: await requireCustomer(tx, customerId), wasLocked: rows[0]?.locked_at != null };
      });
      log.info('customer.unlocked', { customerId: customer.id, wasLocked });
      return customer;
    },

    async lock(customerId, reason) {
      const input = parseInput(lockInput, { reason });
      const { customer, wasLocked } = await withTransaction(db, async (tx) => {
        await requireExists(tx, customerId);
        const { rows } = await tx.query(LOCK, [customerId, now(), MAX_FAILED_ATTEMPTS]);
        return { customer: await requireCustomer(tx, customerId), wasLocked: rows.length === 0 };
      });
      log.warn('customer.locked', { customerId: customer.id, by: 'operator', reason: input.reason, wasLocked });
      return customer;
    },

    async setLocale(customerId, locale) {
      const chosen = parseInput(localeInput, locale);
      const { rowCount } = isId(customerId)
        ? await db.query('UPDATE customers SET locale = $2 WHERE id = $1', [customerId, chosen])
        : { rowCount: 0 };
      if (rowCount !== 1) throw new ProblemError('customer_unknown');
      log.info('customer.locale_set', { customerId, locale: chosen });
    },

    async setBankRef(customerId, bankRef) {
      // The acquirer's rule, checked here so a reference the bank leg would refuse is refused now, not at the first top-up.
      if (bankRef !== null && !reference.safeParse(bankRef).success) {
        throw new ProblemError('request_invalid', 'A bank reference is 1–64 characters of A-Z a-z 0-9 . _ : - (an IBAN fits).');
      }
      const { rowCount } = await db.query('UPDATE customers SET bank_ref = $2 WHERE id = $1', [customerId, bankRef]);
      if (rowCount !== 1) throw new ProblemError('customer_unknown');
      log.info('customer.bank_ref_set', { customerId, present: bankRef !== null });
    },

    pairwiseSubject(customerId, merchantId) {
      if (!isId(customerId) || !isId(merchantId)) {
        throw new ProblemError(
          'request_invalid',
          'A pairwise subject is made from a customer id and a merchant id that follow the id rule.',
        );
      }
      return pairwiseSubject(secret, customerId, merchantId);
    },

    async walletCredit(customerId, currency, amount, options) {
      const code = checkCurrency(currency);
      const value = checkAmount(amount, false);
      const key = options?.idempotencyKey;
      if (typeof key !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(key)) {
        throw new ProblemError('request_invalid', 'idempotencyKey: must be 1–128 printable ASCII characters without spaces.', {
          issues: [{ path: 'idempotencyKey', message: 'must be 1–128 printable ASCII characters without spaces' }],
        });
      }
      await requireCustomer(db, customerId);
      const ledger = createLedger(db);
      const wallet = await ledger.findAccount('customer_wallet', customerId, code);
      if (wallet === undefined) throw new ProblemError('wallet_unknown', `The customer has no wallet in ${code}.`);
      try {
        const transfer = await bookWalletCredit(db, { customerId, amount: value, currency: code, wallet, requestKey: key, operatorId });
        const balance = await ledger.balance(wallet.id);
        log.info('wallet.credited', {
          customerId,
          currency: code,
          amount: value.toString(),
          serial: transfer.serial.toString(),
          replayed: transfer.replayed,
        });
        return { serial: transfer.serial, replayed: transfer.replayed, balance: balance.balance, cap: balance.cap ?? 0n };
      } catch (error) {
        throw fromLedgerError(error);
      }
    },

    async checkCeilings(customerId, currency, amount, at = now()) {
      const status = await ceilingStatus(db, customerId, currency, amount, at);
      if ('exceeded' in status) throw new CeilingExceededError(status.exceeded);
      return status;
    },

    async exceededCeiling(executor, customerId, currency, amount, at, ceilings) {
      const status = await ceilingStatus(executor, customerId, currency, amount, at, ceilings);
      return 'exceeded' in status ? status.exceeded : undefined;
    },
  };

  /**
   * A customer's ceilings in a currency: the operator's (the defaults for a currency without
   * limits of its own, e.g. paid through the bank, no wallet), or the customer's own (their
   * payment plan, customers/plan.ts `effectivePlan`) where lower.
   */
  async function ceilingsOf(executor: Queryable, customerId: string, code: string): Promise<Ceilings> {
    const fallback = defaultLimits(code);
    const { rows } = await executor.query<{ id: string; daily_ceiling: bigint; monthly_ceiling: bigint }>(
      `SELECT c.id, least(coalesce(l.daily_ceiling, $3), p.daily_ceiling) AS daily_ceiling,
              least(coalesce(l.monthly_ceiling, $4), p.monthly_ceiling) AS monthly_ceiling
         FROM customers c
         LEFT JOIN customer_limits l ON l.customer_id = c.id AND l.currency = $2
         LEFT JOIN customer_plans p ON p.customer_id = c.id AND p.currency = $2
         WHERE c.id = $1`,
      [customerId, code, fallback.dailyCeiling, fallback.monthlyCeiling],
    );
    const row = rows[0];
    if (row === undefined) throw new ProblemError('customer_unknown');
    return { daily: row.daily_ceiling, monthly: row.monthly_ceiling };
  }

  async function ceilingStatus(
    executor: Queryable,
    customerId: string,
    currency: string,
    amount: bigint,
    at: Date,
    given?: Ceilings,
  ): Promise<CeilingStatus | { exceeded: 'day' | 'month' }> {
    const code = checkCurrency(currency);
    const value = checkAmount(amount, true);
    if (!isId(customerId)) throw new ProblemError('customer_unknown');
    const { daily: dailyCeiling, monthly: monthlyCeiling } = given ?? (await ceilingsOf(executor, customerId, code));
    const starts = periodStarts(at, timeZone);
    const [spentToday, spentThisMonth] = await Promise.all([
      spending.spentSince(customerId, code, starts.day, executor),
      spending.spentSince(customerId, code, starts.month, executor),
    ]);
    // The month first: when it is exhausted, waiting for tomorrow does not help.
    if (spentThisMonth + value > monthlyCeiling) return { exceeded: 'month' };
    if (spentToday + value > dailyCeiling) return { exceeded: 'day' };
    return {
      currency: code,
      amount: value,
      day: { ceiling: dailyCeiling, spent: spentToday, remaining: dailyCeiling - spentToday - value, since: starts.day },
      month: { ceiling: monthlyCeiling, spent: spentThisMonth, remaining: monthlyCeiling - spentThisMonth - value, since: starts.month },
    };
  }

  return service;
}
