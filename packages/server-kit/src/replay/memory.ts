import { CaisseError } from '@caisse/protocol';
import { assertKey, assertTime, clockReading } from './arguments.js';
import { ExpiryHeap } from './expiry-heap.js';
import type { ReplayStore } from './store.js';

/** Options of {@link memoryReplayStore}. */
export interface MemoryReplayStoreOptions {
  /**
   * Most live records held at once (default 100,000). When the store is full of
   * unexpired records it refuses new keys with `replay_store_full`: dropping a live
   * record would let that token be replayed.
   */
  maxEntries?: number;
  /** The clock, in milliseconds since the epoch (default `Date.now`); the verifier's clock, so both agree on expiry. */
  now?: () => number;
}

/**
 * A replay store held in this process's memory.
 *
 * **Single process only.** Records live in one `Map`: a second process, a second server
 * instance or a restart sees none of them, so a token could be used once per instance.
 * Use {@link postgresReplayStore} or {@link redisReplayStore} as soon as more than one
 * process verifies tokens.
 *
 * Expired records are dropped in expiry order from a binary heap at each claim, so the
 * cost per claim is O(log n) amortised whether or not the store is full.
 *
 * @example
 * ```ts
 * import { memoryReplayStore } from '@caisse/server-kit';
 *
 * const replay = memoryReplayStore({ maxEntries: 10_000 });
 * await replay.claim('voucher:R-2024-000123', Date.now() + 60_000); // true
 * await replay.claim('voucher:R-2024-000123', Date.now() + 60_000); // false: replayed
 * ```
 */
export function memoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore {
  const { maxEntries = 100_000, now = Date.now } = options;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError('memoryReplayStore: maxEntries must be a positive integer');
  }

  const records = new Map<string, number>();
  const expiries = new ExpiryHeap();

  function dropExpired(at: number): void {
    for (let next = expiries.peek(); next !== undefined && next.expiresAt <= at; next = expiries.peek()) {
      expiries.pop();
      if (records.get(next.key) === next.expiresAt) records.delete(next.key);
    }
    // Releases and re-claims leave stale heap entries behind; rebuilding once they
    // outnumber the live ones keeps memory bounded at O(1) amortised cost per claim.
    if (expiries.size > 2 * records.size + 1024) {
      expiries.rebuild(Array.from(records, ([key, expiresAt]) => ({ key, expiresAt })));
    }
  }

  return {
    async claim(key, expiresAt, callerNow) {
      assertKey(key);
      assertTime(expiresAt, 'expiresAt');
      const at = clockReading(callerNow, now);
      dropExpired(at);
      const existing = records.get(key);
      if (existing !== undefined && existing > at) return false;
      if (existing === undefined && records.size >= maxEntries) {
        throw new CaisseError(
          'replay_store_full',
          `The in-memory replay store holds ${maxEntries} unexpired records and refuses new ones rather than forget one; raise maxEntries or use a shared store.`,
        );
      }
      records.set(key, expiresAt);
      expiries.push({ key, expiresAt });
      return true;
    },
    async release(key) {
      assertKey(key);
      records.delete(key);
    },
  };
}
