import type { TicketClaims } from '@caisse/protocol';
import { createState } from '@caisse/server-kit';
import { createMerchantClient, type MerchantClient } from '@caisse/server-kit/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDevice } from '../__fixtures__/device.js';
import { SHOP_ORIGIN } from '../__fixtures__/payment-server.js';
import { payAs, serverDrivers } from '../api/__fixtures__/api-server.js';
import { type CliIo, runCommand } from '../cli/commands.js';
import { type DeviceWorld, startDeviceWorld } from '../devices/__fixtures__/world.js';
import { generateSecret } from '../secrets.js';
import { SETTLEMENT_CSV_COLUMNS } from './csv.js';

/**
 * One frozen clock for the server, the shop's tickets, the merchant client's assertions
 * and the phone. The ledger dates its transfers by the database's own clock, so the frozen
 * clock starts at the real instant, and the day's cut-off is set 20 minutes ahead, on the
 * minute: every movement of the test falls in the day it closes, whenever the test runs.
 */
const START = Date.now();
const cutoffAt = new Date(Math.floor((START + 20 * 60_000) / 60_000) * 60_000);
const DATE = cutoffAt.toISOString().slice(0, 10);
const CUTOFF = cutoffAt.toISOString().slice(11, 16);
const ACCESS_KEY = 'correct horse battery';

/**
 * The till's allowance remittances in the daily settlement report: the charges of a
 * settled allowance are one ledger transfer, reported as their own line (`allowances`,
 * counting the charges, not the transfer), and the day still closes to the cent.
 */
