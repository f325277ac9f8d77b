import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../storage/database.js';
import { openTestDatabase, type TestDatabase } from '../storage/test-support.js';
import { createConfirmations } from './confirmations.js';
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
    const seen = { pings: 0, ended: false };
    const value: StreamSubscriber = {
      customerId,
      deviceId,
      request() {},
      closed() {},
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
    const streams = createDeviceStreams({ db, confirmations: createConfirmations(), keepAliveMs: 20 });
    const subscribers = Array.from({ length: 1_000 }, (_, index) => subscriber(`c${index % 10}`, `d${index}`));
    const stops = await Promise.all(subscribers.map((each) => streams.subscribe(each.value)));
    expect(streams.size()).toBe(1_000);
    await new Promise((resolve) => setTimeout(resolve, 70));
    expect(subscribers.every((each) => each.seen.pings >= 2)).toBe(true);
    stops[0]?.();
    stops[0]?.();
    expect(streams.size()).toBe(999);
    await streams.close();
    expect(subscribers.slice(1).every((each) => each.seen.ended)).toBe(true);
  });
});
