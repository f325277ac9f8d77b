import type { AllowanceEnd } from '@caisse/protocol';
import { LIMITS, paymentId } from '@caisse/protocol';
import { DEVICE_EVENTS_CHANNEL, type DeviceEvent } from '../devices/events.js';
import { isLedgerError } from '../ledger/errors.js';
import { remitAllowance, reserveAllowance } from '../ledger/postings.js';
import { createLedger } from '../ledger/service.js';
import type { Logger } from '../log.js';
import { enqueueNotification } from '../notifications/outbox.js';
import { type Database, notify, type Transaction } from '../storage/database.js';
import { ALLOWANCE_COLUMNS, type Allowance, type AllowanceRow, type RemittanceReason, toAllowance } from './model.js';
import { periodEnd } from './periods.js';

export interface AllowanceSettlementDeps {
  db: Database;
  log?: Logger;
  now?: () => Date;
}

/** What settling found: the allowance after it, and whether this call settled a period. */
export interface Settled {
  allowance: Allowance;
  settled: boolean;
}

/**
 * Tells the customer's phones that an allowance of theirs changed (granted, ended, a new
 * period): their list reads it again. Sent at commit; never for a charge, which stays on
 * the hot path without the commit-time lock a NOTIFY takes.
 */
export async function announceAllowances(tx: Transaction, customerId: string): Promise<void> {
  const event: DeviceEvent = { kind: 'allowances', customerId };
  await notify(tx, DEVICE_EVENTS_CHANNEL, JSON.stringify(event));
}

/** Why the current period of `allowance` is due for settlement at `at`, or undefined while it runs. */
export function dueReason(allowance: Allowance, at: Date): RemittanceReason | undefined {
  if (allowance.state !== 'active') return undefined;
  if (at >= allowance.expiresAt) return 'expired';
  if (at >= allowance.periodEnd) return 'period_ended';
  if (allowance.period === null && allowance.used === allowance.maximum) return 'exhausted';
  return undefined;
}

/**
 * The grouped remittance of allowances (seed 003: at the end of the session, or when the
 * provision is reached, every transaction is sent together). Settling a period, in one
 * transaction under the allowance row's lock: the remittance posting (the reservation
 * voided, what the charges used moved to the till), the period's row in
 * `allowance_remittances` (its primary key makes it once), the merchant's
 * `allowance.settled` notification listing the charges, then either the allowance's end
 * or, for a recurring one, the next period with its own reservation. Charges wait on the
 * same row lock, so each lands wholly before or after the settlement.
 * @example const { settle, settleDue } = createAllowanceSettlement({ db, log, now })
 */
