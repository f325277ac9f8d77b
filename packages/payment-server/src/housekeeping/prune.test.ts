import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createAttemptThrottle } from '../http/attempt-throttle.js';
import type { Database } from '../storage/database.js';
import { openTestDatabase, type TestDatabase, testDrivers } from '../storage/test-support.js';
import { DAY, MINUTE, rowMaker, stillThere } from './__fixtures__/rows.js';
import { PRUNED_TABLES, type PrunedTable, pruneExpired } from './prune.js';
import { configuredRetention } from './retention.js';

const drivers = await testDrivers('housekeeping');
/** The moment every run here prunes at; rows are made before it, on the same frozen clock. */
const P = new Date('2026-06-01T12:00:00Z');
const ago = (ms: number) => new Date(P.getTime() - ms);
const SECOND = 1_000;

const none = Object.fromEntries(PRUNED_TABLES.map((table) => [table, 0])) as Record<PrunedTable, number>;
const counts = (some: Partial<Record<PrunedTable, number>>) => ({ ...none, ...some });

/**
 * What housekeeping deletes and what it keeps, against a real database on each driver,
 * each test on a database of its own: every kind of dead row is deleted just past its
 * retention and kept just within it, with exact counts per table; nothing a payment
 * names is ever deleted, however old; batches, runs cut short and picked up again,
 * instances pruning at once, dry runs.
 */
