import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../storage/database.js';
import { openDatabase } from '../storage/open.js';
import { openTestDatabase, type TestDatabase, testDrivers } from '../storage/test-support.js';
import { notifiedMerchant, paymentAuthorised } from './__fixtures__/world.js';
import type { NotificationDispatcher } from './dispatcher.js';

const hasPostgres = (await testDrivers('notification dispatchers side by side')).includes('postgres');

describe.runIf(hasPostgres)('two dispatchers on one PostgreSQL', () => {
  let handle: TestDatabase;
  let other: Database;
  let world: Awaited<ReturnType<typeof notifiedMerchant>>;

  beforeAll(async () => {
    handle = await openTestDatabase('postgres', 'notification_concurrency');
    // A second instance: its own pool on the same database.
    other = await openDatabase({ url: handle.url as string, migrate: false });
    world = await notifiedMerchant(handle.db);
  });
  afterAll(async () => {
    await world?.close();
    await other?.close();
    await handle?.close();
  });

  /** Passes of a few rows each until nothing is due, so the two dispatchers interleave their claims. */
  async function drain(dispatcher: NotificationDispatcher): Promise<number> {
    let claimed = 0;
    for (;;) {
      const report = await dispatcher.runOnce({ limit: 3 });
      if (report.claimed === 0) return claimed;
      claimed += report.claimed;
    }
  }

  it('sends each notification once when both run at the same time', async () => {
    const first = world.dispatcher();
    const second = world.dispatcher({ db: other });
    for (let round = 0; round < 3; round++) {
      const queued = await Promise.all(Array.from({ length: 30 }, (_, index) => world.enqueue(paymentAuthorised(round * 100 + index))));
      const [a, b] = await Promise.all([drain(first), drain(second)]);
      expect(a + b).toBe(queued.length);
      for (const { id } of queued) {
        expect(world.receiver.requests.filter((request) => request.jti === id)).toHaveLength(1);
        expect((await world.row(id)).status).toBe('delivered');
      }
    }
    expect(world.receiver.processed).toHaveLength(90);
    expect(new Set(world.receiver.processed.map((event) => event.jti)).size).toBe(90);
  });
});
