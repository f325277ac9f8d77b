import { randomBytes } from 'node:crypto';
import { bankPayoutKey } from '../acquirer/keys.js';
import type { AcquirerOperations } from '../acquirer/operations.js';
import type { BankMetadata, PurposeHandler } from '../acquirer/purposes.js';
import { createAlertService } from '../alerts/service.js';
import { ProblemError } from '../http/problem.js';
import { bookPayout, LEDGER_KEY_PREFIXES } from '../ledger/postings.js';
import type { Logger } from '../log.js';
import { enqueueNotification } from '../notifications/outbox.js';
import type { Database, Queryable } from '../storage/database.js';
import { type Cutoff, cutoffOf, isDate, latestClosedDate, previousDate } from './cutoff.js';
import type { Movements, SettlementDay, SettlementReport, SettlementResult, SettlementStatus } from './model.js';

/** Transactions are short: five minutes after the cut-off, every movement dated before it has committed. */
export const SETTLEMENT_GRACE_MS = 5 * 60_000;

export interface SettlementDeps {
  db: Database;
  cutoff: Cutoff;
  /** The acquirers: a payout goes to the first that takes the till's currency and merchant; with none, it waits, pending. */
  bank: AcquirerOperations<BankMetadata>;
  now?: () => Date;
  log?: Logger;
  graceMs?: number;
  /** A pending settlement untouched this long is sent again by `resume`. Default 60 s. */
  resumeAfterMs?: number;
}

export interface SettlementService {
  /**
   * Settles day `date` (`YYYY-MM-DD`) for every merchant till (or one merchant's): pays
   * out what the till holds up to the day's cut-off, once per merchant, day and currency,
   * however often and wherever it runs.
   * @throws ProblemError `request_invalid` (date), `settlement_not_due`
   */
  settle(date: string, options?: { merchantId?: string }): Promise<SettlementResult[]>;
  /** Settles the latest day whose cut-off has passed: what the scheduler runs on every instance. */
  settleDue(): Promise<SettlementResult[]>;
  /** The merchant's day, in every currency its till has. @throws ProblemError `request_invalid` (date) */
  report(merchantId: string, date: string): Promise<SettlementReport>;
  /** Sends again the payouts of settlements left pending (a crash between recording and sending). */
  resume(options?: { limit?: number }): Promise<number>;
}

interface SettlementRow {
  id: string;
  merchant_id: string;
  date: string;
  currency: string;
  amount: bigint;
  status: SettlementStatus;
  account_ref: string | null;
  payout_key: string | null;
  bank_reference: string | null;
}

const SETTLEMENT_COLUMNS = `id, merchant_id, to_char(date, 'YYYY-MM-DD') AS date, currency, amount, status, account_ref, payout_key, bank_reference`;

/**
 * How each till entry came: a payment booked straight to the till, the posting of a held
 * payment (escrow release), the grouped remittance of an allowance's charges, a refund, a
 * payout — by the prefix of the ledger key each posting uses (`ledger/postings.ts`;
 * constants, so interpolating them is safe). An allowance's reservation is a pending
 * transfer that is only ever voided: it puts no entry in the till.
 */
const KIND = `CASE WHEN t.pending_id IS NOT NULL THEN 'release'
  WHEN t.idempotency_key LIKE '${LEDGER_KEY_PREFIXES.payment}%' THEN 'payment'
  WHEN t.idempotency_key LIKE '${LEDGER_KEY_PREFIXES.allowanceRemittance}%' THEN 'allowance'
  WHEN t.idempotency_key LIKE '${LEDGER_KEY_PREFIXES.refund}%' THEN 'refund'
  WHEN t.idempotency_key LIKE '${LEDGER_KEY_PREFIXES.payout}%' THEN 'payout'
  ELSE 'other' END`;

function invalidDate(): ProblemError {
  const message = 'must be a calendar date written YYYY-MM-DD';
  return new ProblemError('request_invalid', `date: ${message}.`, { issues: [{ path: 'date', message }] });
}

function movements(count: bigint | number | undefined, amount: bigint | undefined): Movements {
  return { count: Number(count ?? 0), amount: Number(amount ?? 0n) };
}

