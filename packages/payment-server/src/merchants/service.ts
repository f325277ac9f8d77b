import { isAllowedUrl, isCaisseError, isCurrencyCode, type Mode, modeOfKid, type PublicJwk, TEST_KEY_PREFIX } from '@caisse/protocol';
import { importPublicJwk, importPublicJwks, type KeySet, staticKeySet } from '@caisse/server-kit';
import { ProblemError } from '../http/problem.js';
import { type Account, createLedger } from '../ledger/index.js';
import type { Logger } from '../log.js';
import { type Executor, type Queryable, withTransaction } from '../storage/database.js';
import { constraintName, sqlState } from '../storage/errors.js';
import { ID_PATTERN, parseInput } from './input.js';
import {
  MAX_ACTIVE_KEYS,
  type Merchant,
  type MerchantKeyRow,
  type MerchantRow,
  type RegisterMerchantInput,
  registerMerchantInput,
  toMerchant,
} from './model.js';
import { isOriginIn, originOf, parseReturnOrigins } from './origins.js';
import {
  type MerchantStatus,
  type MerchantStatusChange,
  STATUS_MOVES,
  type StatusChangeInput,
  type StatusMove,
  statusChangeInput,
  suspensionInput,
} from './status.js';

export interface MerchantServiceDeps {
  db: Executor;
  now?: () => Date;
  log?: Logger;
  /** The server's mode (default `live`): a live server registers no test key (`test_` kid), a test server only test keys. */
  mode?: Mode;
}

/** What ticket intake checks a ticket against (checkout's `MerchantDirectory`). */
export interface TicketPolicy {
  /** The merchant's active keys. */
  keys: KeySet;
  /** {@link MerchantService.isRegisteredOrigin} against the origins read with the keys. */
  isRegisteredOrigin(url: string): boolean;
  /** Those origins, to tell the merchant which ones it registered when a ticket uses another. */
  returnOrigins?: readonly string[];
  /** The payment server's mode, which a ticket must be in (its kid and its `test` claim); absent: `live`. */
  mode?: Mode;
  /** The merchant's status, read with the keys: only an `active` merchant's tickets are taken. */
  status: MerchantStatus;
}

export interface ListMerchantsOptions {
  /** Keyset pagination: merchants whose id sorts after this one. */
  after?: string;
  /** Default 100, at most 1000. */
  limit?: number;
}

/**
 * Registered merchants: who may send tickets (their public keys), where customers may be
 * sent back (their return origins) and where notifications go. Everything is read from
 * the database on each call, so every instance sees a key retired on another at once.
 *
 * It also satisfies checkout's `MerchantDirectory` (`keySet`, `isRegisteredOrigin`).
 */
