/** Test fixtures for the ledger: a funded wallet, a till and the accounts behind them. Not exported from the package. */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../storage/database.js';
import type { Account } from './model.js';
import { credit, debit } from './model.js';
import type { Ledger } from './service.js';

export interface Shop {
  /** A short random tag that keeps this test's owners and keys apart from the others'. */
  tag: string;
  wallet: Account;
  till: Account;
  funding: Account;
}

/** A customer wallet (cap 1,000.00) funded with `funded` minor units, and a merchant till. */
export async function openShop(ledger: Ledger, options: { funded?: bigint; cap?: bigint; currency?: string } = {}): Promise<Shop> {
  const tag = randomUUID().slice(0, 8);
  const currency = options.currency ?? 'EUR';
  const wallet = await ledger.openAccount({ type: 'customer_wallet', ownerId: `customer-${tag}`, currency, cap: options.cap ?? 100_000n });
  const till = await ledger.openAccount({ type: 'merchant_till', ownerId: `merchant-${tag}`, currency });
  const funding = await ledger.openAccount({ type: 'wallet_funding', ownerId: 'operator', currency });
  const funded = options.funded ?? 50_000n;
  if (funded > 0n) {
    await ledger.transfer({ idempotencyKey: `fund:${tag}`, lines: [debit(funding.id, funded), credit(wallet.id, funded)] });
  }
  return { tag, wallet, till, funding };
}

/** Rows in the journal, to show that a refused request wrote nothing. */
export async function journalSize(db: Queryable): Promise<{ transfers: bigint; entries: bigint; pending: bigint }> {
  const { rows } = await db.query<{ transfers: bigint; entries: bigint; pending: bigint }>(
    `SELECT (SELECT count(*) FROM ledger_transfers) AS transfers,
            (SELECT count(*) FROM ledger_entries) AS entries,
            (SELECT count(*) FROM ledger_pending) AS pending`,
  );
  const row = rows[0];
  if (row === undefined) throw new Error('no row');
  return row;
}
