import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, notify } from './database.js';
import { LISTENER_APPLICATION_NAME } from './pg-listener.js';
import { openPostgres } from './postgres.js';
import { openTestDatabase, rolledBack, type TestDatabase, testDrivers } from './test-support.js';

const drivers = await testDrivers('payment-server storage');

/** Collects payloads; `next()` resolves with the next one, or rejects after `ms`. */
function inbox() {
  const received: string[] = [];
  const waiting: Array<(payload: string) => void> = [];
  return {
    received,
    push(payload: string) {
      received.push(payload);
      waiting.shift()?.(payload);
    },
    next(ms = 5_000): Promise<string> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no notification')), ms);
        waiting.push((payload) => {
          clearTimeout(timer);
          resolve(payload);
        });
      });
    },
  };
}

describe.each(drivers)('listen and notify on %s', (driver) => {
  let handle: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    handle = await openTestDatabase(driver, 'storage_listen');
    db = handle.db;
  });
  afterAll(() => handle.close());

  it('delivers a notify sent in a committed transaction, at commit', async () => {
    const box = inbox();
    const stop = await db.listen('test_committed', box.push);
    const arrived = box.next();
    await db.transaction(async (tx) => {
      await notify(tx, 'test_committed', 'hello');
      await tx.query('SELECT 1');
      expect(box.received).toEqual([]); // not before the commit
    });
    expect(await arrived).toBe('hello');
    await stop();
  });

  it('never delivers a notify sent in a transaction that rolled back', async () => {
    const box = inbox();
    const stop = await db.listen('test_rolled_back', box.push);
    await rolledBack(db, (tx) => notify(tx, 'test_rolled_back', 'never'));
    const arrived = box.next();
    await notify(db, 'test_rolled_back', 'after'); // a later one still arrives: the first was dropped, not delayed
    expect(await arrived).toBe('after');
    expect(box.received).toEqual(['after']);
    await stop();
  });

  it('calls every listener of a channel, and no more once stopped', async () => {
    const first = inbox();
    const second = inbox();
    const stopFirst = await db.listen('test_fan_out', first.push);
    const stopSecond = await db.listen('test_fan_out', second.push);
    const both = Promise.all([first.next(), second.next()]);
    await notify(db, 'test_fan_out', 'one');
    expect(await both).toEqual(['one', 'one']);
    await stopFirst();
    const secondOnly = second.next();
    await notify(db, 'test_fan_out', 'two');
    // One notification reaches every listener of its channel in one go: had the first still listened, it would have 'two' by now.
    expect(await secondOnly).toBe('two');
    expect(first.received).toEqual(['one']);
    await stopSecond();
    await stopSecond(); // stopping twice is harmless
  });

  it('keeps channels apart', async () => {
    const box = inbox();
    const stop = await db.listen('test_channel_a', box.push);
    const arrived = box.next();
    await notify(db, 'test_channel_b', 'other');
    await notify(db, 'test_channel_a', 'mine');
    expect(await arrived).toBe('mine');
    expect(box.received).toEqual(['mine']);
    await stop();
  });

  it('refuses channel names that PostgreSQL would fold or quote', async () => {
    await expect(db.listen('Mixed', () => {})).rejects.toThrow(/lower-case/);
    await expect(notify(db, 'a"b', 'x')).rejects.toThrow(/lower-case/);
  });
});

describe.runIf(drivers.includes('postgres'))('listen on postgres, across connections', () => {
  let handle: TestDatabase;

  beforeAll(async () => {
    handle = await openTestDatabase('postgres', 'storage_listen_pg');
  });
  afterAll(() => handle.close());

  it('hears a notify from another instance (another pool)', async () => {
    const second = openPostgres({ url: handle.url as string, poolSize: 1 });
    const box = inbox();
    const stop = await handle.db.listen('test_instances', box.push);
    const arrived = box.next();
    await second.transaction((tx) => notify(tx, 'test_instances', 'from afar'));
    expect(await arrived).toBe('from afar');
    await stop();
    await second.close();
  });

  it('uses one connection for every listener, listens again after it drops, and tells each listener to re-read', async () => {
    const box = inbox();
    let resumed = 0;
    let onResumed: () => void = () => {};
    const listening = new Promise<void>((resolve) => {
      onResumed = resolve;
    });
    const stops = await Promise.all([
      handle.db.listen('test_reconnect', box.push, {
        onResume: () => {
          resumed++;
          onResumed();
        },
      }),
      handle.db.listen('test_reconnect_other', () => {}),
      handle.db.listen('test_reconnect_other', () => {}),
    ]);
    const listeners = async () =>
      (
        await handle.db.query<{ pid: number }>(
          'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
          [LISTENER_APPLICATION_NAME],
        )
      ).rows;
    const before = await listeners();
    expect(before).toHaveLength(1);
    await handle.db.query('SELECT pg_terminate_backend($1)', [before[0]?.pid]);
    // onResume comes once every channel is listened to again: from then on nothing is missed.
    await listening;
    const arrived = box.next();
    await notify(handle.db, 'test_reconnect', 'again');
    expect(await arrived).toBe('again');
    expect(resumed).toBe(1);
    const after = await listeners();
    expect(after).toHaveLength(1);
    expect(after[0]?.pid).not.toBe(before[0]?.pid);
    for (const stop of stops) await stop();
  });
});
