import { CaisseError, type ErrorCode, isAllowedUrl, isCaisseError } from '@caisse/protocol';
import { findDuplicateMember } from '../jws/json.js';
import { importPublicJwks } from './import.js';
import type { KeySet, VerificationKey } from './types.js';

/**
 * Options of {@link remoteKeySet}. Durations are in milliseconds.
 * @example const options: RemoteKeySetOptions = { jwksUri: 'https://pay.example/jwks.json', timeout: 2_000, onRefreshError: (error) => log.warn(error.message) }
 */
export interface RemoteKeySetOptions {
  /** Where the payment server publishes its JWKS (the discovery document's `jwksUri`): https, or http on localhost. */
  jwksUri: string;
  /** Budget for one fetch, redirects and body included (default 5,000). */
  timeout?: number;
  /** Least time between two fetches triggered by an unknown `kid` or a failed refresh (default 30,000). */
  cooldown?: number;
  /** Age after which the cached keys are fetched again before use (default 600,000). */
  maxAge?: number;
  /** Largest JWKS body accepted, in bytes (default 65,536; 32 keys take about 8 KiB). */
  maxBytes?: number;
  /** The `fetch` to use (default the global one), e.g. one with a proxy agent. */
  fetch?: typeof globalThis.fetch;
  /** The clock for cache age and cooldown, in milliseconds since the epoch (default `Date.now`). Network timeouts use real time. */
  now?: () => number;
  /**
   * Told about every failed fetch, including those the set survives by serving its cached
   * keys, so an outage of the payment server's JWKS shows up in your logs before the cache
   * ages out.
   */
  onRefreshError?: (error: CaisseError) => void;
}

/**
 * A {@link KeySet} fetched from a JWKS URL and kept fresh.
 * @example const key = await keys.get(kid) // undefined: the payment server has no such key
 */
export interface RemoteKeySet extends KeySet {
  readonly jwksUri: string;
  /**
   * The key with this `kid`. Fetches when nothing is cached, when the cache is older than
   * `maxAge`, or when `kid` is unknown and the last fetch is older than `cooldown`.
   * Throws `keys_unavailable` when no keys could ever be fetched, or when `kid` is unknown
   * and the last fetch failed (whether it exists cannot be told); resolves `undefined`
   * for a `kid` the payment server's current JWKS does not hold.
   */
  get(kid: string): Promise<VerificationKey | undefined>;
  /** Fetches now, ignoring the cooldown (joining a fetch already under way), and throws if that fails: call it at start-up to fail fast. */
  refresh(): Promise<void>;
}

/**
 * Shared by the JWKS and discovery fetches: what a failed fetch is called and which code bad content gets.
 * @example const options: FetchJsonOptions = { timeout: 5_000, maxBytes: 65_536, what: 'The JWKS at https://pay.example/jwks.json', invalid: 'keys_invalid' }
 */
export interface FetchJsonOptions {
  timeout: number;
  maxBytes: number;
  fetch?: typeof globalThis.fetch;
  /** Names the document in error messages, e.g. "The JWKS at https://…". */
  what: string;
  /** Code for a body that arrived but is not usable JSON. */
  invalid: ErrorCode;
}

/**
 * Defaults of {@link RemoteKeySetOptions}, shared with the discovery fetch.
 * @example remoteKeySet({ jwksUri, cooldown: REMOTE_DEFAULTS.cooldown * 2 })
 */
export const REMOTE_DEFAULTS = { timeout: 5_000, cooldown: 30_000, maxAge: 600_000, maxBytes: 65_536 } as const;
const MAX_REDIRECTS = 3;

function assertDuration(name: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`remoteKeySet: ${name} must be a finite number of milliseconds of at least ${min}.`);
  }
}

function unavailable(what: string, reason: string, cause?: unknown): CaisseError {
  return new CaisseError('keys_unavailable', `${what} could not be fetched: ${reason}.`, cause === undefined ? undefined : { cause });
}

