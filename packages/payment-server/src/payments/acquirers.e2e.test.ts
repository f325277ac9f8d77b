import { paymentSerial } from '@caisse/protocol';
import type { BankOperation } from '@caisse/sandbox-bank';
import { describe, expect, it } from 'vitest';
import { acquirerTotals } from '../acquirer/totals.js';
import { type AfterPaymentWorld, worldPerSuite } from '../after-payment/__fixtures__/world.js';
import { serverDrivers } from '../api/__fixtures__/api-server.js';

/** A cut-off 20 minutes ahead, on the minute: every movement of the test falls in the day it closes. */
const cutoffAt = new Date(Math.floor((Date.now() + 20 * 60_000) / 60_000) * 60_000);
const DATE = cutoffAt.toISOString().slice(0, 10);

/**
 * Two sandbox banks as two acquirers: `first` takes euros below 1,000.00; `second` takes
 * pounds, and euros from 1,000.00. Payments, captures, refunds and payouts go over real
 * HTTP; each bank's statement must agree with the payment server's record to the cent.
 */
describe.each(await serverDrivers('several acquirers'))('several acquirers on $name', ({ url }) => {
  let world: AfterPaymentWorld;
  worldPerSuite(
    url,
    (made) => {
      world = made;
    },
    {
      env: { CAISSE_SETTLEMENT_CUTOFF: cutoffAt.toISOString().slice(11, 16) },
      routing: {
        first: [{ currencies: ['EUR'], maxAmount: 100_000 }],
        second: [{ currencies: ['GBP'] }, { currencies: ['EUR'], minAmount: 100_000 }],
      },
    },
  );

  async function bankPayment(amount: number, currency = 'EUR') {
    const customer = await world.customer({ funded: 0n });
    const { id } = await world.pay(customer, amount, { currency });
    const { rows } = await world.server.db.query<{ acquirer: string | null; funding: string }>(
      'SELECT acquirer, funding FROM payments WHERE merchant_id = $1 AND serial = $2',
      [world.merchantId, paymentSerial(id)],
    );
    return { id, funding: rows[0]?.funding, acquirer: rows[0]?.acquirer };
  }

  /** The approved operations of one bank's statement, summed as `acquirerTotals` sums ours. */
  function statementTotals(name: string, operations: BankOperation[]) {
    const totals = new Map<string, { acquirer: string; currency: string; kind: string; count: number; amount: number }>();
    for (const operation of operations.filter((candidate) => candidate.status === 'approved')) {
      const key = `${operation.currency}:${operation.kind}`;
      const total = totals.get(key) ?? { acquirer: name, currency: operation.currency ?? '', kind: operation.kind, count: 0, amount: 0 };
      totals.set(key, { ...total, count: total.count + 1, amount: total.amount + operation.amount });
    }
    return [...totals.values()].sort((a, b) => `${a.currency}:${a.kind}`.localeCompare(`${b.currency}:${b.kind}`));
  }

  it('routes each payment by currency and amount band, and records which acquirer took it', async () => {
    expect(await bankPayment(12_000)).toMatchObject({ funding: 'bank', acquirer: 'first' });
    expect(await bankPayment(150_000)).toMatchObject({ funding: 'bank', acquirer: 'second' });
    expect(await bankPayment(20_000, 'GBP')).toMatchObject({ funding: 'bank', acquirer: 'second' });
    // A wallet payment is taken by no acquirer.
    const customer = await world.customer();
    const { id } = await world.pay(customer, 1_000);
    const { rows } = await world.server.db.query('SELECT acquirer, funding FROM payments WHERE merchant_id = $1 AND serial = $2', [
      world.merchantId,
      paymentSerial(id),
    ]);
    expect(rows[0]).toEqual({ acquirer: null, funding: 'wallet' });

    const authorised = (operations: BankOperation[]) =>
      operations.filter((operation) => operation.kind === 'authorise').map((operation) => [operation.currency, operation.amount]);
    expect(authorised(world.sandbox.bank.statement())).toEqual([['EUR', 12_000]]);
    expect(authorised(world.second?.bank.statement() ?? [])).toEqual([
      ['EUR', 150_000],
      ['GBP', 20_000],
    ]);
  });

  it('captures, refunds and pays out at the right acquirer; each bank reconciles with the server to the cent', async () => {
    await world.server.db.query(`UPDATE merchants SET bank_ref = 'test_approve' WHERE id = $1`, [world.merchantId]);
    const large = await bankPayment(120_000);
    const pounds = await bankPayment(30_000, 'GBP');
    expect([large.acquirer, pounds.acquirer]).toEqual(['second', 'second']);

    await world.server.afterPayment.captures.run();
    expect((await world.call(`/v1/payments/${large.id}/refunds`, { body: { amount: 20_000 } })).status).toBe(201);
    expect((await world.call(`/v1/payments/${pounds.id}/refunds`, { body: { amount: 5_000 } })).status).toBe(201);

    world.clock.set(new Date(cutoffAt.getTime() + 6 * 60_000));
    const settled = (await world.server.afterPayment.settlement.settle(DATE)).filter((result) => result.merchantId === world.merchantId);
    expect(settled.map((result) => [result.currency, result.status])).toEqual([
      ['EUR', 'paid'],
      ['GBP', 'paid'],
    ]);

    const first = world.sandbox.bank.statement();
    const second = world.second?.bank.statement() ?? [];
    // Every capture and refund went to the bank that authorised the payment: the first bank never saw the second's.
    const kinds = (operations: BankOperation[], currency: string) =>
      operations.filter((operation) => operation.currency === currency || operation.currency === null).map((operation) => operation.kind);
    expect(kinds(second, 'GBP')).toEqual(expect.arrayContaining(['authorise', 'capture', 'refund', 'payout']));
    expect(first.some((operation) => operation.currency === 'GBP')).toBe(false);
    // Payouts go to the first acquirer that takes the till's currency: euros at the first bank, pounds at the second.
    expect(first.filter((operation) => operation.kind === 'payout').map((operation) => operation.currency)).toEqual(['EUR']);
    expect(second.filter((operation) => operation.kind === 'payout').map((operation) => operation.currency)).toEqual(['GBP']);

    const ours = await acquirerTotals(world.server.db);
    expect(ours.filter((total) => total.acquirer === 'first')).toEqual(statementTotals('first', first));
    expect(ours.filter((total) => total.acquirer === 'second')).toEqual(statementTotals('second', second));
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  });
});
