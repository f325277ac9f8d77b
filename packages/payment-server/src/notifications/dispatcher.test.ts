import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAlertService } from '../alerts/service.js';
import type { Database } from '../storage/database.js';
import { openTestDatabase, type TestDatabase, testDrivers } from '../storage/test-support.js';
import { notifiedMerchant, paymentAuthorised } from './__fixtures__/world.js';
import { NOTIFICATION_PARKED_ALERT } from './model.js';
import { enqueueNotification } from './outbox.js';
import { createNotificationService } from './service.js';

const drivers = await testDrivers('notification dispatcher');
const DAY = 24 * 3600_000;

describe.each(drivers)('the notification dispatcher on %s', (driver) => {
  let handle: TestDatabase;
  let db: Database;
  let world: Awaited<ReturnType<typeof notifiedMerchant>>;

  beforeAll(async () => {
    handle = await openTestDatabase(driver, 'notification_dispatcher');
    db = handle.db;
  });
  afterAll(() => handle?.close());
  beforeEach(async () => {
    world = await notifiedMerchant(db);
  });
  afterEach(async () => {
    await world.close();
    // Each test sees only its own notifications: a pass takes every due row of every merchant.
    await db.query('DELETE FROM notifications');
  });

  it('delivers a signed caisse-notification+jwt that the server kit verifies, once', async () => {
    const queued = await world.enqueue(paymentAuthorised(41));
    const dispatcher = world.dispatcher();
    expect(await dispatcher.runOnce()).toEqual({ claimed: 1, delivered: 1, retrying: 0, parked: 0 });
    expect(world.receiver.processed).toEqual([
      {
        ver: 1,
        iss: 'https://pay.example',
        aud: world.merchantId,
        jti: queued.id,
        iat: expect.any(Number),
        exp: expect.any(Number),
        ...paymentAuthorised(41),
      },
    ]);
    const [event] = world.receiver.processed;
    expect((event?.exp ?? 0) - (event?.iat ?? 0)).toBe(300);
    expect(world.receiver.requests).toEqual([
      { jti: queued.id, iat: event?.iat, contentType: 'application/jose', status: 200, ack: 'processed' },
    ]);
    expect(await world.row(queued.id)).toMatchObject({
      status: 'delivered',
      attempts: 1,
      last_error: null,
      delivered_at: world.clock.now(),
    });
    expect(await dispatcher.runOnce()).toMatchObject({ claimed: 0 });
  });

  it('retries a receiver that fails 5 times, with growing waits, until it succeeds: the merchant processes the event once', async () => {
    const queued = await world.enqueue();
    world.receiver.failNext(5);
    const dispatcher = world.dispatcher({ random: () => 0.5 });
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect(await dispatcher.runOnce()).toEqual({ claimed: 1, delivered: 0, retrying: 1, parked: 0 });
      const row = await world.row(queued.id);
      expect(row).toMatchObject({ status: 'pending', attempts: attempt, last_error: 'http 500' });
      // Half of the ceiling (random() = 0.5): 5 s, 10 s, 20 s, 40 s, 80 s.
      expect(row.next_attempt_at.getTime() - (row.last_attempt_at as Date).getTime()).toBe(5_000 * 2 ** (attempt - 1));
      // Not before its time.
      world.clock.advance(5_000 * 2 ** (attempt - 1) - 1_000);
      expect(await dispatcher.runOnce()).toMatchObject({ claimed: 0 });
      await world.comeDue(queued.id);
    }
    expect(await dispatcher.runOnce()).toEqual({ claimed: 1, delivered: 1, retrying: 0, parked: 0 });

    expect(world.receiver.requests.map((request) => request.status)).toEqual([500, 500, 500, 500, 500, 200]);
    // Each attempt signed anew, with the same id.
    expect(new Set(world.receiver.requests.map((request) => request.jti))).toEqual(new Set([queued.id]));
    expect(new Set(world.receiver.requests.map((request) => request.iat)).size).toBe(6);
    expect(world.receiver.processed.map((event) => event.jti)).toEqual([queued.id]);
    expect(await world.row(queued.id)).toMatchObject({ status: 'delivered', attempts: 6, last_error: null });
  });

  it('redelivers after a lost acknowledgement; the receiver acknowledges the duplicate without processing it again', async () => {
    const queued = await world.enqueue();
    world.receiver.dropNextAcks(1);
    const dispatcher = world.dispatcher();
    expect(await dispatcher.runOnce()).toMatchObject({ claimed: 1, retrying: 1 });
    expect((await world.row(queued.id)).last_error).toMatch(/^network: /);
    expect(world.receiver.processed).toHaveLength(1);

    await world.comeDue(queued.id);
    expect(await dispatcher.runOnce()).toMatchObject({ claimed: 1, delivered: 1 });
    expect(world.receiver.requests.map((request) => [request.jti, request.status, request.ack])).toEqual([
      [queued.id, 200, 'processed'],
      [queued.id, 200, 'duplicate'],
    ]);
    expect(world.receiver.processed.map((event) => event.jti)).toEqual([queued.id]);
  });

  it('gives up on a request after its time-out and tries again later; the late processing is not repeated', async () => {
    const queued = await world.enqueue();
    const held = world.receiver.hold();
    // Long enough for the request to reach the receiver even on a loaded machine, which
    // then holds it past the time-out: the case where the merchant processes it late.
    const dispatcher = world.dispatcher({ timeoutMs: 2_000 });
    expect(await dispatcher.runOnce()).toMatchObject({ claimed: 1, retrying: 1 });
    expect((await world.row(queued.id)).last_error).toBe('timeout');
    await held.arrived;
    held.release();
    await vi.waitFor(() => expect(world.receiver.processed).toHaveLength(1));

    await world.comeDue(queued.id);
    expect(await dispatcher.runOnce()).toMatchObject({ delivered: 1 });
    expect(world.receiver.processed.map((event) => event.jti)).toEqual([queued.id]);
    expect(world.receiver.requests.at(-1)).toMatchObject({ status: 200, ack: 'duplicate' });
  });

  it('does not follow a redirect: the event is not sent where the answer points', async () => {
    const redirector = createServer((_req, res) => res.writeHead(307, { location: world.receiver.url }).end());
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/caisse/notify`;
      const queued = await db.transaction((tx) =>
        enqueueNotification(tx, { merchantId: world.merchantId, notifyUrl: url, at: world.clock.now(), content: paymentAuthorised(5) }),
      );
      expect(await world.dispatcher().runOnce()).toMatchObject({ claimed: 1, retrying: 1 });
      expect(await world.row(queued?.id ?? '')).toMatchObject({ status: 'pending', last_error: 'redirect 307 not followed' });
      expect(world.receiver.requests).toEqual([]);
    } finally {
      redirector.closeAllConnections();
      await new Promise<void>((resolve) => redirector.close(() => resolve()));
    }
  });

  it('records a refused connection as a network failure and retries', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/caisse/notify`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const queued = await db.transaction((tx) =>
      enqueueNotification(tx, { merchantId: world.merchantId, notifyUrl: url, at: world.clock.now(), content: paymentAuthorised(6) }),
    );
    expect(await world.dispatcher().runOnce()).toMatchObject({ claimed: 1, retrying: 1 });
    expect((await world.row(queued?.id ?? '')).last_error).toBe('network: ECONNREFUSED');
  });

  it('parks a notification still failing after 3 days, raises an alert, and delivers it once the operator resends it', async () => {
    const queued = await world.enqueue();
    world.receiver.failNext(Number.POSITIVE_INFINITY);
    const dispatcher = world.dispatcher({ random: () => 0.5 });
    let attempts = 0;
    while ((await world.row(queued.id)).status === 'pending') {
      const report = await dispatcher.runOnce();
      expect(report.claimed).toBe(1);
      attempts += 1;
      if (report.parked === 0) await world.comeDue(queued.id);
      expect(attempts).toBeLessThan(500);
    }
    const parked = await world.row(queued.id);
    expect(parked).toMatchObject({ status: 'parked', attempts, last_error: 'http 500' });
    // Retried for the whole window: the last attempt was made at its very end.
    expect((parked.last_attempt_at as Date).getTime()).toBeGreaterThanOrEqual(queued.createdAt.getTime() + 3 * DAY);
    expect((parked.last_attempt_at as Date).getTime()).toBeLessThan(queued.createdAt.getTime() + 3 * DAY + 1_000);
    // About ten doublings up to the 1 h cap, then half an hour apart for three days.
    expect(attempts).toBeGreaterThan(140);
    expect(attempts).toBeLessThan(160);

    const alerts = await createAlertService({ db }).list({ kind: NOTIFICATION_PARKED_ALERT });
    expect(alerts.filter((alert) => alert.subject === queued.id)).toEqual([
      expect.objectContaining({
        details: expect.objectContaining({ merchant: world.merchantId, event: 'payment.authorised', lastError: 'http 500' }),
      }),
    ]);
    const notifications = createNotificationService({ db, now: world.clock.now });
    expect((await notifications.list({ status: 'parked' })).map((item) => item.id)).toEqual([queued.id]);
    world.clock.advance(DAY);
    expect(await dispatcher.runOnce()).toMatchObject({ claimed: 0 });

    world.receiver.failNext(0);
    const resent = await notifications.resend(queued.id);
    expect(resent).toMatchObject({ id: queued.id, status: 'pending', nextAttemptAt: world.clock.now() });
    expect(await dispatcher.runOnce()).toMatchObject({ claimed: 1, delivered: 1 });
    expect(world.receiver.processed.map((event) => event.jti)).toEqual([queued.id]);
    expect(await world.row(queued.id)).toMatchObject({ status: 'delivered', parked_at: null });
    await expect(notifications.resend(queued.id)).rejects.toMatchObject({
      code: 'notification_not_parked',
      details: { status: 'delivered' },
    });
    await expect(notifications.resend('n_unknown')).rejects.toMatchObject({ code: 'notification_unknown' });
  });

  it('never writes the token into a log line or the outbox', async () => {
    const queued = await world.enqueue();
    world.receiver.failNext(1);
    const dispatcher = world.dispatcher();
    await dispatcher.runOnce();
    await world.comeDue(queued.id);
    await dispatcher.runOnce();
    expect(world.receiver.processed).toHaveLength(1);
    expect(world.logLines.some((line) => line.includes('"notification.delivered"'))).toBe(true);
    expect(world.logLines.some((line) => line.includes('"notification.failed"'))).toBe(true);
    for (const line of world.logLines) expect(line).not.toMatch(/eyJ/);
    const { rows } = await db.query<{ text: string }>('SELECT row_to_json(n)::text AS text FROM notifications n');
    for (const row of rows) expect(row.text).not.toMatch(/eyJ/);
  });

  it('runs in the background until stopped', async () => {
    const queued = await world.enqueue();
    const running = world.dispatcher().start({ intervalMs: 10 });
    // Waits for the dispatcher's own record: once the receiver has the event, its answer may still be on the way, and stop() aborts it.
    await vi.waitFor(async () => expect((await world.row(queued.id)).status).toBe('delivered'));
    await running.stop();
    expect(world.receiver.processed.map((event) => event.jti)).toEqual([queued.id]);
  });
});
