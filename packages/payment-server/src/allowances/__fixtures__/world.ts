/**
 * A payment server with a shop, customers with funded wallets and phones, and the shop's
 * merchant API client, on a clock the test moves: what the allowance tests grant and
 * charge through. A grant is a real checkout of an allowance ticket, approved on the
 * customer's phone with the PIN; a charge is a real HTTP call of the merchant client.
 */
import type { AllowanceTerms, TicketClaims } from '@caisse/protocol';
import { createState, type Merchant } from '@caisse/server-kit';
import { createMerchantClient } from '@caisse/server-kit/client';
import { SHOP_ORIGIN } from '../../__fixtures__/payment-server.js';
import { startDeviceWorld } from '../../devices/__fixtures__/world.js';

export { serverDrivers } from '../../api/__fixtures__/api-server.js';

/** A clock the test sets: the server, the shop's tickets and vouchers and the client's assertions all read it. */
export function testClock(start: string) {
  const clock = {
    at: new Date(start),
    now: () => clock.at,
    advance(ms: number) {
      clock.at = new Date(clock.at.getTime() + ms);
    },
  };
  return clock;
}

export async function startAllowanceWorld(databaseUrl: string | undefined, now: () => Date, env: Record<string, string> = {}) {
  const world = await startDeviceWorld(databaseUrl, env, now);
  const { shop, server } = world;
  const client = createMerchantClient({ server: shop.url, merchantId: shop.merchantId, key: shop.merchantKey.privateJwk, now, retry: 0 });
  const seconds = () => Math.floor(now().getTime() / 1000);

  /** A customer with `funds` in their wallet and a phone (PIN 4821). */
  async function customer(funds = 10_000) {
    const id = await world.customer();
    await server.customers.walletCredit(id, 'EUR', BigInt(funds), { idempotencyKey: `fund-${id}` });
    return { id, phone: await world.phone(id) };
  }

  function allowanceTicket(maximum: number, terms: Partial<AllowanceTerms> = {}) {
    return shop.merchant.createTicket({
      serial: `allowance-${Math.random().toString(36).slice(2, 8)}`,
      currency: 'EUR',
      amount: maximum,
      allowance: { expiresAt: seconds() + 3600, ...terms },
      returnUrl: `${SHOP_ORIGIN}/granted`,
      notifyUrl: `${SHOP_ORIGIN}/notifications`,
      cancelUrl: `${SHOP_ORIGIN}/basket`,
      state: createState(),
    });
  }

  /**
   * The checkout of an allowance ticket, up to the phone's request: what the phone shows, and
   * the ticket the merchant verifies the grant against.
   */
  async function ask(customerId: string, ticket: ReturnType<typeof allowanceTicket>) {
    const opened = await world.sessions.open({ claims: ticket.claims as TicketClaims, sha256: ticket.sha256 }, `browser-${Math.random()}`);
    if (!opened.opened) throw new Error('session not opened');
    const found = await server.customers.get(customerId);
    const started = await server.db.transaction((tx) => server.phoneCheckout.startIn(tx, opened.session, found));
    if (!started.started) throw new Error(`the phone was not asked: ${started.reason}`);
    return { request: started.request, sessionId: opened.session.id };
  }

  /** The grant's voucher as the merchant verifies it; undefined while nothing was granted. */
  async function grantVoucher(ticket: ReturnType<typeof allowanceTicket>) {
    const { rows } = await server.db.query<{ voucher: string }>('SELECT voucher FROM allowances WHERE ticket_jti = $1', [
      ticket.claims.jti,
    ]);
    const token = rows[0]?.voucher;
    return token === undefined ? undefined : shop.merchant.verifyVoucher(token, { ticket: ticket.reference });
  }

  /** An allowance granted by `customer` with one phone approval: its id and the grant's verified voucher. */
  async function grant(who: Awaited<ReturnType<typeof customer>>, maximum: number, terms: Partial<AllowanceTerms> = {}) {
    const ticket = allowanceTicket(maximum, terms);
    const { request } = await ask(who.id, ticket);
    const approved = await who.phone.send(request, 'approve', '4821');
    if (approved.status !== 200) throw new Error(`approval failed: ${approved.status} ${await approved.text()}`);
    const voucher = await grantVoucher(ticket);
    if (voucher?.allowance === undefined) throw new Error('nothing was granted');
    return { id: voucher.allowance.id, voucher, ticket };
  }

  /** A purchase of `amount` charged under `allowanceId`, signed with the shop's first key unless `merchant` signs it. */
  function chargeTicket(allowanceId: string, amount: number, extra: { currency?: string; merchant?: Merchant } = {}) {
    return (extra.merchant ?? shop.merchant).createTicket({
      serial: `article-${Math.random().toString(36).slice(2, 8)}`,
      currency: extra.currency ?? 'EUR',
      items: [{ id: 'article', label: 'An article', quantity: 1, unitAmount: amount, vatRate: 550 }],
      allowanceId,
      returnUrl: `${SHOP_ORIGIN}/article`,
      cancelUrl: `${SHOP_ORIGIN}/articles`,
      state: createState(),
    });
  }

  /** The wallet's balance and what is free of reservations. */
  async function wallet(customerId: string) {
    const { rows } = await server.db.query<{ balance: bigint; pending_debits: bigint }>(
      `SELECT b.balance, b.pending_debits FROM ledger_balances b JOIN ledger_accounts a ON a.id = b.account_id
        WHERE a.type = 'customer_wallet' AND a.owner_id = $1 AND a.currency = 'EUR'`,
      [customerId],
    );
    const row = rows[0];
    return { balance: Number(row?.balance ?? 0), available: Number(BigInt(row?.balance ?? 0) - BigInt(row?.pending_debits ?? 0)) };
  }

  /** The settled periods of an allowance, oldest first. */
  async function remittances(allowanceId: string) {
    const { rows } = await server.db.query<{
      period_no: number;
      reason: string;
      used: bigint;
      charge_count: number;
      transfer_serial: bigint | null;
    }>(
      'SELECT period_no, reason, used, charge_count, transfer_serial FROM allowance_remittances WHERE allowance_id = $1 ORDER BY period_no',
      [allowanceId],
    );
    return rows.map((row) => ({
      period: Number(row.period_no),
      reason: row.reason,
      used: Number(row.used),
      charges: Number(row.charge_count),
      transferred: row.transfer_serial !== null,
    }));
  }

  /** The `allowance.settled` notifications queued for the shop, oldest first. */
  async function settledNotifications(allowanceId: string) {
    const { rows } = await server.db.query<{ payload: { allowance: { id: string } } }>(
      `SELECT payload FROM notifications WHERE event = 'allowance.settled' ORDER BY created_at, id`,
    );
    return rows
      .map((row) => (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload))
      .filter((p) => p.allowance.id === allowanceId);
  }

  /** Confirmation requests the customer's phones were ever sent. */
  async function requestsSent(customerId: string): Promise<number> {
    const { rows } = await server.db.query<{ count: string }>(
      'SELECT count(*) AS count FROM confirmation_requests WHERE customer_id = $1',
      [customerId],
    );
    return Number(rows[0]?.count ?? 0);
  }

  return {
    ...world,
    client,
    customer,
    allowanceTicket,
    ask,
    grant,
    grantVoucher,
    chargeTicket,
    wallet,
    remittances,
    settledNotifications,
    requestsSent,
  };
}

export type AllowanceWorld = Awaited<ReturnType<typeof startAllowanceWorld>>;
