import { createState, generateKey } from '@caisse/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TICKET_CLOCK_TOLERANCE } from '../checkout/intake.js';
import { createSessions } from '../checkout/sessions.js';
import { createMerchantService } from '../merchants/service.js';
import type { Database } from '../storage/database.js';
import { openTestDatabase, type TestDatabase, testDrivers } from '../storage/test-support.js';
import { REFUSAL_RETENTION_DAYS } from './model.js';
import { createTicketRefusalService } from './service.js';

const drivers = await testDrivers('ticket refusals');
const T0 = new Date('2026-11-22T10:00:00Z');
const DAY = 86_400_000;

/**
 * The refusal counters against a real database, on a clock the test moves (every clock
 * here is that one): repeats counted on one row and notified once, the cap per merchant
 * under concurrency, the 30-day purge, and the purge of tickets spent by refusals.
 */
describe.each(drivers)('ticket refusals on %s', (driver) => {
  let handle: TestDatabase;
  let db: Database;
  let clock = T0;
  const now = () => clock;
  let merchantNo = 0;

  beforeAll(async () => {
    handle = await openTestDatabase(driver, 'ticket_refusals', { poolSize: 8 });
    db = handle.db;
  });
  afterAll(() => handle?.close());

  /** A merchant of its own for each test, notified at its registered URL. */
  async function merchant(): Promise<string> {
    const id = `shop-${++merchantNo}`;
    await createMerchantService({ db, now }).register({
      id,
      displayName: 'The Bookshop',
      jwks: generateKey().jwks,
      returnOrigins: ['https://shop.example'],
      notifyUrl: 'https://shop.example/caisse/notify',
    });
    return id;
  }
  const notifications = async (merchantId: string) =>
    (
      await db.query<{ payload: { ticketRefusal: unknown } }>(
        "SELECT payload FROM notifications WHERE merchant_id = $1 AND event = 'ticket.refused' ORDER BY created_at, id",
        [merchantId],
      )
    ).rows.map((row) => row.payload.ticketRefusal);

  it('counts one kind of refusal on one row and notifies it once, however many come at once', async () => {
    clock = T0;
    const merchantId = await merchant();
    const refusals = createTicketRefusalService({ db, now });
    const message = `The key kid k-1 is not registered for merchant ${merchantId}.`;
    const recorded = await Promise.all(
      Array.from({ length: 20 }, (_, i) => refusals.record({ merchantId, code: 'key_unknown', message, ticket: `t-${i}` })),
    );
    expect(recorded.filter((one) => one.created)).toHaveLength(1);
    const listed = await refusals.list(merchantId);
    expect(listed).toEqual([
      {
        id: expect.stringMatching(/^tr_[A-Za-z0-9_-]{22}$/),
        code: 'key_unknown',
        message,
        ticket: expect.stringMatching(/^t-/),
        count: 20,
        firstSeenAt: T0.toISOString(),
        lastSeenAt: T0.toISOString(),
      },
    ]);
    expect(await notifications(merchantId)).toEqual([
      { id: listed[0]?.id, code: 'key_unknown', message, ticket: expect.stringMatching(/^t-/), count: 1, firstSeenAt: T0.getTime() / 1000 },
    ]);
  });

  it('keeps at most its cap of distinct refusals per merchant, even all at once; the rest count on an overflow row per code', async () => {
    clock = T0;
    const merchantId = await merchant();
    const refusals = createTicketRefusalService({ db, now, maxPerMerchant: 5 });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        refusals.record({ merchantId, code: 'key_unknown', message: `The key kid k-${i} is not registered.`, ticket: null }),
      ),
    );
    await refusals.record({ merchantId, code: 'signature_invalid', message: 'Another cause.', ticket: null });
    const listed = await refusals.list(merchantId, { limit: 200 });
    expect(listed.filter((one) => one.message.startsWith('The key kid'))).toHaveLength(5);
    const overflow = listed.filter((one) => one.message.startsWith('More than'));
    expect(overflow.map((one) => [one.code, one.count]).sort()).toEqual([
      ['key_unknown', 15],
      ['signature_invalid', 1],
    ]);
    expect(overflow[0]?.message).toContain(`merchant ${merchantId}`);
    expect(listed.reduce((sum, one) => sum + one.count, 0)).toBe(21);
    // One notification per row created: bounded by the cap and the number of codes.
    expect(await notifications(merchantId)).toHaveLength(7);
  });

  it(`forgets a refusal not seen for ${REFUSAL_RETENTION_DAYS} days: it is deleted, and seen again it is new and notified again`, async () => {
    clock = T0;
    const merchantId = await merchant();
    const refusals = createTicketRefusalService({ db, now, purgeInterval: 0 });
    const input = { merchantId, code: 'audience_mismatch', message: 'Another audience.', ticket: 't-1' };
    await refusals.record(input);
    clock = new Date(T0.getTime() + 20 * DAY);
    await refusals.record({ ...input, ticket: 't-2' });
    clock = new Date(T0.getTime() + 49 * DAY);
    expect(await refusals.list(merchantId)).toMatchObject([{ count: 2, ticket: 't-2', firstSeenAt: T0.toISOString() }]);
    clock = new Date(T0.getTime() + 51 * DAY);
    expect(await refusals.list(merchantId)).toEqual([]);
    expect((await db.query('SELECT 1 FROM ticket_refusals WHERE merchant_id = $1', [merchantId])).rows).toEqual([]);
    expect(await refusals.record({ ...input, ticket: 't-3' })).toMatchObject({ created: true, refusal: { count: 1 } });
    expect(await notifications(merchantId)).toHaveLength(2);
  });

  it('records a ticket spent by a refusal once, up to a cap per merchant, and deletes the record once the ticket has expired', async () => {
    clock = T0;
    const merchantId = await merchant();
    const sessions = createSessions({ db, now });
    const exp = T0.getTime() / 1000 + 900;
    const ticket = (jti: string) =>
      ({
        sha256: 'A'.repeat(43),
        claims: {
          ver: 1,
          iss: merchantId,
          aud: 'https://pay.example',
          jti,
          iat: T0.getTime() / 1000,
          exp,
          serial: `order-${jti}`,
          kind: 'purchase',
          items: [],
          amount: 0,
          vat: 0,
          currency: 'EUR',
          returnUrl: 'https://shop.example/paid',
          cancelUrl: 'https://shop.example/basket',
          fulfilment: 'immediate',
          state: createState(),
        },
      }) as unknown as Parameters<typeof sessions.claimRefusal>[0];
    const claim = (jti: string, spend = true) => sessions.claimRefusal(ticket(jti), 'browser', { spend, limit: 3 });

    // Five at once, on as many connections: the cap holds exactly.
    const claimed = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((jti) => claim(jti)));
    expect(claimed.filter((one) => one.refusable)).toHaveLength(3);
    expect(claimed.filter((one) => !one.refusable)).toEqual([{ refusable: false }, { refusable: false }]);
    const spent = async () =>
      (
        await db.query<{ jti: string }>('SELECT jti FROM tickets WHERE merchant_id = $1 AND refused_at IS NOT NULL ORDER BY jti', [
          merchantId,
        ])
      ).rows.map((row) => row.jti);
    expect(await spent()).toHaveLength(3);
    // Spent: refused again, it is a ticket presented before, and no second refusal is signed.
    const [first] = await spent();
    expect(await claim(first ?? '')).toEqual({ refusable: false, seen: { seen: true } });
    expect(await claim(first ?? '', false)).toEqual({ refusable: false, seen: { seen: true } });
    expect(await claim('never-seen', false)).toEqual({ refusable: true });

    const refusals = createTicketRefusalService({ db, now, purgeInterval: 0, sessions });
    clock = new Date((exp + TICKET_CLOCK_TOLERANCE) * 1000 - 1000);
    await refusals.purgeExpired(clock);
    expect(await spent()).toHaveLength(3);
    clock = new Date((exp + TICKET_CLOCK_TOLERANCE) * 1000 + 1000);
    await refusals.purgeExpired(clock);
    expect(await spent()).toEqual([]);
    expect(await claim('f')).toEqual({ refusable: true });
  });
});
