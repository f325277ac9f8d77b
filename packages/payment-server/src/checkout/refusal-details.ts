import type { CustomerOverviewReader } from '../customers/overview.js';
import type { RefusalView } from '../pages/refusal.js';
import { TOP_UP_ANCHOR } from '../pages/top-up.js';
import type { CheckoutSession } from './sessions.js';

export interface RefusalDetailsDeps {
  overview: Pick<CustomerOverviewReader, 'readCurrency'>;
}

/**
 * What the refusal page tells the customer about their own money: for a short wallet, what
 * it holds and where to top it up; for a ceiling, which one and what is left of it. Only
 * for the customer the session records (the session is bound to this browser by its
 * cookie), and read from the database: nothing the browser sends chooses whose money it is.
 * @example const details = await refusalDetails(deps, session) // { wallet: { available: 420, currency: 'EUR', topUpUrl: '/account#top-up' } }
 */
export async function refusalDetails(deps: RefusalDetailsDeps, session: CheckoutSession): Promise<Pick<RefusalView, 'wallet' | 'ceiling'>> {
  const { customerId, refusalReason } = session;
  if (customerId === null || (refusalReason !== 'insufficient_funds' && refusalReason !== 'ceiling_exceeded')) return {};
  const { amount, currency } = session.ticket.claims;
  const money = await deps.overview.readCurrency(customerId, currency);
  if (refusalReason === 'insufficient_funds') {
    return money.wallet === undefined
      ? {}
      : { wallet: { available: Number(money.wallet.available), currency, topUpUrl: `/account#${TOP_UP_ANCHOR}` } };
  }
  // Which ceiling the amount passes now, by the rule the payment was refused with (the month first), from the same read.
  const period = BigInt(amount) > money.month.remaining ? 'month' : BigInt(amount) > money.day.remaining ? 'day' : undefined;
  if (period === undefined) return {};
  return { ceiling: { period, ceiling: Number(money[period].ceiling), left: Number(money[period].remaining), currency } };
}