export interface MerchantService {
  /**
   * @throws ProblemError `request_invalid` (id, name), `keys_invalid` (private member,
   * duplicate kid, not a key), `key_mode_mismatch` (a test key at a live server, or the
   * reverse), `origin_invalid`, `merchant_exists`
   * @example await merchants.register({ id: 'bookshop', displayName: 'La Librairie',
   *   jwks: key.jwks, returnOrigins: ['https://bookshop.example'], notifyUrl: 'https://bookshop.example/caisse/notify' })
   */
  register(input: RegisterMerchantInput): Promise<Merchant>;
  /** @throws ProblemError `merchant_unknown` */
  get(merchantId: string): Promise<Merchant>;
  /**
   * The name customers are shown, for the hosted pages. A name is set at registration and
   * never changed, so each instance keeps the names it has read (keys and origins, which
   * do change, are always read afresh).
   * @throws ProblemError `merchant_unknown`
   */
  displayName(merchantId: string): Promise<string>;
  /** Ordered by id. */
  list(options?: ListMerchantsOptions): Promise<Merchant[]>;
  /**
   * A pending merchant may take payments from now on, on every instance.
   * @throws ProblemError `merchant_unknown`, `merchant_status_conflict` (not pending), `request_invalid` (`by`, `reason`)
   * @example await merchants.approve('bookshop', { by: 'operator:alice' })
   */
  approve(merchantId: string, change: StatusChangeInput): Promise<Merchant>;
  /**
   * An active or pending merchant takes no new payment from now on, on every instance;
   * refunds, escrow, settlement and disputes of its past payments go on.
   * @throws ProblemError `merchant_unknown`, `merchant_status_conflict` (already suspended), `request_invalid` (`by`, a missing `reason`)
   * @example await merchants.suspend('bookshop', { by: 'cli:alice', reason: 'Chargebacks under review' })
   */
  suspend(merchantId: string, change: { by: string; reason: string }): Promise<Merchant>;
  /**
   * A suspended merchant takes payments again.
   * @throws ProblemError `merchant_unknown`, `merchant_status_conflict` (not suspended), `request_invalid` (`by`, `reason`)
   */
  resume(merchantId: string, change: StatusChangeInput): Promise<Merchant>;
  /**
   * Every status change of the merchant, oldest first (append-only: never edited).
   * @throws ProblemError `merchant_unknown`
   */
  statusHistory(merchantId: string): Promise<MerchantStatusChange[]>;
  /**
   * Adds a public key. A kid is never reused by a merchant, not even a retired one's.
   * @throws ProblemError `merchant_unknown`, `keys_invalid`, `key_mode_mismatch`
   */
  addKey(merchantId: string, jwk: unknown): Promise<Merchant>;
  /**
   * Retires a key: tickets signed with it are refused from now on, on every instance.
   * @throws ProblemError `merchant_unknown`, `merchant_key_unknown`, `merchant_key_last`
   */
  retireKey(merchantId: string, kid: string): Promise<Merchant>;
  /**
   * The merchant's active keys as a server-kit `KeySet`: ticket verification can use no
   * other key. Built from the database on each call.
   * @throws ProblemError `merchant_unknown`
   * @example const { payload } = await verifyJws(token, [TOKEN_TYPES.ticket], await merchants.merchantKeys(iss))
   */
  merchantKeys(merchantId: string): Promise<KeySet>;
  /** {@link merchantKeys}, with `undefined` for an unknown merchant (checkout's `MerchantDirectory`). */
  keySet(merchantId: string): Promise<KeySet | undefined>;
  /**
   * The merchant's active keys and registered return origins in one read, for ticket
   * intake; undefined for an unknown merchant. Read afresh on each call like
   * {@link keySet}, so a key retired on any instance is refused at once.
   */
  ticketPolicy(merchantId: string): Promise<TicketPolicy | undefined>;
  /**
   * Whether the exact origin of `url` (scheme, host, port after WHATWG parsing) is one the
   * merchant registered. False for a URL that cannot be a return URL (relative, user info,
   * `javascript:`, http off localhost) and for an unknown merchant.
   */
  isRegisteredOrigin(merchantId: string, url: string): Promise<boolean>;
  /**
   * Sets (or with null, removes) the merchant's quote endpoint, where the payment server
   * asks for quotes (docs/quotes-and-delivery.md).
   * @throws ProblemError `merchant_unknown`, `request_invalid` (not https, or http off localhost)
   * @example await merchants.setQuoteUrl('newsstand', 'https://news.example/caisse/quote')
   */
  setQuoteUrl(merchantId: string, url: string | null): Promise<Merchant>;
  /**
   * Replaces the merchant's return origins, checked as {@link register} checks them: 1 to
   * 32 exact origins, none twice. Tickets are checked against the new list at once, on
   * every instance; a refused list changes nothing.
   * @throws ProblemError `origin_invalid` (an empty list, a malformed or repeated origin), `merchant_unknown`
   * @example await merchants.setReturnOrigins('bookshop', ['https://bookshop.example', 'https://www.bookshop.example'])
   */
  setReturnOrigins(merchantId: string, returnOrigins: readonly string[]): Promise<Merchant>;
  /**
   * The merchant's till in this currency, opened on first use.
   * @throws ProblemError `merchant_unknown`, `currency_unknown`
   */
  tillAccount(merchantId: string, currency: string): Promise<Account>;
}

