import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { Database } from '../storage/database.js';
import { openTestDatabase, type TestDatabase } from '../storage/test-support.js';
import { type ConfirmationService, createConfirmations, type PendingRequest } from './confirmations.js';
import { createDeviceStreams, type StreamSubscriber } from './streams.js';

describe('the device streams of one process', () => {
  let handle: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    handle = await openTestDatabase('pglite', 'device_streams');
    db = handle.db;
  });
  afterAll(() => handle.close());

  function subscriber(customerId: string, deviceId: string) {
    const seen = { pings: 0, ended: false, requests: [] as string[] };
    const value: StreamSubscriber = {
      customerId,
      deviceId,
      request: (pending) => {
        seen.requests.push(pending.request.id);
      },
      closed() {},
      allowances() {},
      outcome() {},
      end: () => {
        seen.ended = true;
      },
      ping: () => {
        seen.pings++;
      },
    };
    return { value, seen };
  }

  it('sends every stream a keep-alive from one timer, and ends them all on close', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const streams = createDeviceStreams({ db, confirmations: createConfirmations(), keepAliveMs: 20 });
    const subscribers = Array.from({ length: 1_000 }, (_, index) => subscriber(`c${index % 10}`, `d${index}`));
    const stops = await Promise.all(subscribers.map((each) => streams.subscribe(each.value)));
    expect(streams.size()).toBe(1_000);
    vi.advanceTimersByTime(40);
    expect(subscribers.every((each) => each.seen.pings === 2)).toBe(true);
    stops[0]?.();
    stops[0]?.();
    expect(streams.size()).toBe(999);
    await streams.close();
    expect(subscribers.slice(1).every((each) => each.seen.ended)).toBe(true);
  });

  it('reads the open requests of every connected customer again when LISTEN comes back after a drop', async () => {
    // What the database holds: one open request of c1, created while the connection was down.
    const open = { seq: 7n, request: { id: 'cfr_created_while_listen_was_down' } } as unknown as PendingRequest;
    const asked: string[] = [];
    const confirmations: Pick<ConfirmationService, 'bySeq' | 'pending'> = {
      bySeq: async () => undefined,
      pending: async (_executor, customerId) => {
        asked.push(customerId);
        return customerId === 'c1' ? [open] : [];
      },
    };
    let resume: (() => void) | undefined;
    const dropped: Database = {
      ...db,
      listen: async (_channel, _onPayload, options) => {
        resume = options?.onResume;
        return async () => {};
      },
    };
    const streams = createDeviceStreams({ db: dropped, confirmations });
    const phones = [subscriber('c1', 'd1'), subscriber('c1', 'd2'), subscriber('c2', 'd3')];
    for (const phone of phones) await streams.subscribe(phone.value);
    resume?.();
    await vi.waitFor(() => expect(asked.sort()).toEqual(['c1', 'c2']));
    await vi.waitFor(() => expect(phones.map((phone) => phone.seen.requests)).toEqual([[open.request.id], [open.request.id], []]));
    await streams.close();
  });
});