/**
 * Daily settlement of merchant tills. For each till, the day's amount is what it holds
 * at the cut-off and has not been paid out: every entry dated before the cut-off except
 * payouts, less every settlement of an earlier day that was not declined. The settlement
 * row (unique per merchant, day and currency) is committed before the payout is sent
 * under its key (`bankPayoutKey`: one per merchant, day and currency); the acquirer's
 * hook books the payout (`bookPayout`: till → bank clearing) and `settlement.paid` when
 * the bank approves, exactly once.
 * @example const settlement = createSettlementService({ db, cutoff: { hour: 22, minute: 0 }, bank: operations })
 */
export function createSettlementService(deps: SettlementDeps): SettlementService {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const graceMs = deps.graceMs ?? SETTLEMENT_GRACE_MS;
  const resumeAfterMs = deps.resumeAfterMs ?? 60_000;

  /** What the till held, not yet paid out, at `at`; `date` excludes that day's own settlement. */
  async function unsettled(
    executor: Queryable,
    tillId: string,
    merchantId: string,
    currency: string,
    at: Date,
    date: string,
  ): Promise<bigint> {
    const { rows } = await executor.query<{ held: bigint; settled: bigint }>(
      `SELECT
         (SELECT coalesce(sum(e.amount), 0)::int8 FROM ledger_entries e JOIN ledger_transfers t ON t.serial = e.serial
           WHERE e.account_id = $1 AND t.created_at < $2 AND ${KIND} <> 'payout') AS held,
         (SELECT coalesce(sum(amount), 0)::int8 FROM settlements
           WHERE merchant_id = $3 AND currency = $4 AND date < $5::date AND status IN ('pending', 'paid')) AS settled`,
      [tillId, at, merchantId, currency, date],
    );
    return BigInt(rows[0]?.held ?? 0) - BigInt(rows[0]?.settled ?? 0);
  }

  async function tills(merchantId?: string): Promise<{ id: string; merchantId: string; currency: string }[]> {
    const { rows } = await db.query<{ id: string; owner_id: string; currency: string }>(
      `SELECT id, owner_id, currency FROM ledger_accounts WHERE type = 'merchant_till' AND ($1::text IS NULL OR owner_id = $1)
        ORDER BY owner_id, currency`,
      [merchantId ?? null],
    );
    return rows.map((row) => ({ id: row.id, merchantId: row.owner_id, currency: row.currency }));
  }

  async function sendPayout(row: SettlementRow): Promise<void> {
    if (row.payout_key === null || row.account_ref === null) return;
    if (deps.bank.route({ currency: row.currency, merchantId: row.merchant_id }).length === 0) return;
    await deps.bank.payout({
      idempotencyKey: row.payout_key,
      merchantId: row.merchant_id,
      accountRef: row.account_ref,
      amount: Number(row.amount),
      currency: row.currency,
      metadata: { purpose: 'settlement', settlement: row.id },
    });
  }

  async function settleTill(till: { id: string; merchantId: string; currency: string }, date: string): Promise<SettlementResult> {
    const base = { merchantId: till.merchantId, currency: till.currency, date };
    const cutoffAt = cutoffOf(date, deps.cutoff);
    const recorded = await db.transaction(
      async (tx): Promise<{ row?: SettlementRow; replayed: boolean; skipped?: SettlementResult['skipped'] }> => {
        // Serialises settlements of one merchant (several instances, the CLI and the scheduler at once).
        // NO KEY UPDATE: it does not wait for the FOR KEY SHARE locks that payments' outbox inserts take on the row.
        await tx.query('SELECT 1 FROM merchants WHERE id = $1 FOR NO KEY UPDATE', [till.merchantId]);
        const { rows: existing } = await tx.query<SettlementRow>(
          `SELECT ${SETTLEMENT_COLUMNS} FROM settlements WHERE merchant_id = $1 AND currency = $2 AND date = $3::date`,
          [till.merchantId, till.currency, date],
        );
        if (existing[0] !== undefined) return { row: existing[0], replayed: true };
        const { rows: later } = await tx.query(
          'SELECT 1 FROM settlements WHERE merchant_id = $1 AND currency = $2 AND date > $3::date LIMIT 1',
          [till.merchantId, till.currency, date],
        );
        if (later.length > 0) return { replayed: false, skipped: 'settlement_out_of_order' };
        const amount = await unsettled(tx, till.id, till.merchantId, till.currency, cutoffAt, date);
        const { rows: merchant } = await tx.query<{ bank_ref: string | null }>('SELECT bank_ref FROM merchants WHERE id = $1', [
          till.merchantId,
        ]);
        const accountRef = merchant[0]?.bank_ref ?? null;
        if (amount > 0n && accountRef === null) return { replayed: false, skipped: 'merchant_bank_account_missing' };
        const pay = amount > 0n;
        const { rows } = await tx.query<SettlementRow>(
          `INSERT INTO settlements (id, merchant_id, date, currency, cutoff_at, amount, status, account_ref, payout_key, created_at)
         VALUES ($1, $2, $3::date, $4, $5, $6, $7, $8, $9, $10) RETURNING ${SETTLEMENT_COLUMNS}`,
          [
            `stl_${randomBytes(16).toString('base64url')}`,
            till.merchantId,
            date,
            till.currency,
            cutoffAt,
            pay ? amount : 0n,
            pay ? 'pending' : 'none',
            pay ? accountRef : null,
            pay ? bankPayoutKey(till.merchantId, date, till.currency) : null,
            now(),
          ],
        );
        return { row: rows[0] as SettlementRow, replayed: false };
      },
    );
    if (recorded.row === undefined) {
      // Runs every minute on every instance until resolved: one line per run, not an alert.
      if (recorded.skipped === 'merchant_bank_account_missing') deps.log?.warn('settlement.skipped', { ...base, reason: recorded.skipped });
      return {
        ...base,
        id: null,
        status: 'skipped',
        amount: 0,
        replayed: false,
        ...(recorded.skipped ? { skipped: recorded.skipped } : {}),
      };
    }
    let row = recorded.row;
    if (row.status === 'pending') {
      await sendPayout(row);
      const { rows } = await db.query<SettlementRow>(`SELECT ${SETTLEMENT_COLUMNS} FROM settlements WHERE id = $1`, [row.id]);
      row = rows[0] ?? row;
    }
    return { ...base, id: row.id, status: row.status, amount: Number(row.amount), replayed: recorded.replayed };
  }

  async function settle(date: string, options: { merchantId?: string } = {}): Promise<SettlementResult[]> {
    if (!isDate(date)) throw invalidDate();
    if (cutoffOf(date, deps.cutoff).getTime() + graceMs > now().getTime()) {
      throw new ProblemError(
        'settlement_not_due',
        `Day ${date} can be settled from ${new Date(cutoffOf(date, deps.cutoff).getTime() + graceMs).toISOString()} (its cut-off, plus ${graceMs / 60_000} minutes for movements still committing).`,
      );
    }
    const results: SettlementResult[] = [];
    for (const till of await tills(options.merchantId)) results.push(await settleTill(till, date));
    return results;
  }

  async function day(till: { id: string; merchantId: string; currency: string }, date: string): Promise<SettlementDay> {
    const from = cutoffOf(previousDate(date), deps.cutoff);
    const to = cutoffOf(date, deps.cutoff);
    const opening = await unsettled(db, till.id, till.merchantId, till.currency, from, date);
    // One remittance stands for the charges of an allowance's period: those are what it counts (`charges`). Its row is
    // the one of its transfer, looked up by the allowance its ledger key names (`allowance:<id>:<period>`, the row's key).
    const { rows } = await db.query<{ kind: string; count: bigint; charges: bigint; amount: bigint }>(
      `SELECT ${KIND} AS kind, count(*)::int8 AS count, coalesce(sum(r.charge_count), 0)::int8 AS charges, sum(e.amount)::int8 AS amount
         FROM ledger_entries e JOIN ledger_transfers t ON t.serial = e.serial
         LEFT JOIN allowance_remittances r ON t.idempotency_key LIKE '${LEDGER_KEY_PREFIXES.allowanceRemittance}%'
               AND r.allowance_id = split_part(t.idempotency_key, ':', 2) AND r.transfer_serial = t.serial
        WHERE e.account_id = $1 AND t.created_at >= $2 AND t.created_at < $3
        GROUP BY 1`,
      [till.id, from, to],
    );
    const by = new Map(rows.map((row) => [row.kind, row]));
    const payments = movements(by.get('payment')?.count, by.get('payment')?.amount);
    const escrowReleases = movements(by.get('release')?.count, by.get('release')?.amount);
    const allowances = movements(by.get('allowance')?.charges, by.get('allowance')?.amount);
    const refunded = by.get('refund');
    const refunds = { count: Number(refunded?.count ?? 0), amount: -Number(refunded?.amount ?? 0n) };
    const other = movements(by.get('other')?.count, by.get('other')?.amount);
    const { rows: settled } = await db.query<SettlementRow>(
      `SELECT ${SETTLEMENT_COLUMNS} FROM settlements WHERE merchant_id = $1 AND currency = $2 AND date = $3::date`,
      [till.merchantId, till.currency, date],
    );
    const settlement = settled[0];
    const counted = settlement !== undefined && (settlement.status === 'pending' || settlement.status === 'paid');
    const payout = {
      id: settlement?.id ?? null,
      status: settlement?.status ?? ('unsettled' as const),
      amount: settlement === undefined ? 0 : Number(settlement.amount),
      reference: settlement?.bank_reference ?? null,
    };
    const net = Number(opening) + payments.amount + escrowReleases.amount + allowances.amount - refunds.amount + other.amount;
    return {
      currency: till.currency,
      period: { from: from.toISOString(), to: to.toISOString() },
      openingBalance: Number(opening),
      payments,
      escrowReleases,
      allowances,
      refunds,
      other,
      payout,
      closingBalance: net - (counted ? payout.amount : 0),
    };
  }

  return {
    settle,

    settleDue: () => settle(latestClosedDate(now(), deps.cutoff, graceMs)),

    async report(merchantId, date) {
      if (!isDate(date)) throw invalidDate();
      const currencies: SettlementDay[] = [];
      for (const till of await tills(merchantId)) currencies.push(await day(till, date));
      return { merchantId, date, currencies };
    },

    async resume(options = {}) {
      const { rows } = await db.query<SettlementRow>(
        `SELECT ${SETTLEMENT_COLUMNS} FROM settlements WHERE status = 'pending' AND created_at < $1 ORDER BY created_at LIMIT $2`,
        [new Date(now().getTime() - resumeAfterMs), options.limit ?? 50],
      );
      for (const row of rows) {
        await sendPayout(row).catch((error: unknown) => deps.log?.error('settlement.resume_failed', { settlement: row.id, error }));
      }
      return rows.length;
    },
  };
}

