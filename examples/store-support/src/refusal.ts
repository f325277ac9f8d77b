import { REFUSAL_REASONS, type RefusalReason } from '@caisse/protocol';

/**
 * Why a payment was refused, in a shop's words to its customer (every reason the payment
 * server may give: the compiler checks). `shop` names the shop ("our shop", "the newsstand").
 * @example `Payment refused. ${refusalWords('insufficient_funds', 'our shop')}`
 */
export function refusalWords(reason: RefusalReason, shop: string): string {
  const words: Record<RefusalReason, string> = {
    insufficient_funds: 'There is not enough money in your wallet.',
    ceiling_exceeded: 'It would go over your spending limit.',
    authentication_failed: 'You could not be identified.',
    account_locked: 'Your Caisse account is locked.',
    customer_declined: 'You declined it.',
    confirmation_expired: 'It was not confirmed on your phone in time.',
    bank_declined: 'Your bank declined it.',
    ticket_expired: 'The payment link expired.',
    ticket_invalid: 'The payment request was not valid.',
    ticket_replayed: 'The payment request was already used.',
    merchant_unknown: `The payment service does not know ${shop}.`,
  };
  return words[reason];
}

/**
 * The refusal reason the shop's return handler put in a page's address (`?caisse_reason=`),
 * if it is one; anything else is not shown. Only said, never trusted: what the customer gets
 * comes from the shop's own records.
 * @example const refused = refusalReason(c.req.query('caisse_reason'))
 */
export function refusalReason(value: string | undefined): RefusalReason | undefined {
  return value !== undefined && Object.hasOwn(REFUSAL_REASONS, value) ? (value as RefusalReason) : undefined;
}