/** Reads at most `maxBytes` of the body, counting decoded bytes so a compressed bomb is cut off as early as a plain one. */
async function readBounded(response: Response, options: FetchJsonOptions, signal: AbortSignal): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > options.maxBytes) {
    await response.body?.cancel();
    throw unavailable(options.what, `the response declares ${declared} bytes; at most ${options.maxBytes} are accepted`);
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  // fetch settles at the headers; a server trickling its body is cut off here, by the same deadline.
  const onAbort = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (signal.aborted) throw unavailable(options.what, `no complete response within ${options.timeout} ms`);
      if (done) break;
      size += value.byteLength;
      if (size > options.maxBytes) {
        await reader.cancel();
        throw unavailable(options.what, `the response is larger than ${options.maxBytes} bytes`);
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function parseJson(bytes: Uint8Array, options: FetchJsonOptions): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new CaisseError(options.invalid, `${options.what} is not valid UTF-8.`, { cause });
  }
  // JSON.parse keeps the last of two same-named members; a key set must mean one thing to every parser.
  const duplicate = findDuplicateMember(text);
  if (duplicate !== undefined) throw new CaisseError(options.invalid, `${options.what} repeats the member "${duplicate.slice(0, 32)}".`);
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new CaisseError(options.invalid, `${options.what} is not JSON.`, { cause });
  }
}

/**
 * GETs a small JSON document with `fetch`: one deadline for the whole exchange, no retries
 * (the caller's cooldown decides when to try again), redirects followed only within the
 * original origin, and the body bounded. Transport failures throw `keys_unavailable`;
 * a body that is not JSON throws `options.invalid`.
 * @example const jwks = await fetchJson('https://pay.example/jwks.json', { timeout: 5000, maxBytes: 65536, what: 'The JWKS', invalid: 'keys_invalid' })
 */
export async function fetchJson(url: string, options: FetchJsonOptions): Promise<unknown> {
  const origin = new URL(url).origin;
  const deadline = AbortSignal.timeout(options.timeout);
  let current = url;
  try {
    for (let hop = 0; ; hop++) {
      const response = await (options.fetch ?? globalThis.fetch)(current, {
        signal: deadline,
        // Followed by hand: fetch would follow a redirect to any origin, and the keys must come from the one configured.
        redirect: 'manual',
        credentials: 'omit',
        headers: { accept: 'application/json' },
      });
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel();
        const location = response.headers.get('location');
        if (location === null) throw unavailable(options.what, `HTTP ${response.status} without a Location`);
        const next = new URL(location, current);
        if (next.origin !== origin)
          throw unavailable(options.what, `it redirects to another origin (${next.origin}), which is not followed`);
        if (hop >= MAX_REDIRECTS) throw unavailable(options.what, `more than ${MAX_REDIRECTS} redirects`);
        current = next.href;
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw unavailable(options.what, `HTTP ${response.status}`);
      }
      return parseJson(await readBounded(response, options, deadline), options);
    }
  } catch (error) {
    if (isCaisseError(error)) throw error;
    const name = (error as { name?: unknown } | null)?.name;
    // Compared by name, so an abort from another realm (or a `fetch` of the caller's) is recognised too.
    if (deadline.aborted || name === 'TimeoutError' || name === 'AbortError') {
      throw unavailable(options.what, `no response within ${options.timeout} ms`, error);
    }
    throw unavailable(options.what, 'the server could not be reached', error);
  }
}

/**
 * The payment server's keys, fetched from its JWKS and cached. A token never brings or
 * points to its key: only its `kid` is looked up here, in keys fetched from the URL you
 * configured.
 *
 * Refreshes when the cache is older than `maxAge`, and at most once per `cooldown` when
 * a token names an unknown `kid` (the payment server rotated its key) — so a stream of
 * forged `kid`s cannot make it hammer the payment server. Concurrent lookups share one
 * fetch. When a refresh fails, the cached keys keep being served.
 *
 * @example
 * const keys = remoteKeySet({ jwksUri: 'https://pay.example/.well-known/jwks.json' })
 * await keys.refresh() // optional: fail at start-up rather than on the first voucher
 * const voucher = await verifyVoucher(token, { issuer: 'https://pay.example', keys, replayStore, audience: 'shop-1', ticket })
 */
