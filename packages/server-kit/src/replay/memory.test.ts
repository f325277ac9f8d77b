import { describe, expect, it } from 'vitest';
import { manualClock } from './__fixtures__/clock.js';
import { AWKWARD_KEYS } from './__fixtures__/keys.js';
import { memoryReplayStore } from './memory.js';

describe('memoryReplayStore', () => {
  it('accepts a key the first time and refuses it the second', async () => {
    const clock = manualClock();
    const store = memoryReplayStore({ now: clock.now });
    await expect(store.claim('voucher:R1', clock.now() + 60_000)).resolves.toBe(true);
    await expect(store.claim('voucher:R1', clock.now() + 60_000)).resolves.toBe(false);
    await expect(store.claim('voucher:R2', clock.now() + 60_000)).resolves.toBe(true);
  });

  it('refuses the key until the instant it expires, then accepts it again', async () => {
    const clock = manualClock();
    const store = memoryReplayStore({ now: clock.now });
    const expiresAt = clock.now() + 60_000;
    await store.claim('voucher:R1', expiresAt);
    clock.set(expiresAt - 1);
    await expect(store.claim('voucher:R1', expiresAt + 60_000)).resolves.toBe(false);
    clock.set(expiresAt);
    await expect(store.claim('voucher:R1', expiresAt + 60_000)).resolves.toBe(true);
    await expect(store.claim('voucher:R1', expiresAt + 60_000)).resolves.toBe(false);
  });

  it('a later claim does not extend the record it was refused by', async () => {
    const clock = manualClock();
    const store = memoryReplayStore({ now: clock.now });
    await store.claim('k', clock.now() + 1_000);
    await expect(store.claim('k', clock.now() + 1_000_000)).resolves.toBe(false);
    clock.advance(1_000);
    await expect(store.claim('k', clock.now() + 1_000)).resolves.toBe(true);
  });

  it('accepts a released key again', async () => {
    const clock = manualClock();
    const store = memoryReplayStore({ now: clock.now });
    await store.claim('notification:N1', clock.now() + 60_000);
    await store.release('notification:N1');
    await expect(store.claim('notification:N1', clock.now() + 60_000)).resolves.toBe(true);
    await expect(store.claim('notification:N1', clock.now() + 60_000)).resolves.toBe(false);
    await expect(store.release('never-claimed')).resolves.toBeUndefined();
  });

  it('keeps keys with quotes, line breaks and Unicode apart, each exactly once', async () => {
    const clock = manualClock();
    const store = memoryReplayStore({ now: clock.now });
    for (const key of AWKWARD_KEYS) await expect(store.claim(key, clock.now() + 60_000), key).resolves.toBe(true);
    for (const key of AWKWARD_KEYS) await expect(store.claim(key, clock.now() + 60_000), key).resolves.toBe(false);
  });

  it('refuses keys and times no store can record faithfully, as programming errors', async () => {
    const store = memoryReplayStore();
    const later = Date.now() + 60_000;
    for (const key of ['', 'a'.repeat(513), 'nul\u0000byte', 'lone\uD800surrogate', 'lone\uDC00surrogate']) {
      await expect(store.claim(key, later)).rejects.toThrow(TypeError);
    }
    await expect(store.claim(42 as unknown as string, later)).rejects.toThrow(TypeError);
    for (const expiresAt of [Number.NaN, Number.POSITIVE_INFINITY, 9e15]) {
      await expect(store.claim('k', expiresAt)).rejects.toThrow(TypeError);
    }
    await expect(store.claim('\u{1F9FE}', later)).resolves.toBe(true);
  });

  it('gives exactly one of 200 concurrent claims of one key', async () => {
    const store = memoryReplayStore();
    const expiresAt = Date.now() + 60_000;
    const results = await Promise.all(Array.from({ length: 200 }, () => store.claim('voucher:R1', expiresAt)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  describe('when full', () => {
    it('refuses a new key with replay_store_full rather than forget a live one', async () => {
      const clock = manualClock();
      const store = memoryReplayStore({ maxEntries: 3, now: clock.now });
      for (const key of ['a', 'b', 'c']) await store.claim(key, clock.now() + 60_000);
      await expect(store.claim('d', clock.now() + 60_000)).rejects.toMatchObject({ name: 'CaisseError', code: 'replay_store_full' });
      for (const key of ['a', 'b', 'c']) await expect(store.claim(key, clock.now() + 60_000), key).resolves.toBe(false);
    });

    it('makes room by dropping expired records', async () => {
      const clock = manualClock();
      const store = memoryReplayStore({ maxEntries: 3, now: clock.now });
      await store.claim('short', clock.now() + 1_000);
      await store.claim('long-1', clock.now() + 60_000);
      await store.claim('long-2', clock.now() + 60_000);
      await expect(store.claim('new', clock.now() + 60_000)).rejects.toMatchObject({ code: 'replay_store_full' });
      clock.advance(1_000);
      await expect(store.claim('new', clock.now() + 60_000)).resolves.toBe(true);
      await expect(store.claim('long-1', clock.now() + 60_000)).resolves.toBe(false);
      await expect(store.claim('other', clock.now() + 60_000)).rejects.toMatchObject({ code: 'replay_store_full' });
    });

    it('makes room when a key is released', async () => {
      const clock = manualClock();
      const store = memoryReplayStore({ maxEntries: 2, now: clock.now });
      await store.claim('a', clock.now() + 60_000);
      await store.claim('b', clock.now() + 60_000);
      await store.release('a');
      await expect(store.claim('c', clock.now() + 60_000)).resolves.toBe(true);
      await expect(store.claim('b', clock.now() + 60_000)).resolves.toBe(false);
    });

    it('keeps its bound through many release and claim cycles of one key', async () => {
      const clock = manualClock();
      const store = memoryReplayStore({ maxEntries: 1, now: clock.now });
      for (let round = 0; round < 10_000; round++) {
        await expect(store.claim('k', clock.now() + round + 1)).resolves.toBe(true);
        await store.release('k');
      }
      await store.claim('k', clock.now() + 60_000);
      await expect(store.claim('other', clock.now() + 60_000)).rejects.toMatchObject({ code: 'replay_store_full' });
    });

    it('frees one slot at a time without scanning every record on each claim', async () => {
      // Records expire one by one while the store stays full: a store that scanned all
      // 50,000 records per claim would do 2.5 billion steps here and time out.
      const size = 50_000;
      const clock = manualClock(0);
      const store = memoryReplayStore({ maxEntries: size, now: clock.now });
      for (let index = 0; index < size; index++) await store.claim(`old:${index}`, index + 1);
      let accepted = 0;
      for (let index = 0; index < size; index++) {
        clock.set(index + 1);
        if (await store.claim(`new:${index}`, size + index + 1)) accepted++;
      }
      expect(accepted).toBe(size);
      await expect(store.claim('one-more', 10 * size)).rejects.toMatchObject({ code: 'replay_store_full' });
    }, 5_000);
  });

  it('rejects a maxEntries that is not a positive integer', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN]) expect(() => memoryReplayStore({ maxEntries })).toThrow(TypeError);
  });
});
