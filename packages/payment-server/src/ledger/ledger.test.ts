import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../storage/database.js';
import { openTestDatabase, type TestDatabase, testDrivers } from '../storage/test-support.js';
import { isLedgerError, type LedgerErrorCode } from './errors.js';
import { credit, debit, type LineInput } from './model.js';
import { rollUpBalances } from './rollups.js';
import { createLedger, type Ledger } from './service.js';
import { journalSize, openShop } from './test-fixtures.js';

const drivers = await testDrivers('payment-server ledger');

/** Awaits a promise that must fail with this ledger error code, and returns the error. */
async function refused(promise: Promise<unknown>, code: LedgerErrorCode) {
  const error = await promise.then(
    () => {
      throw new Error(`expected ${code}, but it succeeded`);
    },
    (failure: unknown) => failure,
  );
  if (!isLedgerError(error, code)) throw new Error(`expected ${code}, got ${String(error)}`, { cause: error });
  return error;
}

describe.each(drivers)('ledger on %s', (driver) => {
  let handle: TestDatabase;
  let db: Database;
  let ledger: Ledger;

  beforeAll(async () => {
    handle = await openTestDatabase(driver, 'ledger');
    db = handle.db;
    ledger = createLedger(db);
  });
  afterAll(() => handle.close());

  describe('accounts', () => {
    it('opens an account once and returns it on the next call', async () => {
      const first = await ledger.openAccount({ type: 'merchant_till', ownerId: 'm-open', currency: 'EUR' });
      const again = await ledger.openAccount({ type: 'merchant_till', ownerId: 'm-open', currency: 'EUR' });
      expect(again).toEqual(first);
      expect(first).toMatchObject({ type: 'merchant_till', ownerId: 'm-open', currency: 'EUR', tracked: false });
      expect(await ledger.account(first.id)).toEqual(first);
      expect(await ledger.findAccount('merchant_till', 'm-open', 'EUR')).toEqual(first);
      expect(await ledger.findAccount('merchant_till', 'm-open', 'USD')).toBeUndefined();
    });

    it('needs a cap for a wallet, refuses one elsewhere, and refuses a different cap for an existing wallet', async () => {
      await refused(ledger.openAccount({ type: 'customer_wallet', ownerId: 'c-nocap', currency: 'EUR' }), 'invalid_request');
      await refused(ledger.openAccount({ type: 'merchant_till', ownerId: 'm-cap', currency: 'EUR', cap: 10n }), 'invalid_request');
      const wallet = await ledger.openAccount({ type: 'customer_wallet', ownerId: 'c-cap', currency: 'EUR', cap: 10_000n });
      expect((await ledger.balance(wallet.id)).cap).toBe(10_000n);
      await refused(ledger.openAccount({ type: 'customer_wallet', ownerId: 'c-cap', currency: 'EUR', cap: 20_000n }), 'account_conflict');
    });

    it('refuses unknown types, currencies and ids', async () => {
      await refused(ledger.openAccount({ type: 'piggy_bank' as 'escrow', ownerId: 'x', currency: 'EUR' }), 'invalid_request');
      await refused(ledger.openAccount({ type: 'escrow', ownerId: 'x', currency: 'XXX' }), 'invalid_request');
      await refused(ledger.account('not-a-uuid'), 'account_not_found');
      await refused(ledger.account('00000000-0000-4000-8000-000000000000'), 'account_not_found');
      await refused(ledger.wallet('nobody', 'EUR'), 'account_not_found');
    });
  });

  describe('transfers', () => {
    it('moves money between accounts in one balanced transfer', async () => {
      const { wallet, till, funding, tag } = await openShop(ledger, { funded: 50_000n });
      const paid = await ledger.transfer({
        idempotencyKey: `ticket:${tag}:1`,
        requestHash: 'sha256-of-the-ticket',
        lines: [debit(wallet.id, 1_250n), credit(till.id, 1_250n)],
        metadata: { ticket: '1', items: [{ id: 'book', quantity: 2 }] },
      });
      expect(paid).toMatchObject({ idempotencyKey: `ticket:${tag}:1`, pendingId: null, replayed: false, metadata: { ticket: '1' } });
      expect(paid.lines).toEqual(
        expect.arrayContaining([
          { accountId: wallet.id, currency: 'EUR', amount: -1_250n },
          { accountId: till.id, currency: 'EUR', amount: 1_250n },
        ]),
      );
      expect(await ledger.wallet(`customer-${tag}`, 'EUR')).toMatchObject({
        account: wallet,
        balance: 48_750n,
        available: 48_750n,
        cap: 100_000n,
      });
      expect((await ledger.balance(till.id)).balance).toBe(1_250n);
      expect((await ledger.getTransfer(paid.serial))?.lines).toEqual(paid.lines);
      expect((await ledger.balance(funding.id)).balance).toBeLessThan(0n); // money that came in from outside
    });

    it.each<[string, (shop: { wallet: string; till: string; other: string }) => LineInput[]]>([
      ['credits less than debits', ({ wallet, till }) => [debit(wallet, 1_000n), credit(till, 999n)]],
      ['one line', ({ wallet }) => [debit(wallet, 1_000n)]],
      ['balanced in total but not per currency', ({ wallet, other }) => [debit(wallet, 1_000n), credit(other, 1_000n)]],
    ])('refuses a transfer whose lines do not balance (%s) and writes nothing', async (_, lines) => {
      const { wallet, till, tag } = await openShop(ledger);
      const other = await ledger.openAccount({ type: 'merchant_till', ownerId: `merchant-${tag}`, currency: 'USD' });
      const before = await journalSize(db);
      await refused(
        ledger.transfer({ idempotencyKey: `unbalanced:${tag}`, lines: lines({ wallet: wallet.id, till: till.id, other: other.id }) }),
        'unbalanced',
      );
      expect(await journalSize(db)).toEqual(before);
      expect((await ledger.balance(wallet.id)).balance).toBe(50_000n);
      expect(await ledger.findTransfer(`unbalanced:${tag}`)).toBeUndefined();
    });

    it('refuses to take a wallet below zero and writes nothing', async () => {
      const { wallet, till, tag } = await openShop(ledger, { funded: 500n });
      const before = await journalSize(db);
      await refused(
        ledger.transfer({ idempotencyKey: `overdraw:${tag}`, lines: [debit(wallet.id, 501n), credit(till.id, 501n)] }),
        'insufficient_funds',
      );
      expect(await journalSize(db)).toEqual(before);
      expect((await ledger.balance(wallet.id)).balance).toBe(500n);
      await ledger.transfer({ idempotencyKey: `exact:${tag}`, lines: [debit(wallet.id, 500n), credit(till.id, 500n)] });
      expect((await ledger.balance(wallet.id)).balance).toBe(0n);
    });

    it('refuses to take a wallet above its cap and writes nothing', async () => {
      const { wallet, funding, tag } = await openShop(ledger, { funded: 900n, cap: 1_000n });
      const before = await journalSize(db);
      await refused(
        ledger.transfer({ idempotencyKey: `topup:${tag}`, lines: [debit(funding.id, 101n), credit(wallet.id, 101n)] }),
        'wallet_cap_exceeded',
      );
      expect(await journalSize(db)).toEqual(before);
      expect((await ledger.balance(wallet.id)).balance).toBe(900n);
    });

    it('refuses a cap below what the wallet holds', async () => {
      const { wallet } = await openShop(ledger, { funded: 900n, cap: 1_000n });
      await refused(ledger.setCap(wallet.id, 899n), 'wallet_cap_exceeded');
      expect((await ledger.setCap(wallet.id, 950n)).cap).toBe(950n);
    });

    it('refuses lines on an account that does not exist', async () => {
      const { wallet, tag } = await openShop(ledger);
      await refused(
        ledger.transfer({
          idempotencyKey: `ghost:${tag}`,
          lines: [debit(wallet.id, 1n), credit('00000000-0000-4000-8000-000000000000', 1n)],
        }),
        'account_not_found',
      );
    });

    it('refuses malformed requests before they reach the database', async () => {
      const { wallet, till, tag } = await openShop(ledger);
      const malformed: unknown[] = [
        { idempotencyKey: '', lines: [debit(wallet.id, 1n), credit(till.id, 1n)] },
        { idempotencyKey: tag, lines: [] },
        { idempotencyKey: tag, lines: [{ accountId: wallet.id, amount: -12.5 }, credit(till.id, 1n)] },
        { idempotencyKey: tag, lines: [{ accountId: wallet.id, amount: 0n }] },
        { idempotencyKey: tag, lines: [debit(wallet.id, 1n), credit(wallet.id, 1n)] },
        { idempotencyKey: tag, lines: [debit(wallet.id, 1n), credit(till.id, 1n)], metadata: { rate: 0.5 } },
      ];
      for (const input of malformed) await refused(ledger.transfer(input as never), 'invalid_request');
      expect(() => debit(wallet.id, -5n)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    });

    it('returns the first transfer when the same request comes again, and moves money once', async () => {
      const { wallet, till, tag } = await openShop(ledger);
      const request = {
        idempotencyKey: `ticket:${tag}:replay`,
        requestHash: 'ticket-hash',
        lines: [debit(wallet.id, 1_000n), credit(till.id, 1_000n)],
        metadata: { ticket: 'replay' },
      };
      const first = await ledger.transfer(request);
      const again = await ledger.transfer({ ...request, lines: [...request.lines].reverse() });
      expect(again).toEqual({ ...first, replayed: true });
      expect((await ledger.balance(wallet.id)).balance).toBe(49_000n);
    });

    it.each([
      ['another amount', { lines: 'amount' }],
      ['other metadata', { metadata: { ticket: 'other' } }],
      ['another request hash', { requestHash: 'other-ticket-hash' }],
    ] as const)('refuses the same key with %s, writes nothing, and says which transfer holds the key', async (_, change) => {
      const { wallet, till, tag } = await openShop(ledger);
      const request = {
        idempotencyKey: `ticket:${tag}:conflict`,
        requestHash: 'ticket-hash',
        lines: [debit(wallet.id, 1_000n), credit(till.id, 1_000n)],
        metadata: { ticket: 'conflict' },
      };
      const first = await ledger.transfer(request);
      const before = await journalSize(db);
      const conflicting = {
        ...request,
        ...change,
        lines: 'lines' in change ? [debit(wallet.id, 2_000n), credit(till.id, 2_000n)] : request.lines,
      };
      const error = await refused(ledger.transfer(conflicting), 'idempotency_conflict');
      expect(error.details.serial).toBe(first.serial.toString());
      expect(await journalSize(db)).toEqual(before);
      expect((await ledger.balance(wallet.id)).balance).toBe(49_000n);
    });

    it('draws register serials that only grow, with gaps where transfers failed', async () => {
      const { wallet, till, tag } = await openShop(ledger);
      const first = await ledger.transfer({ idempotencyKey: `serial:${tag}:1`, lines: [debit(wallet.id, 1n), credit(till.id, 1n)] });
      await refused(
        ledger.transfer({ idempotencyKey: `serial:${tag}:2`, lines: [debit(wallet.id, 10n ** 9n), credit(till.id, 10n ** 9n)] }),
        'insufficient_funds',
      );
      const third = await ledger.transfer({ idempotencyKey: `serial:${tag}:3`, lines: [debit(wallet.id, 1n), credit(till.id, 1n)] });
      const voucherOnly = await ledger.nextRegisterSerial();
      expect(third.serial).toBeGreaterThan(first.serial);
      expect(voucherOnly).toBeGreaterThan(third.serial);
    });
  });

  describe('pending transfers', () => {
    it('reserves funds, then posts the same lines into the register', async () => {
      const { wallet, till, tag } = await openShop(ledger, { funded: 1_000n });
      const pending = await ledger.createPending({
        idempotencyKey: `escrow:${tag}`,
        lines: [debit(wallet.id, 700n), credit(till.id, 700n)],
      });
      expect(pending).toMatchObject({ status: 'pending', serial: null, resolvedAt: null, replayed: false });
      expect(await ledger.balance(wallet.id)).toMatchObject({ balance: 1_000n, pendingDebits: 700n, available: 300n });
      expect(await ledger.balance(till.id)).toMatchObject({ balance: 0n, pendingCredits: 700n });

      await refused(
        ledger.transfer({ idempotencyKey: `spend:${tag}`, lines: [debit(wallet.id, 301n), credit(till.id, 301n)] }),
        'insufficient_funds',
      );
      await refused(
        ledger.createPending({ idempotencyKey: `escrow2:${tag}`, lines: [debit(wallet.id, 301n), credit(till.id, 301n)] }),
        'insufficient_funds',
      );

      const posted = await ledger.postPending(pending.id);
      expect(posted).toMatchObject({ pendingId: pending.id, idempotencyKey: null });
      expect(posted.lines).toEqual(pending.lines);
      expect(await ledger.balance(wallet.id)).toMatchObject({ balance: 300n, pendingDebits: 0n, available: 300n });
      expect(await ledger.balance(till.id)).toMatchObject({ balance: 700n, pendingCredits: 0n });
      expect(await ledger.getPending(pending.id)).toMatchObject({ status: 'posted', serial: posted.serial });
    });

    it('releases the reservation when voided, and moves nothing', async () => {
      const { wallet, till, tag } = await openShop(ledger, { funded: 1_000n });
      const pending = await ledger.createPending({
        idempotencyKey: `hold:${tag}`,
        lines: [debit(wallet.id, 1_000n), credit(till.id, 1_000n)],
      });
      const voided = await ledger.voidPending(pending.id);
      expect(voided).toMatchObject({ status: 'voided', serial: null });
      expect(await ledger.balance(wallet.id)).toMatchObject({ balance: 1_000n, pendingDebits: 0n, available: 1_000n });
      expect((await ledger.balance(till.id)).balance).toBe(0n);
    });

    it('resolves a pending transfer at most once, and says how it was resolved', async () => {
      const { wallet, till, tag } = await openShop(ledger, { funded: 1_000n });
      const lines = [debit(wallet.id, 100n), credit(till.id, 100n)];
      const posted = await ledger.createPending({ idempotencyKey: `once:${tag}:a`, lines });
      const transfer = await ledger.postPending(posted.id);
      const doublePost = await refused(ledger.postPending(posted.id), 'pending_already_resolved');
      expect(doublePost.details).toMatchObject({ outcome: 'posted', serial: transfer.serial.toString() });
      await refused(ledger.voidPending(posted.id), 'pending_already_resolved');

      const voided = await ledger.createPending({ idempotencyKey: `once:${tag}:b`, lines });
      await ledger.voidPending(voided.id);
      const postAfterVoid = await refused(ledger.postPending(voided.id), 'pending_already_resolved');
      expect(postAfterVoid.details).toMatchObject({ outcome: 'voided' });
      await refused(ledger.voidPending(voided.id), 'pending_already_resolved');

      expect((await ledger.balance(wallet.id)).balance).toBe(900n);
      await refused(ledger.postPending('00000000-0000-4000-8000-000000000000'), 'pending_not_found');
      await refused(ledger.voidPending('nope'), 'pending_not_found');
    });

    it('holds cap headroom for pending credits', async () => {
      const { wallet, funding, tag } = await openShop(ledger, { funded: 0n, cap: 1_000n });
      await ledger.createPending({ idempotencyKey: `bank-topup:${tag}`, lines: [debit(funding.id, 800n), credit(wallet.id, 800n)] });
      await refused(
        ledger.transfer({ idempotencyKey: `topup:${tag}`, lines: [debit(funding.id, 300n), credit(wallet.id, 300n)] }),
        'wallet_cap_exceeded',
      );
    });

    it('is idempotent by key like a transfer', async () => {
      const { wallet, till, tag } = await openShop(ledger);
      const request = { idempotencyKey: `pending:${tag}`, lines: [debit(wallet.id, 10n), credit(till.id, 10n)] };
      const first = await ledger.createPending(request);
      expect(await ledger.createPending(request)).toEqual({ ...first, replayed: true });
      await refused(ledger.createPending({ ...request, lines: [debit(wallet.id, 11n), credit(till.id, 11n)] }), 'idempotency_conflict');
      expect((await ledger.balance(wallet.id)).pendingDebits).toBe(10n);
    });
  });

  describe('derived balances', () => {
    it('sums a till from its entries, with or without roll-ups', async () => {
      const { till, funding, tag } = await openShop(ledger, { funded: 0n });
      const customers = await Promise.all(
        [1, 2, 3].map(async (n) => {
          const wallet = await ledger.openAccount({ type: 'customer_wallet', ownerId: `c-${tag}-${n}`, currency: 'EUR', cap: 10_000n });
          await ledger.transfer({ idempotencyKey: `fund:${tag}:${n}`, lines: [debit(funding.id, 1_000n), credit(wallet.id, 1_000n)] });
          return wallet;
        }),
      );
      const pay = (wallet: { id: string }, n: number) =>
        ledger.transfer({
          idempotencyKey: `pay:${tag}:${n}`,
          lines: [debit(wallet.id, 100n * BigInt(n)), credit(till.id, 100n * BigInt(n))],
        });
      await pay(customers[0] as { id: string }, 1);
      await pay(customers[1] as { id: string }, 2);
      expect((await ledger.balance(till.id)).balance).toBe(300n);
      expect(await rollUpBalances(db)).toMatchObject({ busy: false });
      expect((await ledger.balance(till.id)).balance).toBe(300n);
      await pay(customers[2] as { id: string }, 3);
      expect((await ledger.balance(till.id)).balance).toBe(600n);
      await rollUpBalances(db);
      expect((await ledger.balance(till.id)).balance).toBe(600n);
      const { rows } = await db.query<{ balance: bigint }>('SELECT balance FROM ledger_rollups WHERE account_id = $1', [till.id]);
      expect(rows).toEqual([{ balance: 600n }]);
    });
  });

  describe('inside a caller transaction', () => {
    it('joins the transaction, and a refused transfer leaves it usable', async () => {
      const { wallet, till, tag } = await openShop(ledger, { funded: 1_000n });
      const outcome = await db.transaction(async (tx) => {
        const inTx = createLedger(tx);
        const paid = await inTx.transfer({ idempotencyKey: `tx:${tag}:1`, lines: [debit(wallet.id, 600n), credit(till.id, 600n)] });
        const refusal = await inTx
          .transfer({ idempotencyKey: `tx:${tag}:2`, lines: [debit(wallet.id, 600n), credit(till.id, 600n)] })
          .catch((error: unknown) => error);
        const unbalanced = await inTx
          .transfer({ idempotencyKey: `tx:${tag}:3`, lines: [debit(wallet.id, 10n), credit(till.id, 9n)] })
          .catch((error: unknown) => error);
        expect((await inTx.balance(wallet.id)).balance).toBe(400n);
        return { paid, refusal, unbalanced };
      });
      expect(isLedgerError(outcome.refusal, 'insufficient_funds')).toBe(true);
      expect(isLedgerError(outcome.unbalanced, 'unbalanced')).toBe(true); // checked before returning, not at the caller's commit
      expect((await ledger.balance(wallet.id)).balance).toBe(400n);
      expect(await ledger.findTransfer(`tx:${tag}:2`)).toBeUndefined();
    });

    it('rolls back with the caller', async () => {
      const { wallet, till, tag } = await openShop(ledger, { funded: 1_000n });
      await expect(
        db.transaction(async (tx) => {
          await createLedger(tx).transfer({ idempotencyKey: `rollback:${tag}`, lines: [debit(wallet.id, 600n), credit(till.id, 600n)] });
          throw new Error('voucher could not be stored');
        }),
      ).rejects.toThrow('voucher could not be stored');
      expect((await ledger.balance(wallet.id)).balance).toBe(1_000n);
      expect(await ledger.findTransfer(`rollback:${tag}`)).toBeUndefined();
    });
  });
});