/**
 * Payouts: booked (till → bank clearing) with `settlement.paid` when the acquirer approves;
 * declined with an operator alert when it refuses (the amount stays in the till and is
 * carried into the next day's settlement).
 */
export function settlementHandler(deps: { now?: () => Date; log?: Logger }): PurposeHandler<'settlement'> {
  const now = deps.now ?? (() => new Date());
  return {
    async approved(tx, operation, context) {
      const { rows } = await tx.query<SettlementRow>(`SELECT ${SETTLEMENT_COLUMNS} FROM settlements WHERE id = $1 FOR UPDATE`, [
        context.settlement,
      ]);
      const row = rows[0];
      if (row === undefined || row.status !== 'pending') return;
      const moved = await bookPayout(tx, {
        settlementId: row.id,
        merchantId: row.merchant_id,
        date: row.date,
        amount: row.amount,
        currency: row.currency,
      });
      const at = now();
      await tx.query(`UPDATE settlements SET status = 'paid', transfer_serial = $2, bank_reference = $3, resolved_at = $4 WHERE id = $1`, [
        row.id,
        moved.serial,
        operation.bankReference,
        at,
      ]);
      await enqueueNotification(tx, {
        merchantId: row.merchant_id,
        at,
        content: {
          event: 'settlement.paid',
          settlement: { id: row.id, date: row.date, amount: Number(row.amount), currency: row.currency },
        },
      });
      deps.log?.info('settlement.paid', { merchantId: row.merchant_id, settlement: row.id, date: row.date, amount: Number(row.amount) });
    },

    async declined(tx, operation, context) {
      const { rows } = await tx.query<{ id: string; merchant_id: string; date: string }>(
        `UPDATE settlements SET status = 'declined', decline_reason = $2, resolved_at = $3 WHERE id = $1 AND status = 'pending'
         RETURNING id, merchant_id, to_char(date, 'YYYY-MM-DD') AS date`,
        [context.settlement, operation.declineReason, now()],
      );
      const row = rows[0];
      if (row === undefined) return;
      // The amount stays in the till and is carried into the next day's settlement.
      await createAlertService({ db: tx, now }).raise({
        kind: 'settlement_declined',
        subject: row.merchant_id,
        details: { settlement: row.id, date: row.date, reason: operation.declineReason },
      });
    },
  };
}
