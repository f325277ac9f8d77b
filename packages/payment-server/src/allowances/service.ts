import type { ApiAllowance, CustomerAllowance } from '@caisse/protocol';
import { paymentId } from '@caisse/protocol';
import { ProblemError } from '../http/problem.js';
import type { Queryable } from '../storage/database.js';
import { ALLOWANCE_COLUMNS, type Allowance, type AllowanceRow, toAllowance, toApiAllowance } from './model.js';
import type { AllowanceSettlement } from './settle.js';

export interface AllowanceServiceDeps {
  db: Queryable;
  settlement: AllowanceSettlement;
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * What the merchant and the customer do with an allowance once granted, besides charging
 * (charge.ts): read it, and end it — the merchant closes it, the customer revokes it; both
 * settle its charges at once (settle.ts). Each party sees only its own: another's
 * allowance is `allowance_unknown`, exactly as one that does not exist.
 * @example const allowances = createAllowanceService({ db, settlement })
 */
export function createAllowanceService(deps: AllowanceServiceDeps) {
  const { db } = deps;

  async function load(column: 'merchant_id' | 'customer_id', owner: string, id: string): Promise<Allowance> {
    const { rows } = await db.query<AllowanceRow>(`SELECT ${ALLOWANCE_COLUMNS} FROM allowances WHERE id = $1 AND ${column} = $2`, [
      id,
      owner,
    ]);
    if (rows[0] === undefined) throw new ProblemError('allowance_unknown');
    return toAllowance(rows[0]);
  }

  async function withCharges(allowance: Allowance): Promise<ApiAllowance> {
    const { rows } = await db.query<{ serial: bigint; ticket_jti: string; order_serial: string; amount: bigint; created_at: Date }>(
      `SELECT serial, ticket_jti, order_serial, amount, created_at FROM payments
        WHERE allowance_id = $1 AND allowance_period = $2 ORDER BY created_at, serial`,
      [allowance.id, allowance.periodNo],
    );
    return toApiAllowance(
      allowance,
      rows.map((row) => ({
        id: paymentId(row.serial),
        ticket: row.ticket_jti,
        serial: row.order_serial,
        amount: Number(row.amount),
        createdAt: row.created_at.toISOString(),
      })),
    );
  }

  async function ended(allowanceId: string, reason: 'revoked' | 'closed'): Promise<Allowance> {
    const settled = await deps.settlement.settle(allowanceId, reason);
    if (settled === undefined) throw new ProblemError('allowance_unknown');
    return settled.allowance;
  }

  return {
    /**
     * The merchant's allowance, with the charges of its current period (its last, once ended).
     * A sweep may not have settled an allowance that is due yet: reading it settles it.
     * @throws ProblemError `allowance_unknown`
     */
    async get(merchantId: string, id: string): Promise<ApiAllowance> {
      await load('merchant_id', merchantId, id);
      const settled = await deps.settlement.settle(id);
      return withCharges(settled?.allowance ?? (await load('merchant_id', merchantId, id)));
    },

    /**
     * The merchant ends the allowance now: its charges are settled, the rest goes back to
     * the customer. Closing an ended allowance answers it as it is.
     * @throws ProblemError `allowance_unknown`
     */
    async close(merchantId: string, id: string): Promise<ApiAllowance> {
      await load('merchant_id', merchantId, id);
      return withCharges(await ended(id, 'closed'));
    },

    /** The customer's live allowances, newest first, with whom they were granted to. */
    async listForCustomer(customerId: string): Promise<CustomerAllowance[]> {
      const { rows } = await db.query<AllowanceRow & { merchant_name: string }>(
        `SELECT ${ALLOWANCE_COLUMNS}, (SELECT display_name FROM merchants m WHERE m.id = allowances.merchant_id) AS merchant_name
           FROM allowances WHERE customer_id = $1 AND state = 'active' ORDER BY granted_at DESC, id`,
        [customerId],
      );
      return rows.map((row) => {
        const allowance = toAllowance(row);
        return {
          id: allowance.id,
          merchant: { id: allowance.merchantId, name: row.merchant_name },
          currency: allowance.currency,
          maximum: Number(allowance.maximum),
          chargeCap: allowance.chargeCap === null ? null : Number(allowance.chargeCap),
          period: allowance.period,
          used: Number(allowance.used),
          remaining: Number(allowance.maximum - allowance.used),
          chargeCount: allowance.chargeCount,
          periodEnd: seconds(allowance.periodEnd),
          expiresAt: seconds(allowance.expiresAt),
          grantedAt: seconds(allowance.grantedAt),
        };
      });
    },

    /**
     * The customer revokes one of their allowances: it takes no more charges from this
     * instant, and what was charged is settled. Revoking an ended one changes nothing.
     * @throws ProblemError `allowance_unknown`
     */
    async revoke(customerId: string, id: string): Promise<Allowance> {
      await load('customer_id', customerId, id);
      return ended(id, 'revoked');
    },
  };
}

export type AllowanceService = ReturnType<typeof createAllowanceService>;