export function remoteKeySet(options: RemoteKeySetOptions): RemoteKeySet {
  const {
    jwksUri,
    timeout = REMOTE_DEFAULTS.timeout,
    cooldown = REMOTE_DEFAULTS.cooldown,
    maxAge = REMOTE_DEFAULTS.maxAge,
    maxBytes = REMOTE_DEFAULTS.maxBytes,
  } = options;
  if (typeof jwksUri !== 'string' || !isAllowedUrl(jwksUri)) {
    throw new TypeError('remoteKeySet: jwksUri must be an absolute https URL without credentials (http only for localhost).');
  }
  assertDuration('timeout', timeout, 1);
  assertDuration('cooldown', cooldown, 0);
  assertDuration('maxAge', maxAge, 0);
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new TypeError('remoteKeySet: maxBytes must be a positive integer.');
  const now = options.now ?? Date.now;
  const fetchOptions: FetchJsonOptions = {
    timeout,
    maxBytes,
    fetch: options.fetch,
    what: `The JWKS at ${jwksUri}`,
    invalid: 'keys_invalid',
  };

  let keys: Map<string, VerificationKey> | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let lastError: CaisseError | undefined;
  let pending: Promise<void> | undefined;

  async function fetchKeys(): Promise<void> {
    try {
      keys = importPublicJwks(await fetchJson(jwksUri, fetchOptions));
      fetchedAt = now();
      lastError = undefined;
    } catch (error) {
      lastError = isCaisseError(error) ? error : unavailable(fetchOptions.what, 'unexpected failure', error);
      try {
        options.onRefreshError?.(lastError);
      } catch {
        // A failing logger must not turn a served-from-cache lookup into a failure.
      }
      throw lastError;
    }
  }

  function load(): Promise<void> {
    if (pending !== undefined) return pending;
    attemptedAt = now();
    const attempt = fetchKeys();
    pending = attempt;
    // Registered before any lookup awaits `attempt`, so it runs first: a lookup resuming after it sees no fetch under way.
    attempt.then(
      () => {
        pending = undefined;
      },
      () => {
        pending = undefined;
      },
    );
    return attempt;
  }

  function shouldFetch(kid: string): boolean {
    // With nothing cached there is nothing to serve: every lookup may try, one at a time.
    if (keys === undefined) return true;
    const at = now();
    if (at - attemptedAt < cooldown) return false;
    return at - fetchedAt >= maxAge || !keys.has(kid);
  }

  return {
    jwksUri,
    async get(kid) {
      // A fresh, known key never waits, not even behind a refresh another lookup started.
      const cached = keys?.get(kid);
      if (cached !== undefined && now() - fetchedAt < maxAge) return cached;
      if (pending === undefined && shouldFetch(kid)) void load().catch(() => undefined);
      if (pending !== undefined) await pending.catch(() => undefined);
      if (keys === undefined) {
        // A fresh error per lookup, so each caller's stack shows where it asked; the fetch failure is the cause.
        throw new CaisseError(lastError?.code ?? 'keys_unavailable', lastError?.message ?? `${fetchOptions.what} has not been fetched.`, {
          cause: lastError,
          issues: lastError?.issues,
        });
      }
      const key = keys.get(kid);
      if (key === undefined && lastError !== undefined) {
        // Not key_unknown: the payment server may well have this key; we just cannot reach its current JWKS.
        throw new CaisseError('keys_unavailable', `Key "${kid}" is not cached and the last fetch of the JWKS at ${jwksUri} failed.`, {
          cause: lastError,
        });
      }
      return key;
    },
    refresh: () => load(),
  };
}
