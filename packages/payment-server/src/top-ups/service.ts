import { randomBytes } from 'node:crypto';
import { bankTopUpKey } from '../acquirer/keys.js';
import type { AcquirerOperations } from '../acquirer/operations.js';
import type { BankMetadata, PurposeHandler } from '../acquirer/purposes.js';
import { customerBankRef } from '../customers/bank-ref.js';
import { ProblemError } from '../http/problem.js';
import { isLedgerError } from '../ledger/errors.js';
import { bookTopUp, holdTopUp, voidTopUp } from '../ledger/postings.js';
import { createLedger } from '../ledger/service.js';
import type { Logger } from '../log.js';
import type { Database, Queryable } from '../storage/database.js';

/** The acquirer's merchant field for top-ups: the operator itself is paid. */
const TOP_UP_PAYEE = 'caisse-wallet';

export interface TopUp {
  id: string;
  amount: number;
  currency: string;
  /** `pending`: the bank has not answered yet; the wallet is credited exactly once when it approves. */
  status: 'pending' | 'succeeded' | 'declined';
  createdAt: string;
}

export interface TopUpInput {
  /** Minor units, positive. */
  amount: bigint;
  currency: string;
  /** The caller's id for this top-up (the form's, the device's): the same id tops up once. */
  requestId: string;
}

export interface TopUpService {
  /**
   * Charges the customer's bank (`bank_ref`) and credits the wallet. The wallet's cap is
   * reserved before the bank is charged, and held again when the money is booked.
   * @throws ProblemError `customer_unknown`, `customer_bank_account_missing`, `wallet_unknown`,
   * `wallet_cap_exceeded` (nothing charged), `bank_declined` (no acquirer configured), `request_invalid`
   */
  topUp(customerId: string, input: TopUpInput): Promise<TopUp>;
  /** Sends again the top-ups left pending by a crash before the bank was asked. */
  resume(options?: { limit?: number }): Promise<number>;
}

interface TopUpRow {
  id: string;
  customer_id: string;
  amount: bigint;
  currency: string;
  status: TopUp['status'];
  pending_id: string;
  created_at: Date;
}

const COLUMNS = 'id, customer_id, amount, currency, status, pending_id, created_at';