/** The past participle of each move, for messages and log events (`merchant.suspended`). */
const STATUS_VERBS: Record<StatusMove, string> = { approve: 'approved', suspend: 'suspended', resume: 'resumed' };

interface StatusChangeRow {
  merchant_id: string;
  from_status: MerchantStatus;
  to_status: MerchantStatus;
  changed_by: string;
  reason: string | null;
  changed_at: Date;
}

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => SILENT };

const MERCHANT_COLUMNS = 'id, display_name, return_origins, notify_url, quote_url, status, created_at, updated_at';
const KEY_COLUMNS = 'merchant_id, kid, jwk, added_at, retired_at';

function importKeys(jwks: unknown): Map<string, PublicJwk> {
  try {
    return new Map([...importPublicJwks(jwks)].map(([kid, key]) => [kid, key.jwk]));
  } catch (error) {
    if (isCaisseError(error)) throw new ProblemError('keys_invalid', error.message, { issues: error.issues, cause: error });
    throw error;
  }
}

function importKey(jwk: unknown): PublicJwk {
  try {
    return importPublicJwk(jwk).jwk;
  } catch (error) {
    if (isCaisseError(error)) throw new ProblemError('keys_invalid', error.message, { issues: error.issues, cause: error });
    throw error;
  }
}

/**
 * A key of the other mode is refused at registration, so that tickets fail here, once, with
 * what to do, rather than at every checkout; a live server thus never trusts a test key.
 */
function checkKeyModes(kids: Iterable<string>, mode: Mode): void {
  for (const kid of kids) {
    if (modeOfKid(kid) === mode) continue;
    throw new ProblemError(
      'key_mode_mismatch',
      mode === 'live'
        ? `Key "${kid}" is a test key (its kid starts with ${TEST_KEY_PREFIX}) and this payment server is live: register your live key here, and your test key with a payment server in test mode.`
        : `Key "${kid}" is a live key and this payment server runs in test mode: register a test key (caisse keys new --test, kid ${TEST_KEY_PREFIX}…), and keep your live key for the live payment server.`,
    );
  }
}

/** A notification or quote URL: the payment server posts to it, so only https (http on localhost), no credentials. */
function parseEndpointUrl(url: string | null | undefined, field: 'notifyUrl' | 'quoteUrl'): string | null {
  if (url === undefined || url === null) return null;
  if (!isAllowedUrl(url)) {
    throw new ProblemError('request_invalid', `${field}: must be an absolute https URL without credentials (http only for localhost).`, {
      issues: [{ path: field, message: 'must be an absolute https URL without credentials (http only for localhost)' }],
    });
  }
  return url;
}

async function loadMerchants(db: Queryable, rows: readonly MerchantRow[]): Promise<Merchant[]> {
  if (rows.length === 0) return [];
  const keys = await db.query<MerchantKeyRow>(
    `SELECT ${KEY_COLUMNS} FROM merchant_keys WHERE merchant_id = ANY($1::text[]) ORDER BY added_at DESC, kid`,
    [rows.map((row) => row.id)],
  );
  return rows.map((row) =>
    toMerchant(
      row,
      keys.rows.filter((key) => key.merchant_id === row.id),
    ),
  );
}

