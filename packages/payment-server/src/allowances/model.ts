import { randomBytes } from 'node:crypto';
import type { AllowanceEnd, AllowancePeriod, ApiAllowance } from '@caisse/protocol';

/**
 * A session allowance as stored (table `allowances`, migration 0023): what the customer
 * granted the merchant, and what the current period has used of it.
 */
export interface Allowance {
  id: string;
  merchantId: string;
  customerId: string;
  ticketJti: string;
  ticketSha256: string;
  currency: string;
  maximum: bigint;
  chargeCap: bigint | null;
  period: AllowancePeriod | null;
  notifyUrl: string | null;
  /** When the customer approved it on the phone: every charge's voucher says so. */
  confirmedAt: Date;
  grantedAt: Date;
  expiresAt: Date;
  periodNo: number;
  periodStart: Date;
  periodEnd: Date;
  used: bigint;
  chargeCount: number;
  state: 'active' | 'ended';
  endReason: AllowanceEnd | null;
  endedAt: Date | null;
}

/** Why a period is settled: the allowance ended, or (recurring) the period did and the next begins. */
export type RemittanceReason = Exclude<AllowanceEnd, 'unfunded'> | 'period_ended';

export const ALLOWANCE_COLUMNS = `id, merchant_id, customer_id, ticket_jti, ticket_sha256, currency, maximum, charge_cap, period, notify_url,
  confirmed_at, granted_at, expires_at, period_no, period_start, period_end, used, charge_count, state, end_reason, ended_at`;

export interface AllowanceRow {
  id: string;
  merchant_id: string;
  customer_id: string;
  ticket_jti: string;
  ticket_sha256: string;
  currency: string;
  maximum: bigint | string;
  charge_cap: bigint | string | null;
  period: AllowancePeriod | null;
  notify_url: string | null;
  confirmed_at: Date;
  granted_at: Date;
  expires_at: Date;
  period_no: number;
  period_start: Date;
  period_end: Date;
  used: bigint | string;
  charge_count: number;
  state: 'active' | 'ended';
  end_reason: AllowanceEnd | null;
  ended_at: Date | null;
}

export function toAllowance(row: AllowanceRow): Allowance {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    customerId: row.customer_id,
    ticketJti: row.ticket_jti,
    ticketSha256: row.ticket_sha256,
    currency: row.currency,
    maximum: BigInt(row.maximum),
    chargeCap: row.charge_cap === null ? null : BigInt(row.charge_cap),
    period: row.period,
    notifyUrl: row.notify_url,
    confirmedAt: row.confirmed_at,
    grantedAt: row.granted_at,
    expiresAt: row.expires_at,
    periodNo: Number(row.period_no),
    periodStart: row.period_start,
    periodEnd: row.period_end,
    used: BigInt(row.used),
    chargeCount: Number(row.charge_count),
    state: row.state,
    endReason: row.end_reason,
    endedAt: row.ended_at,
  };
}

/**
 * `al_` + 128 random bits: the id the merchant charges under, unguessable so that it
 * tells nothing about other allowances (a charge still needs the merchant's own signature).
 */
export function newAllowanceId(): string {
  return `al_${randomBytes(16).toString('base64url')}`;
}

/** The code a charge under an ended allowance gets, by why it ended. */
export const ENDED_CODES = {
  expired: 'allowance_expired',
  exhausted: 'allowance_exhausted',
  revoked: 'allowance_revoked',
  closed: 'allowance_closed',
  unfunded: 'allowance_unfunded',
} as const satisfies Record<AllowanceEnd, string>;

/** The merchant API's view, with the charges of the current (or last) period. */
export function toApiAllowance(allowance: Allowance, charges: ApiAllowance['charges']): ApiAllowance {
  return {
    id: allowance.id,
    ticket: { jti: allowance.ticketJti, sha256: allowance.ticketSha256 },
    currency: allowance.currency,
    maximum: Number(allowance.maximum),
    chargeCap: allowance.chargeCap === null ? null : Number(allowance.chargeCap),
    period: allowance.period,
    state: allowance.state,
    endReason: allowance.endReason,
    used: Number(allowance.used),
    remaining: allowance.state === 'active' ? Number(allowance.maximum - allowance.used) : 0,
    currentPeriod: { from: allowance.periodStart.toISOString(), to: allowance.periodEnd.toISOString() },
    expiresAt: allowance.expiresAt.toISOString(),
    grantedAt: allowance.grantedAt.toISOString(),
    endedAt: allowance.endedAt?.toISOString() ?? null,
    charges,
  };
}