async function byId(executor: Queryable, id: string, lock = false): Promise<TopUpRow | undefined> {
  const { rows } = await executor.query<TopUpRow>(`SELECT ${COLUMNS} FROM top_ups WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0];
}

function toTopUp(row: TopUpRow): TopUp {
  return { id: row.id, amount: Number(row.amount), currency: row.currency, status: row.status, createdAt: row.created_at.toISOString() };
}

/**
 * Wallet top-ups from the customer's bank, through the acquirer. The money is first a
 * pending ledger transfer (bank clearing → wallet): its credit counts against the wallet
 * cap, so a top-up that would break the cap is refused before the bank is charged, and
 * concurrent top-ups cannot together exceed it. The bank authorisation, sent under the
 * top-up's key (`bankTopUpKey`), posts the pending transfer when approved and voids it when
 * declined, in the transaction that settles the operation (reconciliation included).
 * @example await createTopUpService({ db, bank: operations }).topUp('alice', { amount: 2000n, currency: 'EUR', requestId })
 */
export function createTopUpService(deps: {
  db: Database;
  /** The acquirers: a top-up goes to the first that takes its currency (the payee is the operator). */
  bank: AcquirerOperations<BankMetadata>;
  now?: () => Date;
  log?: Logger;
  resumeAfterMs?: number;
}): TopUpService {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  async function send(row: TopUpRow, bankRef: string): Promise<void> {
    await deps.bank.authorise({
      idempotencyKey: bankTopUpKey(row.customer_id, row.id),
      customerBankRef: bankRef,
      amount: Number(row.amount),
      currency: row.currency,
      merchantId: TOP_UP_PAYEE,
      description: 'Wallet top-up',
      metadata: { purpose: 'top_up', topUp: row.id },
    });
  }

  async function bankRefOf(executor: Queryable, customerId: string): Promise<string> {
    const bankRef = await customerBankRef(executor, customerId);
    if (bankRef === undefined) throw new ProblemError('customer_unknown');
    if (bankRef === null) throw new ProblemError('customer_bank_account_missing');
    return bankRef;
  }

  return {
    async topUp(customerId, input) {
      if (!/^[A-Za-z0-9._:-]{1,64}$/.test(input.requestId)) {
        throw new ProblemError('request_invalid', 'request: must be 1–64 characters of A-Z a-z 0-9 . _ : -.');
      }
      if (deps.bank.route({ currency: input.currency, amount: Number(input.amount), merchantId: TOP_UP_PAYEE }).length === 0) {
        throw new ProblemError('bank_declined', 'No acquirer on this payment server takes this top-up.');
      }
      const { row, bankRef } = await db.transaction(async (tx) => {
        const bankRef = await bankRefOf(tx, customerId);
        const { rows: again } = await tx.query<TopUpRow>(`SELECT ${COLUMNS} FROM top_ups WHERE customer_id = $1 AND request_id = $2`, [
          customerId,
          input.requestId,
        ]);
        if (again[0] !== undefined) return { row: again[0], bankRef };
        const wallet = await createLedger(tx).findAccount('customer_wallet', customerId, input.currency);
        if (wallet === undefined) throw new ProblemError('wallet_unknown');
        const id = `tu_${randomBytes(16).toString('base64url')}`;
        let pendingId: string;
        try {
          const pending = await holdTopUp(tx, { customerId, topUpId: id, amount: input.amount, currency: input.currency, wallet });
          pendingId = pending.id;
        } catch (error) {
          if (isLedgerError(error, 'wallet_cap_exceeded')) {
            throw new ProblemError('wallet_cap_exceeded', 'This top-up would take the wallet above its cap; nothing was charged.');
          }
          if (isLedgerError(error, 'invalid_request')) throw new ProblemError('request_invalid', error.message);
          throw error;
        }
        const { rows } = await tx.query<TopUpRow>(
          `INSERT INTO top_ups (id, customer_id, request_id, amount, currency, status, pending_id, created_at)
           VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7) RETURNING ${COLUMNS}`,
          [id, customerId, input.requestId, input.amount, input.currency, pendingId, now()],
        );
        return { row: rows[0] as TopUpRow, bankRef };
      });
      if (row.status === 'pending') await send(row, bankRef);
      return toTopUp((await byId(db, row.id)) ?? row);
    },

    async resume(options = {}) {
      const { rows } = await db.query<TopUpRow>(
        `SELECT ${COLUMNS} FROM top_ups WHERE status = 'pending' AND created_at < $1 ORDER BY created_at LIMIT $2`,
        [new Date(now().getTime() - (deps.resumeAfterMs ?? 60_000)), options.limit ?? 50],
      );
      for (const row of rows) {
        await bankRefOf(db, row.customer_id)
          .then((bankRef) => send(row, bankRef))
          .catch((error: unknown) => deps.log?.error('top_up.resume_failed', { topUp: row.id, error }));
      }
      return rows.length;
    },
  };
}

/** Top-ups: the pending credit of the wallet is posted when the acquirer approves, voided when it refuses. */
export function topUpHandler(deps: { now?: () => Date; log?: Logger }): PurposeHandler<'top_up'> {
  const now = deps.now ?? (() => new Date());
  return {
    async approved(tx, operation, context) {
      const row = await byId(tx, context.topUp, true);
      if (row === undefined || row.status !== 'pending') return;
      const posted = await bookTopUp(tx, row.pending_id);
      await tx.query(`UPDATE top_ups SET status = 'succeeded', transfer_serial = $2, bank_reference = $3, resolved_at = $4 WHERE id = $1`, [
        row.id,
        posted.serial,
        operation.bankReference,
        now(),
      ]);
      deps.log?.info('top_up.succeeded', { topUp: row.id, amount: Number(row.amount), currency: row.currency });
    },

    async declined(tx, operation, context) {
      const row = await byId(tx, context.topUp, true);
      if (row === undefined || row.status !== 'pending') return;
      await voidTopUp(tx, row.pending_id);
      await tx.query(`UPDATE top_ups SET status = 'declined', decline_reason = $2, resolved_at = $3 WHERE id = $1`, [
        row.id,
        operation.declineReason,
        now(),
      ]);
    },
  };
}
