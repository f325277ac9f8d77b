import { generateKey } from '@caisse/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchantService } from '../merchants/service.js';
import type { Database } from '../storage/database.js';
import { openTestDatabase, rolledBack, type TestDatabase, testDrivers } from '../storage/test-support.js';
import { paymentAuthorised } from './__fixtures__/world.js';
import { enqueueNotification } from './outbox.js';

const drivers = await testDrivers('notification outbox');
const AT = new Date('2026-11-22T10:00:00Z');

describe.each(drivers)('the notification outbox on %s', (driver) => {
  let handle: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    handle = await openTestDatabase(driver, 'notification_outbox');
    db = handle.db;
    const merchants = createMerchantService({ db, now: () => AT });
    const common = { displayName: 'The Bookshop', returnOrigins: ['https://shop.example'] };
    await merchants.register({ ...common, id: 'notified', jwks: generateKey().jwks, notifyUrl: 'https://shop.example/caisse/notify' });
    await merchants.register({ ...common, id: 'silent', jwks: generateKey().jwks });
  });
  afterAll(() => handle?.close());

  const count = async (merchantId: string) =>
    (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM notifications WHERE merchant_id = $1', [merchantId])).rows[0]?.n;

  it("writes the event for the merchant's registered URL, with a fresh jti and the claims but iss, iat and exp", async () => {
    const queued = await db.transaction((tx) => enqueueNotification(tx, { merchantId: 'notified', at: AT, content: paymentAuthorised(7) }));
    expect(queued).toMatchObject({
      id: expect.stringMatching(/^n_[A-Za-z0-9_-]{22}$/),
      merchantId: 'notified',
      event: 'payment.authorised',
      targetUrl: 'https://shop.example/caisse/notify',
      status: 'pending',
      attempts: 0,
      nextAttemptAt: AT,
      retryUntil: new Date(AT.getTime() + 3 * 24 * 3600_000),
      lastError: null,
      createdAt: AT,
      deliveredAt: null,
    });
    expect(queued?.payload).toEqual({ ver: 1, aud: 'notified', jti: queued?.id, ...paymentAuthorised(7) });
    const again = await db.transaction((tx) => enqueueNotification(tx, { merchantId: 'notified', at: AT, content: paymentAuthorised(7) }));
    expect(again?.id).not.toBe(queued?.id);
  });

  it("sends to the ticket's notifyUrl when it has one", async () => {
    const queued = await db.transaction((tx) =>
      enqueueNotification(tx, {
        merchantId: 'silent',
        notifyUrl: 'https://shop.example/orders/42/notify',
        at: AT,
        content: paymentAuthorised(8),
      }),
    );
    expect(queued?.targetUrl).toBe('https://shop.example/orders/42/notify');
  });

  it('writes nothing for a merchant without a notification URL', async () => {
    const before = await count('silent');
    await expect(
      db.transaction((tx) => enqueueNotification(tx, { merchantId: 'silent', at: AT, content: paymentAuthorised(9) })),
    ).resolves.toBeNull();
    expect(await count('silent')).toBe(before);
  });

  it('leaves nothing behind when the transaction rolls back', async () => {
    const before = await count('notified');
    const queued = await rolledBack(db, (tx) =>
      enqueueNotification(tx, { merchantId: 'notified', at: AT, content: paymentAuthorised(10) }),
    );
    expect(queued?.id).toBeDefined();
    expect(await count('notified')).toBe(before);
  });

  it('refuses content that would not make a valid notification, failing the transaction that made it', async () => {
    const before = await count('notified');
    const bad = paymentAuthorised(11, -5);
    await expect(db.transaction((tx) => enqueueNotification(tx, { merchantId: 'notified', at: AT, content: bad }))).rejects.toMatchObject({
      code: 'claims_invalid',
    });
    expect(await count('notified')).toBe(before);
  });

  it('keeps what a notification says unchanged, and a delivered one final, in the database itself', async () => {
    const queued = await db.transaction((tx) =>
      enqueueNotification(tx, { merchantId: 'notified', at: AT, content: paymentAuthorised(12) }),
    );
    const id = queued?.id;
    await expect(
      db.query(`UPDATE notifications SET payload = jsonb_set(payload, '{payment,amount}', '1') WHERE id = $1`, [id]),
    ).rejects.toMatchObject({ message: expect.stringContaining('never changes') });
    await db.query(`UPDATE notifications SET status = 'delivered', delivered_at = $2 WHERE id = $1`, [id, AT]);
    await expect(db.query(`UPDATE notifications SET status = 'pending', delivered_at = NULL WHERE id = $1`, [id])).rejects.toMatchObject({
      message: expect.stringContaining('never changes again'),
    });
    await expect(db.query(`UPDATE notifications SET status = 'delivered', delivered_at = NULL WHERE id = $1`, [id])).rejects.toBeDefined();
  });
});