describe.each(drivers)('pruning on %s', (driver) => {
  let handle: TestDatabase;
  let db: Database;
  let rows: ReturnType<typeof rowMaker>;

  beforeEach(async () => {
    handle = await openTestDatabase(driver, 'housekeeping', { poolSize: 8 });
    db = handle.db;
    rows = rowMaker(db);
  });
  afterEach(() => handle?.close());

  it('deletes each kind of dead row once past its retention, keeps it just within, and counts per table', async () => {
    const shop = await rows.merchant();
    const alice = await rows.customer();
    // Replay entries: at their expiry.
    const assertions = [await rows.assertion(shop, ago(SECOND)), await rows.assertion(shop, ago(-SECOND))];
    const keys = [await rows.idempotencyKey(shop, ago(DAY + SECOND)), await rows.idempotencyKey(shop, ago(DAY - SECOND))];
    // Refusals: 30 days after they were last seen; the tickets they spent, once intake refuses them as expired (exp + 30 s).
    const refusals = [await rows.refusal(shop, ago(30 * DAY + SECOND)), await rows.refusal(shop, ago(30 * DAY - SECOND))];
    const spent = [await rows.spentTicket(shop, ago(31 * SECOND)), await rows.spentTicket(shop, ago(29 * SECOND))];
    // Unpaid checkouts: 7 days after they ended and their ticket expired (+ 30 s).
    const cancelled = await rows.checkout(shop, {
      openedAt: ago(7 * DAY + 20 * MINUTE),
      ticketExp: ago(7 * DAY + 5 * MINUTE),
      end: 'cancelled',
      endedAt: ago(7 * DAY + 10 * MINUTE),
      request: 'expired',
    });
    const abandoned = await rows.checkout(shop, { openedAt: ago(8 * DAY), ticketExp: ago(8 * DAY - 15 * MINUTE), end: 'identifying' });
    const recent = await rows.checkout(shop, { openedAt: ago(7 * DAY - MINUTE), ticketExp: ago(7 * DAY - 50 * SECOND), end: 'refused' });
    const ticketNotOldEnough = await rows.checkout(shop, {
      openedAt: ago(9 * DAY),
      ticketExp: ago(7 * DAY + 29 * SECOND),
      end: 'cancelled',
    });
    // Notifications: delivered 30 days, parked 90 days; pending never.
    const notifications = [
      await rows.notification(shop, 'delivered', ago(30 * DAY + 2 * MINUTE), ago(30 * DAY + MINUTE)),
      await rows.notification(shop, 'delivered', ago(30 * DAY + 2 * MINUTE), ago(30 * DAY - MINUTE)),
      await rows.notification(shop, 'parked', ago(93 * DAY), ago(90 * DAY + MINUTE)),
      await rows.notification(shop, 'parked', ago(93 * DAY), ago(90 * DAY - MINUTE)),
      await rows.notification(shop, 'pending', ago(400 * DAY)),
    ];
    // Enrollment codes: a day after they expired.
    const codes = [await rows.enrollmentCode(alice, ago(DAY + MINUTE)), await rows.enrollmentCode(alice, ago(DAY - MINUTE))];
    // Limit buckets: once full again (one attempt of one, back 10 minutes after it was taken).
    const [full, refilling] = ['198.51.100.1', '198.51.100.2'];
    const takeAttempt = (client: string, at: Date) =>
      createAttemptThrottle({ db, name: 'identify', limit: 1, now: () => at.getTime() }).failed(client);
    await takeAttempt(full, ago(10 * MINUTE + SECOND));
    await takeAttempt(refilling, ago(10 * MINUTE - SECOND));

    const report = await pruneExpired(db, { now: P });

    expect(report).toEqual({
      deleted: counts({
        api_assertions: 1,
        api_idempotency_keys: 1,
        ticket_refusals: 1,
        tickets: 3,
        checkout_sessions: 2,
        confirmation_requests: 1,
        notifications: 2,
        enrollment_codes: 1,
        limit_buckets: 1,
      }),
      total: 13,
      complete: true,
    });
    expect(await stillThere(db, 'api_assertions', 'jti', assertions)).toEqual([false, true]);
    expect(await stillThere(db, 'api_idempotency_keys', 'key', keys)).toEqual([false, true]);
    expect(await stillThere(db, 'ticket_refusals', 'id', refusals)).toEqual([false, true]);
    expect(await stillThere(db, 'tickets', 'jti', spent)).toEqual([false, true]);
    const checkouts = [cancelled, abandoned, recent, ticketNotOldEnough];
    expect(
      await stillThere(
        db,
        'checkout_sessions',
        'id',
        checkouts.map((one) => one.sessionId),
      ),
    ).toEqual([false, false, true, true]);
    expect(
      await stillThere(
        db,
        'tickets',
        'jti',
        checkouts.map((one) => one.jti),
      ),
    ).toEqual([false, false, true, true]);
    expect((await db.query('SELECT 1 FROM confirmation_requests')).rows).toEqual([]);
    expect(await stillThere(db, 'notifications', 'id', notifications)).toEqual([false, true, false, true, true]);
    expect(await stillThere(db, 'enrollment_codes', 'code_sha256', codes)).toEqual([false, true]);
    expect(await stillThere(db, 'limit_buckets', 'client', [full, refilling])).toEqual([false, true]);

    // A second run finds nothing more.
    expect(await pruneExpired(db, { now: P })).toEqual({ deleted: none, total: 0, complete: true });
  });

  it('never deletes a paid checkout, its ticket, payment or confirmation, nor money in flight, however old', async () => {
    const shop = await rows.merchant();
    const longAgo = ago(10 * 365 * DAY);
    const ticketExp = new Date(longAgo.getTime() + 15 * MINUTE);
    const paid = await rows.checkout(shop, { openedAt: longAgo, ticketExp, end: 'paid', request: 'approved' });
    // A payment names the ticket although its session says refused: the payment wins.
    const named = await rows.checkout(shop, { openedAt: longAgo, ticketExp, end: 'refused', payment: true });
    const inFlight = [
      await rows.checkout(shop, { openedAt: longAgo, ticketExp, end: 'confirming', request: 'approved' }),
      await rows.checkout(shop, { openedAt: longAgo, ticketExp, end: 'authorising' }),
      await rows.checkout(shop, { openedAt: longAgo, ticketExp, end: 'pending_bank' }),
    ];

    const report = await pruneExpired(db, { now: P, retention: { unpaidCheckouts: 1 } });

    expect(report.deleted).toEqual(none);
    const kept = [paid, named, ...inFlight];
    expect(
      await stillThere(
        db,
        'checkout_sessions',
        'id',
        kept.map((one) => one.sessionId),
      ),
    ).toEqual(kept.map(() => true));
    expect(
      await stillThere(
        db,
        'tickets',
        'jti',
        kept.map((one) => one.jti),
      ),
    ).toEqual(kept.map(() => true));
    expect(await stillThere(db, 'payments', 'ticket_jti', [paid.jti, named.jti])).toEqual([true, true]);
    const { rows: requests } = await db.query<{ state: string }>('SELECT state FROM confirmation_requests ORDER BY state');
    expect(requests.map((request) => request.state)).toEqual(['approved', 'approved']);
  });

  it('deletes in batches: more than one when needed, at most maxBatches a run, the next run going on', async () => {
    const shop = await rows.merchant();
    for (let i = 0; i < 7; i++) await rows.assertion(shop, ago(MINUTE));
    for (let i = 0; i < 5; i++) await rows.checkout(shop, { openedAt: ago(30 * DAY), ticketExp: ago(29 * DAY), end: 'cancelled' });

    const first = await pruneExpired(db, { now: P, batchSize: 3, maxBatches: 1 });
    expect(first).toMatchObject({ deleted: counts({ api_assertions: 3, checkout_sessions: 3, tickets: 3 }), complete: false });
    const rest = await pruneExpired(db, { now: P, batchSize: 2 });
    expect(rest).toMatchObject({ deleted: counts({ api_assertions: 4, checkout_sessions: 2, tickets: 2 }), complete: true });
    expect((await db.query('SELECT 1 FROM api_assertions UNION ALL SELECT 1 FROM checkout_sessions')).rows).toEqual([]);
  });

  it('deletes each row once when instances prune at the same time', async () => {
    const shop = await rows.merchant();
    for (let i = 0; i < 40; i++) await rows.assertion(shop, ago(MINUTE));
    for (let i = 0; i < 12; i++) await rows.checkout(shop, { openedAt: ago(30 * DAY), ticketExp: ago(29 * DAY), end: 'refused' });

    const runs = await Promise.all(Array.from({ length: 4 }, () => pruneExpired(db, { now: P, batchSize: 5 })));

    const sum = (table: PrunedTable) => runs.reduce((total, run) => total + run.deleted[table], 0);
    expect([sum('api_assertions'), sum('checkout_sessions'), sum('tickets')]).toEqual([40, 12, 12]);
    expect((await pruneExpired(db, { now: P })).total).toBe(0);
  });

  it('counts without deleting in a dry run: what the real run then deletes', async () => {
    const shop = await rows.merchant();
    await rows.assertion(shop, ago(MINUTE));
    await rows.checkout(shop, { openedAt: ago(30 * DAY), ticketExp: ago(29 * DAY), end: 'cancelled', request: 'expired' });
    await rows.notification(shop, 'delivered', ago(40 * DAY));

    const dry = await pruneExpired(db, { now: P, dryRun: true });
    const expected = counts({ api_assertions: 1, checkout_sessions: 1, tickets: 1, confirmation_requests: 1, notifications: 1 });
    expect(dry).toEqual({ deleted: expected, total: 5, complete: true });
    expect(await pruneExpired(db, { now: P, dryRun: true })).toEqual(dry);
    expect(await pruneExpired(db, { now: P })).toEqual(dry);
  });

  it("keeps delivered notifications as long as the operator's CAISSE_NOTIFICATION_RETENTION_DAYS says", async () => {
    const shop = await rows.merchant();
    const notifications = [
      await rows.notification(shop, 'delivered', ago(8 * DAY)),
      await rows.notification(shop, 'delivered', ago(6 * DAY)),
    ];
    const retention = configuredRetention(loadConfig({ CAISSE_NOTIFICATION_RETENTION_DAYS: '7' }));
    expect(await pruneExpired(db, { now: P })).toMatchObject({ total: 0 });
    expect(await pruneExpired(db, { now: P, retention })).toMatchObject({ deleted: counts({ notifications: 1 }) });
    expect(await stillThere(db, 'notifications', 'id', notifications)).toEqual([false, true]);
  });
});

