import type { ApiTicketRefusal } from '@caisse/protocol';

export type { ApiTicketRefusal };

/** Distinct refusals (code and message) kept per merchant; past it, each code counts on one overflow row. */
export const MAX_REFUSALS_PER_MERCHANT = 200;
/** Days a refusal is kept after it was last seen. */
export const REFUSAL_RETENTION_DAYS = 30;
/**
 * Tickets a merchant may have recorded as used by a signed refusal (`Sessions.claimRefusal`)
 * until they expire. Forged tickets can name any merchant: past it, a refused ticket that
 * could be accepted later gets the refusal page instead of a signed refusal.
 */
export const MAX_SPENT_REFUSED_TICKETS = 100;
/** Refusals one `GET /v1/ticket-refusals` lists: default and most. */
export const LIST_DEFAULT = 100;
export const LIST_MAX = 200;

/** The fingerprint of the row that counts a code's refusals past {@link MAX_REFUSALS_PER_MERCHANT}. */
export const OVERFLOW = 'overflow';

/** One ticket refused at intake, attributed to a registered merchant. */
export interface RecordRefusal {
  merchantId: string;
  /** The precise code (`key_unknown`, …). */
  code: string;
  /** What is wrong and what to do; never a token. Identical messages are one row. */
  message: string;
  /** The ticket's `jti` as it read (unverified), or null. */
  ticket: string | null;
  /** The ticket's `notifyUrl`, only when on an origin the merchant registered; else the merchant's registered one is used, if any. */
  notifyUrl?: string | undefined;
}

export interface RecordedRefusal {
  refusal: ApiTicketRefusal;
  /** True the first time this kind of refusal was seen (in 30 days): a `ticket.refused` notification was queued. */
  created: boolean;
}

export interface TicketRefusalRow {
  id: string;
  merchant_id: string;
  code: string;
  fingerprint: string;
  message: string;
  count: bigint | string | number;
  first_seen_at: Date;
  last_seen_at: Date;
  last_ticket: string | null;
}

export const TICKET_REFUSAL_COLUMNS = 'id, merchant_id, code, fingerprint, message, count, first_seen_at, last_seen_at, last_ticket';

export function toTicketRefusal(row: TicketRefusalRow): ApiTicketRefusal {
  return {
    id: row.id,
    code: row.code,
    message: row.message,
    ticket: row.last_ticket,
    count: Number(row.count),
    firstSeenAt: row.first_seen_at.toISOString(),
    lastSeenAt: row.last_seen_at.toISOString(),
  };
}

/** The message of a code's overflow row: the count says how many, the detail of each is not kept. */
export function overflowMessage(merchantId: string, code: string): string {
  return `More than ${MAX_REFUSALS_PER_MERCHANT} different refusals were recorded for merchant ${merchantId} in ${REFUSAL_RETENTION_DAYS} days: the further refusals with code ${code} are counted here without their detail. Fix the causes listed, or look for tickets forged in your name.`;
}