async function findMerchant(db: Queryable, merchantId: string, lock = false): Promise<Merchant | undefined> {
  if (typeof merchantId !== 'string' || !ID_PATTERN.test(merchantId)) return undefined;
  const { rows } = await db.query<MerchantRow>(`SELECT ${MERCHANT_COLUMNS} FROM merchants WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [
    merchantId,
  ]);
  return (await loadMerchants(db, rows))[0];
}

async function requireMerchant(db: Queryable, merchantId: string, lock = false): Promise<Merchant> {
  const merchant = await findMerchant(db, merchantId, lock);
  if (merchant === undefined) throw new ProblemError('merchant_unknown');
  return merchant;
}

/**
 * @example
 * const merchants = createMerchantService({ db, log });
 * const ok = await merchants.isRegisteredOrigin('bookshop', ticket.returnUrl);
 */
export function createMerchantService(deps: MerchantServiceDeps): MerchantService {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? SILENT;
  const mode = deps.mode ?? 'live';
  /** Registered merchants only: bounded by the merchants table, which never shrinks. */
  const names = new Map<string, string>();

  /**
   * One move of the lifecycle: the merchant row locked, its status checked against the
   * move, changed, and the change appended to its history in the same transaction. Every
   * read of the status (ticket intake, the charge statement) is fresh, so the move holds
   * on every instance as soon as it commits.
   */
  async function moveStatus(merchantId: string, move: StatusMove, change: StatusChangeInput): Promise<Merchant> {
    const { from, to } = STATUS_MOVES[move];
    const merchant = await withTransaction(db, async (tx) => {
      const current = await requireMerchant(tx, merchantId, true);
      if (!(from as readonly MerchantStatus[]).includes(current.status)) {
        throw new ProblemError(
          'merchant_status_conflict',
          `Merchant ${current.id} is ${current.status}: only a ${from.join(' or ')} merchant can be ${STATUS_VERBS[move]}.`,
          { extensions: { status: current.status } },
        );
      }
      const at = now();
      await tx.query('UPDATE merchants SET status = $2, updated_at = $3 WHERE id = $1', [current.id, to, at]);
      await tx.query(
        `INSERT INTO merchant_status_changes (merchant_id, from_status, to_status, changed_by, reason, changed_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [current.id, current.status, to, change.by, change.reason ?? null, at],
      );
      return requireMerchant(tx, current.id);
    });
    log.info(`merchant.${STATUS_VERBS[move]}`, { merchantId: merchant.id, status: merchant.status, by: change.by });
    return merchant;
  }

  const service: MerchantService = {
    async register(input) {
      const parsed = parseInput(registerMerchantInput, input);
      const keys = importKeys(parsed.jwks);
      checkKeyModes(keys.keys(), mode);
      const returnOrigins = parseReturnOrigins(parsed.returnOrigins);
      const notifyUrl = parseEndpointUrl(parsed.notifyUrl, 'notifyUrl');
      const quoteUrl = parseEndpointUrl(parsed.quoteUrl, 'quoteUrl');
      const at = now();
      let merchant: Merchant;
      try {
        merchant = await withTransaction(db, async (tx) => {
          await tx.query(
            `INSERT INTO merchants (id, display_name, return_origins, notify_url, quote_url, status, created_at, updated_at)
             VALUES ($1, $2, $3::text[], $4, $6, $7, $5, $5)`,
            [parsed.id, parsed.displayName, returnOrigins, notifyUrl, at, quoteUrl, parsed.status ?? 'active'],
          );
          await tx.query(
            `INSERT INTO merchant_keys (merchant_id, kid, jwk, added_at)
             SELECT $1, key->>'kid', key, $3 FROM jsonb_array_elements($2::text::jsonb) AS key`,
            [parsed.id, JSON.stringify([...keys.values()]), at],
          );
          return requireMerchant(tx, parsed.id);
        });
      } catch (error) {
        if (sqlState(error) === '23505' && constraintName(error) === 'merchants_pkey') {
          throw new ProblemError('merchant_exists', `A merchant with id "${parsed.id}" is already registered.`, { cause: error });
        }
        throw error;
      }
      log.info('merchant.registered', { merchantId: merchant.id, kids: [...keys.keys()], returnOrigins, status: merchant.status });
      return merchant;
    },

    get: (merchantId) => requireMerchant(db, merchantId),

    async displayName(merchantId) {
      const known = names.get(merchantId);
      if (known !== undefined) return known;
      if (typeof merchantId !== 'string' || !ID_PATTERN.test(merchantId)) throw new ProblemError('merchant_unknown');
      const { rows } = await db.query<{ display_name: string }>('SELECT display_name FROM merchants WHERE id = $1', [merchantId]);
      const name = rows[0]?.display_name;
      if (name === undefined) throw new ProblemError('merchant_unknown');
      names.set(merchantId, name);
      return name;
    },

    async list(options = {}) {
      const limit = options.limit ?? 100;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000)
        throw new ProblemError('request_invalid', 'limit: must be an integer from 1 to 1000.');
      const { rows } = await db.query<MerchantRow>(
        `SELECT ${MERCHANT_COLUMNS} FROM merchants WHERE id COLLATE "C" > $1 ORDER BY id COLLATE "C" LIMIT $2`,
        [options.after ?? '', limit],
      );
      return loadMerchants(db, rows);
    },

    // Async: refused input rejects the promise, as every other method does, rather than throwing at the call.
    approve: async (merchantId, change) => moveStatus(merchantId, 'approve', parseInput(statusChangeInput, change)),
    suspend: async (merchantId, change) => moveStatus(merchantId, 'suspend', parseInput(suspensionInput, change)),
    resume: async (merchantId, change) => moveStatus(merchantId, 'resume', parseInput(statusChangeInput, change)),

    async statusHistory(merchantId) {
      await requireMerchant(db, merchantId);
      const { rows } = await db.query<StatusChangeRow>(
        'SELECT merchant_id, from_status, to_status, changed_by, reason, changed_at FROM merchant_status_changes WHERE merchant_id = $1 ORDER BY seq',
        [merchantId],
      );
      return rows.map((row) => ({
        merchantId: row.merchant_id,
        from: row.from_status,
        to: row.to_status,
        by: row.changed_by,
        reason: row.reason,
        at: row.changed_at,
      }));
    },

    async addKey(merchantId, jwk) {
      const key = importKey(jwk);
      checkKeyModes([key.kid], mode);
      const merchant = await withTransaction(db, async (tx) => {
        const current = await requireMerchant(tx, merchantId, true);
        if (current.keys.some((existing) => existing.kid === key.kid)) {
          throw new ProblemError('keys_invalid', `This merchant already used kid "${key.kid}"; a kid is never given to another key.`);
        }
        if (current.jwks.keys.length >= MAX_ACTIVE_KEYS) {
          throw new ProblemError('keys_invalid', `A merchant has at most ${MAX_ACTIVE_KEYS} active keys; retire one first.`);
        }
        const at = now();
        await tx.query('INSERT INTO merchant_keys (merchant_id, kid, jwk, added_at) VALUES ($1, $2, $3::text::jsonb, $4)', [
          current.id,
          key.kid,
          JSON.stringify(key),
          at,
        ]);
        await tx.query('UPDATE merchants SET updated_at = $2 WHERE id = $1', [current.id, at]);
        return requireMerchant(tx, current.id);
      });
      log.info('merchant.key_added', { merchantId: merchant.id, kid: key.kid });
      return merchant;
    },

    async retireKey(merchantId, kid) {
      const merchant = await withTransaction(db, async (tx) => {
        // The merchant row is locked so that two retirements cannot both see "another key is left".
        const current = await requireMerchant(tx, merchantId, true);
        const active = current.keys.filter((key) => key.retiredAt === null);
        if (!active.some((key) => key.kid === kid)) throw new ProblemError('merchant_key_unknown');
        if (active.length === 1) throw new ProblemError('merchant_key_last');
        const at = now();
        await tx.query('UPDATE merchant_keys SET retired_at = $3 WHERE merchant_id = $1 AND kid = $2', [current.id, kid, at]);
        await tx.query('UPDATE merchants SET updated_at = $2 WHERE id = $1', [current.id, at]);
        return requireMerchant(tx, current.id);
      });
      log.info('merchant.key_retired', { merchantId: merchant.id, kid });
      return merchant;
    },

    async setQuoteUrl(merchantId, url) {
      const quoteUrl = parseEndpointUrl(url, 'quoteUrl');
      const merchant = await withTransaction(db, async (tx) => {
        const current = await requireMerchant(tx, merchantId, true);
        await tx.query('UPDATE merchants SET quote_url = $2, updated_at = $3 WHERE id = $1', [current.id, quoteUrl, now()]);
        return requireMerchant(tx, current.id);
      });
      log.info('merchant.quote_endpoint_set', { merchantId: merchant.id, quoteUrl });
      return merchant;
    },

    async setReturnOrigins(merchantId, list) {
      const returnOrigins = parseReturnOrigins(list);
      const merchant = await withTransaction(db, async (tx) => {
        const current = await requireMerchant(tx, merchantId, true);
        await tx.query('UPDATE merchants SET return_origins = $2::text[], updated_at = $3 WHERE id = $1', [
          current.id,
          returnOrigins,
          now(),
        ]);
        return requireMerchant(tx, current.id);
      });
      log.info('merchant.return_origins_set', { merchantId: merchant.id, returnOrigins });
      return merchant;
    },

    async merchantKeys(merchantId) {
      const keys = await service.keySet(merchantId);
      if (keys === undefined) throw new ProblemError('merchant_unknown');
      return keys;
    },

    async keySet(merchantId) {
      if (typeof merchantId !== 'string' || !ID_PATTERN.test(merchantId)) return undefined;
      const { rows } = await db.query<{ jwk: PublicJwk }>(
        'SELECT jwk FROM merchant_keys WHERE merchant_id = $1 AND retired_at IS NULL ORDER BY added_at DESC, kid',
        [merchantId],
      );
      // A registered merchant always keeps one active key (retireKey refuses the last).
      if (rows.length === 0) return undefined;
      return staticKeySet({ keys: rows.map((row) => row.jwk) });
    },

    async ticketPolicy(merchantId) {
      if (typeof merchantId !== 'string' || !ID_PATTERN.test(merchantId)) return undefined;
      const { rows } = await db.query<{ return_origins: string[]; status: MerchantStatus; jwk: PublicJwk }>(
        `SELECT m.return_origins, m.status, k.jwk FROM merchants m
           JOIN merchant_keys k ON k.merchant_id = m.id AND k.retired_at IS NULL
          WHERE m.id = $1 ORDER BY k.added_at DESC, k.kid`,
        [merchantId],
      );
      const first = rows[0];
      // A registered merchant always keeps one active key (retireKey refuses the last).
      if (first === undefined) return undefined;
      const origins = first.return_origins;
      return {
        keys: staticKeySet({ keys: rows.map((row) => row.jwk) }),
        isRegisteredOrigin: (url) => originOf(url) !== undefined && isOriginIn(origins, url),
        returnOrigins: origins,
        mode,
        status: first.status,
      };
    },

    async isRegisteredOrigin(merchantId, url) {
      if (originOf(url) === undefined || typeof merchantId !== 'string' || !ID_PATTERN.test(merchantId)) return false;
      const { rows } = await db.query<{ return_origins: string[] }>('SELECT return_origins FROM merchants WHERE id = $1', [merchantId]);
      const row = rows[0];
      return row !== undefined && isOriginIn(row.return_origins, url);
    },

    async tillAccount(merchantId, currency) {
      if (!isCurrencyCode(currency)) throw new ProblemError('currency_unknown');
      await requireMerchant(db, merchantId);
      const ledger = createLedger(db);
      return (
        (await ledger.findAccount('merchant_till', merchantId, currency)) ??
        (await ledger.openAccount({ type: 'merchant_till', ownerId: merchantId, currency }))
      );
    },
  };
  return service;
}
