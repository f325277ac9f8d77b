import type { Allowance, ConfirmationRequest } from '@caisse/sdk';
import { amountText } from './format.js';

type Period = NonNullable<Allowance['period']>;

const EACH: Record<Period, string> = { day: 'each day', week: 'each week', month: 'each month' };

/** "14 Mar 2026, 11:00": when an allowance ends, as the customer reads a date. */
export function untilText(date: Date): string {
  return date.toLocaleString(navigator.language, { dateStyle: 'medium', timeStyle: 'short' });
}

/** How often the allowance starts again from 0, "" for one that does not recur. */
export function periodText(period: Allowance['period']): string {
  return period === null ? '' : EACH[period];
}

/**
 * What approving this request grants, in the words the customer reads before the PIN:
 * "Allow The Bookshop to charge up to €20.00 each week until …", and the cap of one charge.
 * Empty for a payment.
 */
export function grantLines(request: ConfirmationRequest): string[] {
  const { allowance, currency } = request;
  if (allowance === undefined) return [];
  const period = periodText(allowance.period ?? null);
  const until = untilText(new Date(allowance.expiresAt * 1000));
  return [
    `Allow ${request.payee.name} to charge up to ${amountText(request.amount, currency)}${period ? ` ${period}` : ''} until ${until}, without asking again.`,
    ...(allowance.chargeCap === undefined ? [] : [`At most ${amountText(allowance.chargeCap, currency)} per charge.`]),
  ];
}
