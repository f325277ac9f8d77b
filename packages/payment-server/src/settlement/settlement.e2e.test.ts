import { describe, expect, it } from 'vitest';
import { type AfterPaymentWorld, worldPerSuite } from '../after-payment/__fixtures__/world.js';
import { serverDrivers } from '../api/__fixtures__/api-server.js';
import { type CliIo, runCommand } from '../cli/commands.js';
import { generateSecret } from '../secrets.js';
import { SETTLEMENT_CSV_COLUMNS } from './csv.js';

/** A cut-off 20 minutes ahead, on the minute: every movement of the test falls in the day it closes. */
const cutoffAt = new Date(Math.floor((Date.now() + 20 * 60_000) / 60_000) * 60_000);
const DATE = cutoffAt.toISOString().slice(0, 10);
const CUTOFF = cutoffAt.toISOString().slice(11, 16);

describe.each(await serverDrivers('settlement'))('daily settlement on $name', ({ name, url }) => {
  let world: AfterPaymentWorld;
  let databaseUrl: string | undefined;
  const secret = generateSecret();
  worldPerSuite(
    url,
    (made, madeUrl) => {
      world = made;
      databaseUrl = madeUrl;
    },
    { env: { CAISSE_SETTLEMENT_CUTOFF: CUTOFF, CAISSE_SECRET: secret } },
  );

  /** Sums of the merchant till's ledger entries in the day, by the ledger key of each code path: what the report must equal. */
  async function ledgerSums() {
    const { rows } = await world.server.db.query<{ kind: string; amount: bigint }>(
      `SELECT CASE WHEN t.pending_id IS NOT NULL THEN 'release' ELSE split_part(t.idempotency_key, ':', 1) END AS kind,
              sum(e.amount)::int8 AS amount
         FROM ledger_entries e JOIN ledger_transfers t ON t.serial = e.serial JOIN ledger_accounts a ON a.id = e.account_id
        WHERE a.type = 'merchant_till' AND a.owner_id = $1
        GROUP BY 1`,
      [world.merchantId],
    );
    const sums = Object.fromEntries(rows.map((row) => [row.kind, Number(row.amount)]));
    return { ticket: sums.ticket ?? 0, release: sums.release ?? 0, refund: sums.refund ?? 0, payout: sums.payout ?? 0 };
  }

  it('pays each till out once for the day; the report reconciles to the ledger to the cent, in JSON and CSV', async () => {
    await world.server.db.query(`UPDATE merchants SET bank_ref = 'test_approve' WHERE id = $1`, [world.merchantId]);
    const alice = await world.customer();
    const bob = await world.customer({ funded: 0n });
    const first = await world.pay(alice, 3_000);
    await world.pay(alice, 1_550);
    await world.pay(bob, 6_001); // through the bank
    const delivered = await world.pay(alice, 2_000, { deferred: true });
    const cancelled = await world.pay(alice, 700, { deferred: true });
    const stillHeld = await world.pay(alice, 333, { deferred: true });
    expect((await world.call(`/v1/payments/${delivered.id}/deliveries`, { body: {} })).status).toBe(200);
    expect((await world.call(`/v1/payments/${cancelled.id}/cancellation`, { body: {} })).status).toBe(200);
    expect((await world.call(`/v1/payments/${first.id}/refunds`, { body: { amount: 499 } })).status).toBe(201);
    expect(stillHeld.id).toBeDefined();

    const before = await (await world.call(`/v1/settlements/${DATE}`)).json();
    expect(before.currencies[0].payout).toEqual({ id: null, status: 'unsettled', amount: 0, reference: null });
    await expect(world.server.afterPayment.settlement.settle(DATE)).rejects.toMatchObject({ code: 'settlement_not_due' });

    world.clock.set(new Date(cutoffAt.getTime() + 6 * 60_000));
    const settled = (await world.server.afterPayment.settlement.settle(DATE)).filter((result) => result.merchantId === world.merchantId);
    const expected = 3_000 + 1_550 + 6_001 + 2_000 - 499;
    expect(settled).toEqual([
      {
        merchantId: world.merchantId,
        currency: 'EUR',
        date: DATE,
        id: expect.stringMatching(/^stl_/),
        status: 'paid',
        amount: expected,
        replayed: false,
      },
    ]);

    const report = await (await world.call(`/v1/settlements/${DATE}`)).json();
    const day = report.currencies[0];
    const ledger = await ledgerSums();
    expect(report).toMatchObject({ merchantId: world.merchantId, date: DATE });
    expect(day).toMatchObject({
      currency: 'EUR',
      period: { from: new Date(cutoffAt.getTime() - 86_400_000).toISOString(), to: cutoffAt.toISOString() },
      openingBalance: 0,
      payments: { count: 3, amount: ledger.ticket },
      escrowReleases: { count: 1, amount: ledger.release },
      allowances: { count: 0, amount: 0 },
      refunds: { count: 1, amount: -ledger.refund },
      other: { count: 0, amount: 0 },
      payout: { id: settled[0]?.id, status: 'paid', amount: -ledger.payout, reference: expect.stringMatching(/^pay_/) },
      closingBalance: 0,
    });
    // The ledger's own figures, and the business records behind them, to the cent.
    expect([ledger.ticket, ledger.release, ledger.refund, ledger.payout]).toEqual([3_000 + 1_550 + 6_001, 2_000, -499, -expected]);
    expect(
      day.openingBalance +
        day.payments.amount +
        day.escrowReleases.amount +
        day.allowances.amount -
        day.refunds.amount +
        day.other.amount -
        day.payout.amount,
    ).toBe(day.closingBalance);
    expect(await world.till()).toBe(0n);

    const csv = await world.call(`/v1/settlements/${DATE}`, { headers: { accept: 'text/csv' } });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const [header, row, end] = (await csv.text()).split('\r\n');
    expect(header?.split(',')).toEqual([...SETTLEMENT_CSV_COLUMNS]);
    expect(end).toBe('');
    const cells = Object.fromEntries(SETTLEMENT_CSV_COLUMNS.map((column, index) => [column, row?.split(',')[index]]));
    expect(cells).toMatchObject({
      merchant_id: world.merchantId,
      date: DATE,
      currency: 'EUR',
      payments_amount: String(day.payments.amount),
      escrow_releases_amount: String(day.escrowReleases.amount),
      refunds_amount: String(day.refunds.amount),
      payout_amount: String(expected),
      payout_status: 'paid',
      closing_balance: '0',
      allowances_count: '0',
      allowances_amount: '0',
    });

    // Again, from the scheduler's path: nothing new is paid.
    const again = (await world.server.afterPayment.settlement.settleDue()).filter((result) => result.merchantId === world.merchantId);
    expect(again).toMatchObject([{ status: 'paid', amount: expected, replayed: true }]);
    const payouts = world.sandbox.bank
      .statement('test_approve')
      .filter((operation) => operation.kind === 'payout' && operation.idempotencyKey.includes(world.merchantId));
    expect(payouts).toHaveLength(1);
    expect(payouts[0]?.amount).toBe(expected);

    const paid = await world.outbox('settlement.paid');
    expect(paid.map((row) => row.payload.settlement)).toEqual([{ id: settled[0]?.id, date: DATE, amount: expected, currency: 'EUR' }]);
    await world.deliverAll();
    expect(world.receiver.processed.filter((event) => event.event === 'settlement.paid')).toHaveLength(1);
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  });

  it('refuses a malformed date with request_invalid', async () => {
    for (const date of ['2026-13-01', '2026-02-30', 'yesterday', '20260101']) {
      const response = await world.call(`/v1/settlements/${date}`);
      expect(response.status, date).toBe(400);
      expect((await response.json()).code).toBe('request_invalid');
    }
  });

  if (name === 'postgres')
    it('caisse-server: bank-ref, carrier-key, settle and settlements report', async () => {
      const out: string[] = [];
      const err: string[] = [];
      const io: CliIo = {
        out: (line) => out.push(line),
        err: (line) => err.push(line),
        env: {
          DATABASE_URL: databaseUrl,
          CAISSE_SECRET: secret,
          CAISSE_ISSUER: world.server.issuer,
          CAISSE_SETTLEMENT_CUTOFF: CUTOFF,
          LOG_LEVEL: 'error',
        },
        readStdin: async () => '',
        stopSignal: () => Promise.resolve(),
      };
      expect(await runCommand(['merchants', 'bank-ref', '--id', world.merchantId, '--ref', 'FR7630006000011234567890189'], io)).toBe(0);
      expect(await runCommand(['merchants', 'bank-ref', '--id', 'nobody', '--ref', 'FR76'], io)).toBe(1);
      expect(await runCommand(['merchants', 'bank-ref', '--id', world.merchantId, '--ref', 'has space'], io)).toBe(1);
      expect(await runCommand(['merchants', 'bank-ref', '--id', world.merchantId], io)).toBe(2);
      // The real clock has not reached the test's cut-off: the day is not due yet.
      expect(await runCommand(['settle', '--date', DATE], io)).toBe(1);
      expect(err.join('\n')).toContain('settlement_not_due');
      expect(await runCommand(['settle', '--date', 'tomorrow'], io)).toBe(1);
      expect(await runCommand(['settlements', 'report', '--merchant', world.merchantId, '--date', DATE, '--csv'], io)).toBe(0);
      expect(out.at(-1)?.split('\n')[0]).toBe(SETTLEMENT_CSV_COLUMNS.join(','));
      expect(await runCommand(['merchants', 'carrier-key', 'add', world.merchantId], io)).toBe(2);
    });
});
