import { PaymentRefusedError } from '@caisse/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { type ApiTestServer, serverDrivers, startApiTestServer } from '../api/__fixtures__/api-server.js';
import { TICKET_CLOCK_TOLERANCE } from '../checkout/intake.js';
import { DAY } from './__fixtures__/rows.js';
import { pruneExpired } from './prune.js';

const drivers = await serverDrivers('housekeeping replay');

/**
 * Pruning never lets a ticket be used twice, over real HTTP on a frozen clock (every
 * clock here is that one: the payment server's, the shop's kit, housekeeping's): a paid
 * ticket keeps its row, payment and voucher for good; an abandoned one is deleted only
 * once intake refuses it as expired anyway, so presenting it again is refused before and
 * after, and never opens a checkout.
 */
describe.each(drivers)('a ticket presented again after pruning, on $name', (driver) => {
  let shop: ApiTestServer;
  let drop = async () => {};
  let at = new Date('2026-03-14T10:00:00Z');
  const now = () => at;

  beforeAll(async () => {
    const database = await driver.url();
    drop = database.drop;
    shop = await startApiTestServer({ now, ...(database.url ? { databaseUrl: database.url } : {}) });
  });
  afterAll(async () => {
    await shop?.close();
    await drop();
  });

  const present = (token: string) => new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: token } });
  const rowsOf = async (jti: string) => {
    const { rows } = await shop.server.db.query<{ tickets: number; sessions: number; payments: number }>(
      `SELECT (SELECT count(*) FROM tickets WHERE jti = $1)::int AS tickets,
              (SELECT count(*) FROM checkout_sessions WHERE ticket_jti = $1)::int AS sessions,
              (SELECT count(*) FROM payments WHERE ticket_jti = $1)::int AS payments`,
      [jti],
    );
    return rows[0];
  };
  // The shortest retention housekeeping accepts: the ticket rule holds whatever the operator sets.
  const prune = () => pruneExpired(shop.server.db, { now: at, retention: { unpaidCheckouts: 1 } });

  it('refuses a paid ticket and an abandoned one before their expiry, after it, and after pruning; pays once', async () => {
    const paid = await shop.pay(500);
    const abandoned = shop.ticket(700);
    expect((await present(abandoned.token)).page?.status).toBe(200);
    const { rows: vouchers } = await shop.server.db.query<{ voucher: string }>('SELECT voucher FROM payments WHERE ticket_jti = $1', [
      paid.ticket.id,
    ]);

    // 1. Pruned at once: nothing of either goes; both are tickets presented before.
    expect(await prune()).toMatchObject({ total: 0 });
    for (const ticket of [paid.ticket, abandoned]) {
      const again = await present(ticket.token);
      expect([again.page?.status, again.leftTo]).toEqual([409, undefined]);
      expect(again.html).toContain('already used');
    }

    // 2. Past its exp and the intake's tolerance, within the retention: kept, and refused.
    at = new Date((abandoned.claims.exp + TICKET_CLOCK_TOLERANCE) * 1000 + 1_000);
    expect(await prune()).toMatchObject({ total: 0 });
    expect((await present(abandoned.token)).page?.status).toBe(409);

    // 3. Past the retention: the abandoned checkout and its ticket are deleted, the paid one is not.
    at = new Date(at.getTime() + DAY + 1_000);
    expect(await prune()).toMatchObject({ deleted: { checkout_sessions: 1, tickets: 1 } });
    expect(await rowsOf(abandoned.id)).toEqual({ tickets: 0, sessions: 0, payments: 0 });
    expect(await rowsOf(paid.ticket.id)).toEqual({ tickets: 1, sessions: 1, payments: 1 });
    expect((await prune()).total).toBe(0);

    // The paid ticket: still "already used", never a refusal the shop would act on, never a second payment.
    const paidAgain = await present(paid.ticket.token);
    expect([paidAgain.page?.status, paidAgain.leftTo]).toEqual([409, undefined]);
    // The abandoned one: refused as expired (the shop may cancel the order: it was never paid), no checkout opened.
    const abandonedAgain = await present(abandoned.token);
    expect(abandonedAgain.leftTo?.pathname).toBe('/basket');
    const refusal = await shop.merchant
      .verifyVoucher(abandonedAgain.leftTo?.searchParams.get('caisse_refusal') ?? '', { ticket: abandoned.reference })
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(PaymentRefusedError);
    expect(refusal).toMatchObject({ reason: 'ticket_expired' });
    expect(await rowsOf(abandoned.id)).toEqual({ tickets: 0, sessions: 0, payments: 0 });
    // What the shop was given for the paid ticket is unchanged.
    expect((await shop.server.db.query('SELECT voucher FROM payments WHERE ticket_jti = $1', [paid.ticket.id])).rows).toEqual(vouchers);
  });
});