describe.each(await serverDrivers('settlement-allowances'))('allowances in the settlement report on $name', (driver) => {
  let clock = START;
  const now = () => new Date(clock);
  const secret = generateSecret();
  let world: DeviceWorld;
  let client: MerchantClient;
  let databaseUrl: string | undefined;
  let drop = async () => {};

  beforeAll(async () => {
    const database = await driver.url();
    drop = database.drop;
    databaseUrl = database.url;
    world = await startDeviceWorld(database.url, { CAISSE_SETTLEMENT_CUTOFF: CUTOFF, CAISSE_SECRET: secret }, now);
    const { shop } = world;
    client = createMerchantClient({ server: shop.url, merchantId: shop.merchantId, key: shop.merchantKey.privateJwk, now, retry: 0 });
  });
  afterAll(async () => {
    await world?.close();
    await drop();
  });

  /** A customer with a funded wallet and, when asked, a phone on the frozen clock (PIN 4821). */
  async function customer(options: { phone?: boolean } = {}) {
    const id = await world.customer();
    await world.server.customers.walletCredit(id, 'EUR', 10_000n, { idempotencyKey: `fund-${id}` });
    if (!options.phone) return { id };
    const phone = createTestDevice(world.shop.url, { now });
    const { code } = await world.server.devices.createCode(id);
    const enrolled = await phone.enroll(code, { pin: '4821' });
    if (enrolled.status !== 201) throw new Error(`enrollment failed: ${enrolled.status} ${await enrolled.text()}`);
    return { id, phone };
  }

  /** An allowance of `maximum` for an hour, granted with one PIN approval on the customer's phone: its id. */
  async function grant(who: Awaited<ReturnType<typeof customer>>, maximum: number): Promise<string> {
    const { shop, server } = world;
    const ticket = shop.merchant.createTicket({
      serial: `allowance-${Math.random().toString(36).slice(2, 8)}`,
      currency: 'EUR',
      amount: maximum,
      allowance: { expiresAt: Math.floor(clock / 1000) + 3600 },
      returnUrl: `${SHOP_ORIGIN}/granted`,
      cancelUrl: `${SHOP_ORIGIN}/basket`,
      state: createState(),
    });
    const opened = await world.sessions.open({ claims: ticket.claims as TicketClaims, sha256: ticket.sha256 }, `browser-${Math.random()}`);
    if (!opened.opened) throw new Error('session not opened');
    const found = await server.customers.get(who.id);
    const started = await server.db.transaction((tx) => server.phoneCheckout.startIn(tx, opened.session, found));
    if (!started.started) throw new Error(`the phone was not asked: ${started.reason}`);
    const approved = await who.phone?.send(started.request, 'approve', '4821');
    expect(approved?.status).toBe(200);
    const { rows } = await server.db.query<{ voucher: string }>('SELECT voucher FROM allowances WHERE ticket_jti = $1', [
      ticket.claims.jti,
    ]);
    const voucher = await shop.merchant.verifyVoucher(rows[0]?.voucher ?? '', { ticket: ticket.reference });
    expect(voucher).toMatchObject({ status: 'granted', funding: 'allowance', amount: maximum });
    return voucher.allowance?.id as string;
  }

  /** A purchase of `amount` charged under the allowance through the merchant API: its payment id. */
  async function charge(allowanceId: string, amount: number): Promise<string> {
    const ticket = world.shop.merchant.createTicket({
      serial: `article-${Math.random().toString(36).slice(2, 8)}`,
      currency: 'EUR',
      items: [{ id: 'article', label: 'An article', quantity: 1, unitAmount: amount, vatRate: 550 }],
      allowanceId,
      returnUrl: `${SHOP_ORIGIN}/article`,
      cancelUrl: `${SHOP_ORIGIN}/articles`,
      state: createState(),
    });
    const { payment } = await client.allowances.charge(ticket);
    expect(payment).toMatchObject({ amount, funding: 'allowance', status: 'authorised' });
    expect(payment.serial).toBe(ticket.claims.serial);
    return payment.id;
  }

  /** The till's balance from the ledger: what the report's closing balance must equal while nothing is paid out. */
  async function till(): Promise<number> {
    const { rows } = await world.server.db.query<{ total: bigint }>(
      `SELECT coalesce(sum(e.amount), 0)::int8 AS total FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
        WHERE a.type = 'merchant_till' AND a.owner_id = $1`,
      [world.shop.merchantId],
    );
    return Number(rows[0]?.total ?? 0);
  }

  it('reports the charges of a settled allowance on their own line, counted by charge, and the day closes', async () => {
    const alice = await customer({ phone: true });
    const bob = await customer();
    // A payment at checkout, booked straight to the till: the `payments` line.
    const ticket = world.shop.ticket(1_000);
    await payAs(world.shop.url, ticket.token, bob.id, ACCESS_KEY);

    const settled = await grant(alice, 2_000);
    const charges = [await charge(settled, 300), await charge(settled, 450), await charge(settled, 125)];
    // Charged, not yet settled: no money has moved, so the report shows nothing of it.
    expect((await client.settlements.get(DATE)).currencies[0]?.allowances).toEqual({ count: 0, amount: 0 });
    clock += 60_000;
    expect(await client.allowances.close(settled)).toMatchObject({ state: 'ended', endReason: 'closed', used: 875 });
    // A refund of a charge goes back to the wallet, from the till: the `refunds` line.
    clock += 60_000;
    await client.refunds.create({ id: charges[1] as string }, { amount: 200 });
    // Another allowance, charged but still running: its charge is not in the day until its remittance.
    const running = await grant(alice, 1_000);
    await charge(running, 99);

    const report = await client.settlements.get(DATE);
    expect(report).toMatchObject({ merchantId: world.shop.merchantId, date: DATE });
    const day = report.currencies[0];
    expect(day).toEqual({
      currency: 'EUR',
      period: { from: new Date(cutoffAt.getTime() - 86_400_000).toISOString(), to: cutoffAt.toISOString() },
      openingBalance: 0,
      payments: { count: 1, amount: 1_000 },
      escrowReleases: { count: 0, amount: 0 },
      allowances: { count: 3, amount: 875 },
      refunds: { count: 1, amount: 200 },
      other: { count: 0, amount: 0 },
      payout: { id: null, status: 'unsettled', amount: 0, reference: null },
      closingBalance: 1_675,
    });
    if (day === undefined) return;
    // openingBalance + payments + escrowReleases + allowances − refunds + other − payout = closingBalance, and the ledger agrees.
    expect(
      day.openingBalance +
        day.payments.amount +
        day.escrowReleases.amount +
        day.allowances.amount -
        day.refunds.amount +
        day.other.amount -
        day.payout.amount,
    ).toBe(day.closingBalance);
    expect(await till()).toBe(day.closingBalance);

    const csv = await client.settlements.get(DATE, { format: 'csv' });
    const [header, row] = csv.split('\r\n');
    expect(header?.split(',')).toEqual([...SETTLEMENT_CSV_COLUMNS]);
    const cells = Object.fromEntries(SETTLEMENT_CSV_COLUMNS.map((column, index) => [column, row?.split(',')[index]]));
    expect(cells).toMatchObject({ allowances_count: '3', allowances_amount: '875', payments_amount: '1000', closing_balance: '1675' });

    // The running allowance settled (the merchant closes it): its one charge joins the line.
    await client.allowances.close(running);
    expect((await client.settlements.get(DATE)).currencies[0]).toMatchObject({
      allowances: { count: 4, amount: 974 },
      closingBalance: 1_774,
    });
  });

  if (driver.name === 'postgres')
    it('caisse-server: allowances show and allowances settle-due', async () => {
      const alice = await customer({ phone: true });
      const id = await grant(alice, 1_500);
      await charge(id, 500);
      await charge(id, 250);
      await client.allowances.close(id);
      const out: string[] = [];
      const err: string[] = [];
      const io: CliIo = {
        out: (line) => out.push(line),
        err: (line) => err.push(line),
        env: { DATABASE_URL: databaseUrl, CAISSE_SECRET: secret, CAISSE_ISSUER: world.server.issuer, LOG_LEVEL: 'error' },
        readStdin: async () => '',
        stopSignal: () => Promise.resolve(),
      };
      expect(await runCommand(['allowances', 'show', id], io)).toBe(0);
      expect(err.at(-1)).toContain(`granted by ${alice.id} to ${world.shop.merchantId} in EUR`);
      expect(out.filter((line) => !/^(period|expires)\t/.test(line))).toEqual([
        `state\tended\tclosed\t${now().toISOString()}`,
        'maximum\t15.00',
        'charge-cap\t-',
        'used\t7.50',
        'left\t0.00',
        'charges\t2',
        'settled\t1 period(s)\t7.50',
      ]);
      out.length = 0;
      // Every allowance granted here is closed: the sweep has nothing to settle.
      expect(await runCommand(['allowances', 'settle-due'], io)).toBe(0);
      expect(out).toEqual(['No allowance was due for settlement.']);
    });
});
