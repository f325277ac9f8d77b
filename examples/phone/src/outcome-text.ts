import type { RequestOutcome } from '@caisse/sdk';
import type { HistoryEntry } from './history.js';

/** The refusal reasons a customer can meet after answering, in their words; any other reads as the last line. */
const REASONS: Partial<Record<string, string>> = {
  bank_declined: 'the payment was declined',
  insufficient_funds: 'not enough money in your wallet',
  ceiling_exceeded: 'over your daily or monthly ceiling',
  account_locked: 'your account is locked',
  confirmation_expired: 'not confirmed in time',
};

function refusedText(reason: string): string {
  if (reason === 'customer_declined') return 'Declined';
  const words = REASONS[reason] ?? 'the payment was refused';
  return reason === 'bank_declined' ? `Refused by your bank: ${words}` : `Refused: ${words}`;
}

const TEXTS: { [S in RequestOutcome['status']]: (outcome: Extract<RequestOutcome, { status: S }>) => string } = {
  paid: (outcome) => `Paid · ${outcome.paymentId}`,
  granted: () => 'Allowance granted',
  refused: (outcome) => refusedText(outcome.reason),
  cancelled: () => 'Cancelled',
  pending: () => 'Approved, waiting for the bank',
};

/** What the history says of an entry: the payment's outcome once known, never "Approved" as if it were paid. */
export function outcomeText(entry: HistoryEntry): string {
  if (entry.outcome === 'declined') return 'Declined';
  const result = entry.result;
  if (result === undefined) return 'Approved, waiting for the result';
  return (TEXTS[result.status] as (outcome: RequestOutcome) => string)(result);
}

/** The class of an entry's line: `paid`, `refused`, `declined` or `waiting`. */
export function outcomeClass(entry: HistoryEntry): string {
  if (entry.outcome === 'declined') return 'declined';
  const status = entry.result?.status;
  return status === 'paid' || status === 'granted' ? 'paid' : status === 'refused' || status === 'cancelled' ? 'refused' : 'waiting';
}
