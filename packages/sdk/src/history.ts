import type { AnsweredRequest as AnsweredRequestMessage, RequestOutcome } from '@caisse/protocol';

export type { RequestOutcome };

/**
 * A request the customer answered on a phone, with what became of its checkout: the
 * truth an approval alone does not tell (a bank may still refuse afterwards).
 * `outcome.status` is `paid` (with `paymentId`, the id the voucher and the account page
 * show), `granted` (an allowance), `refused` or `cancelled` (with the refusal `reason`
 * code), or `pending` while the bank has not answered. Amounts in minor units.
 */
export interface AnsweredRequest {
  readonly id: string;
  readonly payee: { readonly id: string; readonly name: string };
  readonly amount: number;
  readonly currency: string;
  readonly answer: 'approved' | 'declined';
  readonly answeredAt: Date;
  readonly outcome: RequestOutcome;
}

/** What `account.history()` reads: at most `limit` (1–100, default 20), those answered before request `before`. */
export interface HistoryOptions {
  signal?: AbortSignal;
  limit?: number;
  /** The id of the last request of the previous page. */
  before?: string;
}

/** The answered request as the SDK gives it: the protocol's message, its instant as a `Date`. */
export function answeredWithDates(message: AnsweredRequestMessage): AnsweredRequest {
  return { ...message, answeredAt: new Date(message.answeredAt * 1000) };
}

/** The path and query of `GET /device/history` for these options. */
export function historyPath(options: HistoryOptions): string {
  const query = new URLSearchParams();
  if (options.limit !== undefined) query.set('limit', String(options.limit));
  if (options.before !== undefined) query.set('before', options.before);
  const text = query.toString();
  return text === '' ? '/device/history' : `/device/history?${text}`;
}