describe('retention settings', () => {
  it('refuses a retention that is not a whole number of days from 1 to 3650, before touching the database', async () => {
    const db = {} as Database;
    await expect(pruneExpired(db, { now: P, retention: { unpaidCheckouts: 0 } })).rejects.toThrow(
      'retention.unpaidCheckouts must be a whole number of days from 1 to 3650, not 0.',
    );
    await expect(pruneExpired(db, { now: P, retention: { deliveredNotifications: 1.5 } })).rejects.toThrow(TypeError);
    await expect(pruneExpired(db, { now: P, batchSize: 0 })).rejects.toThrow('batchSize must be a positive integer.');
  });

  it('reads CAISSE_NOTIFICATION_RETENTION_DAYS like the other settings: 30 by default, 1 to 3650 days', () => {
    expect(loadConfig({}).CAISSE_NOTIFICATION_RETENTION_DAYS).toBe(30);
    expect(loadConfig({ CAISSE_NOTIFICATION_RETENTION_DAYS: '365' }).CAISSE_NOTIFICATION_RETENTION_DAYS).toBe(365);
    for (const bad of ['0', '3651', '2.5', 'forever']) {
      expect(() => loadConfig({ CAISSE_NOTIFICATION_RETENTION_DAYS: bad })).toThrow(/CAISSE_NOTIFICATION_RETENTION_DAYS/);
    }
  });
});