export function createAllowanceSettlement(deps: AllowanceSettlementDeps) {
  const now = deps.now ?? (() => new Date());

  async function notifySettled(
    tx: Transaction,
    allowance: Allowance,
    reason: RemittanceReason,
    transfer: bigint | undefined,
    at: Date,
    until: Date,
  ): Promise<void> {
    const { rows } = await tx.query<{ serial: bigint; ticket_jti: string; order_serial: string; amount: bigint }>(
      `SELECT serial, ticket_jti, order_serial, amount FROM payments
        WHERE allowance_id = $1 AND allowance_period = $2 ORDER BY created_at, serial LIMIT $3`,
      [allowance.id, allowance.periodNo, LIMITS.settledCharges],
    );
    await enqueueNotification(tx, {
      merchantId: allowance.merchantId,
      ...(allowance.notifyUrl === null ? {} : { notifyUrl: allowance.notifyUrl }),
      at,
      content: {
        event: 'allowance.settled',
        allowance: {
          id: allowance.id,
          ticket: { jti: allowance.ticketJti, sha256: allowance.ticketSha256 },
          currency: allowance.currency,
          maximum: Number(allowance.maximum),
          used: Number(allowance.used),
          reason,
          period: {
            from: Math.floor(allowance.periodStart.getTime() / 1000),
            to: Math.floor(until.getTime() / 1000),
          },
          transfer: transfer === undefined ? null : transfer.toString(),
          chargeCount: allowance.chargeCount,
          charges: rows.map((row) => ({
            id: paymentId(row.serial),
            ticket: row.ticket_jti,
            serial: row.order_serial,
            amount: Number(row.amount),
          })),
        },
      },
    });
  }

  /**
   * The period of a recurring allowance that holds `at` (periods nobody charged in while
   * no sweep ran are skipped), reserved; false when the wallet can no longer hold it back.
   */
  async function nextPeriod(
    tx: Transaction,
    allowance: Allowance,
    wallet: Parameters<typeof reserveAllowance>[2],
    at: Date,
  ): Promise<boolean> {
    const endOf = (periodNo: number) => periodEnd(allowance.grantedAt, allowance.period, periodNo, allowance.expiresAt);
    let periodNo = allowance.periodNo + 1;
    while (endOf(periodNo) <= at) periodNo += 1;
    try {
      await reserveAllowance(tx, { ...postingOf(allowance), periodNo }, wallet, allowance.maximum);
    } catch (error) {
      if (isLedgerError(error, 'insufficient_funds')) return false;
      throw error;
    }
    await tx.query(`UPDATE allowances SET period_no = $2, period_start = $3, period_end = $4, used = 0, charge_count = 0 WHERE id = $1`, [
      allowance.id,
      periodNo,
      endOf(periodNo - 1),
      endOf(periodNo),
    ]);
    return true;
  }

  /**
   * Settles the current period of one allowance: with `end`, the allowance ends for that
   * reason (the customer's revocation, the merchant's close) whatever its state; without,
   * only when it is due ({@link dueReason}). Settling an allowance already ended changes nothing.
   */
  async function settle(allowanceId: string, end?: Extract<AllowanceEnd, 'revoked' | 'closed'>): Promise<Settled | undefined> {
    return deps.db.transaction(async (tx) => {
      // NO KEY UPDATE, as a charge's update takes: the two queue on each other, while the
      // payments and remittances that reference the row (KEY SHARE) never wait on it.
      const { rows } = await tx.query<AllowanceRow>(`SELECT ${ALLOWANCE_COLUMNS} FROM allowances WHERE id = $1 FOR NO KEY UPDATE`, [
        allowanceId,
      ]);
      if (rows[0] === undefined) return undefined;
      const allowance = toAllowance(rows[0]);
      const at = now();
      const reason = allowance.state === 'active' ? (end ?? dueReason(allowance, at)) : undefined;
      if (reason === undefined) return { allowance, settled: false };
      const ledger = createLedger(tx);
      const wallet = await ledger.findAccount('customer_wallet', allowance.customerId, allowance.currency);
      if (wallet === undefined) throw new Error(`Allowance ${allowance.id} has a reservation but its customer no wallet.`);
      const moved = await remitAllowance(tx, postingOf(allowance), wallet, allowance.used);
      // biome-ignore lint/complexity/useMathMinMax: Dates, which Math.min would turn into numbers.
      const until = at < allowance.periodEnd ? at : allowance.periodEnd;
      await tx.query(
        `INSERT INTO allowance_remittances (allowance_id, period_no, reason, period_start, period_end, used, charge_count, transfer_serial, settled_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          allowance.id,
          allowance.periodNo,
          reason,
          allowance.periodStart,
          until,
          allowance.used,
          allowance.chargeCount,
          moved?.serial ?? null,
          at,
        ],
      );
      await notifySettled(tx, allowance, reason, moved?.serial, at, until);
      const renewed = reason === 'period_ended' && (await nextPeriod(tx, allowance, wallet, at));
      if (!renewed) {
        const endReason: AllowanceEnd = reason === 'period_ended' ? 'unfunded' : reason;
        await tx.query(`UPDATE allowances SET state = 'ended', end_reason = $2, ended_at = $3 WHERE id = $1`, [
          allowance.id,
          endReason,
          at,
        ]);
      }
      await announceAllowances(tx, allowance.customerId);
      deps.log?.info('allowance.settled', {
        allowance: allowance.id,
        merchant: allowance.merchantId,
        period: allowance.periodNo,
        reason,
        used: allowance.used.toString(),
        charges: allowance.chargeCount,
        renewed,
      });
      const { rows: after } = await tx.query<AllowanceRow>(`SELECT ${ALLOWANCE_COLUMNS} FROM allowances WHERE id = $1`, [allowance.id]);
      return { allowance: toAllowance(after[0] as AllowanceRow), settled: true };
    });
  }

  return {
    settle,

    /**
     * Settles every allowance due at this instant (expired, period over, maximum reached),
     * at most `limit`, oldest due first; safe on every instance at once (each settlement
     * locks its row and settles only what is still due). Returns how many were settled.
     * @example const settled = await allowanceSettlement.settleDue()
     */
    async settleDue(limit = 100): Promise<number> {
      const { rows } = await deps.db.query<{ id: string }>(
        `SELECT id FROM allowances
          WHERE state = 'active' AND (period_end <= $1 OR (period IS NULL AND used = maximum))
          ORDER BY period_end LIMIT $2`,
        [now(), limit],
      );
      let settled = 0;
      for (const { id } of rows) {
        try {
          if ((await settle(id))?.settled) settled += 1;
        } catch (error) {
          deps.log?.error('allowance.settle_failed', { allowance: id, error });
        }
      }
      return settled;
    },
  };
}

export type AllowanceSettlement = ReturnType<typeof createAllowanceSettlement>;

function postingOf(allowance: Allowance) {
  return {
    allowanceId: allowance.id,
    periodNo: allowance.periodNo,
    merchantId: allowance.merchantId,
    customerId: allowance.customerId,
    currency: allowance.currency,
    ticketSha256: allowance.ticketSha256,
  };
}
