import * as z from 'zod';
import { LIMITS } from '../limits.js';
import { testMarker } from '../mode.js';
import { amount, checkValidity, currency, id, label, party, phone, serial, state, timestamp, url, version } from './fields.js';
import { ticketDelivery, ticketQuote } from './quote.js';

/**
 * One line of a ticket. `unitAmount` is the price of one unit in minor units, VAT
 * included (the price the customer pays); `vatRate` is in basis points (2000 = 20 %).
 */
export const item = z.strictObject({
  id,
  label,
  quantity: z.int().min(1).max(LIMITS.quantity),
  unitAmount: amount,
  vatRate: z
    .int()
    .min(0)
    .max(LIMITS.vatRate)
    // A rate written in percent (20 for 20 %) would otherwise pass as 0.2 %: no VAT rate in use is between 0 and 1 %.
    .refine((rate) => rate === 0 || rate >= 100, {
      error: (issue) =>
        `must be in basis points: 2000 for 20 %, 550 for 5.5 % (${String(issue.input)} would mean ${Number(issue.input) / 100} %); 0 for no VAT`,
    }),
});

/** Customer data a ticket may ask the payment server to share, with the customer's consent. */
export const requestedData = z.enum(['shipping_address', 'email', 'name']);

export const customerHint = z.union([z.strictObject({ account: id }), z.strictObject({ phone })]);

/** How often a recurring allowance starts afresh: its use goes back to 0 at each period's start. */
export const allowancePeriod = z.enum(['day', 'week', 'month']);

/**
 * The terms of a session allowance (seed 003, "provision de consommation"), on a ticket of
 * kind `allowance` whose `amount` is the maximum: until `expiresAt`, the merchant may charge
 * up to the maximum (each period, when `period` is given) without asking the customer
 * again, each charge at most `chargeCap`.
 */
export const allowanceTerms = z.strictObject({
  expiresAt: timestamp,
  period: allowancePeriod.optional(),
  chargeCap: amount.min(1).optional(),
});

/**
 * Payload of a `caisse-ticket+jwt`, signed by the merchant. Amount and VAT rules that
 * involve several fields are checked by `parseTicketClaims`, which gives them their own
 * error codes.
 */
export const ticketClaims = z
  .strictObject({
    ver: version,
    iss: id,
    aud: party,
    jti: id,
    iat: timestamp,
    exp: timestamp,
    serial,
    /**
     * `purchase`: the customer pays `amount` for `items`. `authentication`: amount 0, proves
     * who the customer is. `allowance`: the customer grants the merchant `amount` to charge
     * later under `allowance`'s terms, with one confirmation.
     */
    kind: z.enum(['purchase', 'authentication', 'allowance']),
    items: z.array(item).max(LIMITS.items),
    amount,
    vat: amount,
    currency,
    customer: customerHint.optional(),
    returnUrl: url,
    cancelUrl: url,
    notifyUrl: url.optional(),
    fulfilment: z.enum(['immediate', 'deferred']),
    requested: z.array(requestedData).max(LIMITS.requested).optional(),
    state,
    /** The terms of an `allowance` ticket; absent from every other kind. */
    allowance: allowanceTerms.optional(),
    /** A purchase charged under this allowance (its id, from the grant's voucher): paid with no confirmation. */
    allowanceId: id.optional(),
    /** A ticket made as a quote, for the request it answers: paid only before its `exp`, then asked again. */
    quote: ticketQuote.optional(),
    /** A digital good the payment server releases to the paying browser once the payment is authorised. */
    delivery: ticketDelivery.optional(),
    /** `true`: signed with a merchant test key, for a payment server in test mode; absent in live mode. */
    test: testMarker,
  })
  .superRefine((ticket, ctx) => {
    checkValidity(ticket, ctx, LIMITS.ticketLifetime);
    if (ticket.kind === 'purchase' && (ticket.items.length === 0 || ticket.amount === 0)) {
      ctx.addIssue({ code: 'custom', path: ['items'], message: 'a purchase needs at least one item and an amount above zero' });
    }
    if (ticket.kind === 'authentication' && (ticket.items.length > 0 || ticket.amount !== 0)) {
      ctx.addIssue({ code: 'custom', path: ['amount'], message: 'an authentication ticket has no items and amount 0' });
    }
    if (ticket.kind === 'authentication' && ticket.fulfilment === 'deferred') {
      ctx.addIssue({ code: 'custom', path: ['fulfilment'], message: 'an authentication ticket has nothing to deliver' });
    }
    checkAllowance(ticket, ctx);
    checkQuoteAndDelivery(ticket, ctx);
    const ids = new Set(ticket.items.map((line) => line.id));
    if (ids.size !== ticket.items.length) ctx.addIssue({ code: 'custom', path: ['items'], message: 'item ids must be unique' });
    if (ticket.requested && new Set(ticket.requested).size !== ticket.requested.length) {
      ctx.addIssue({ code: 'custom', path: ['requested'], message: 'must not repeat an entry' });
    }
  });

interface TicketShape {
  kind: string;
  items: readonly unknown[];
  amount: number;
  vat: number;
  iat: number;
  fulfilment: string;
  customer?: unknown;
  requested?: readonly unknown[] | undefined;
  allowance?: z.infer<typeof allowanceTerms> | undefined;
  allowanceId?: string | undefined;
  quote?: z.infer<typeof ticketQuote> | undefined;
  delivery?: z.infer<typeof ticketDelivery> | undefined;
}

/** A quote and a digital good belong to a purchase the customer makes in a browser or on a device. */
function checkQuoteAndDelivery(ticket: TicketShape, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (ticket.quote !== undefined && ticket.kind !== 'purchase') issue('quote', 'only a purchase is quoted');
  if (ticket.delivery === undefined) return;
  if (ticket.kind !== 'purchase') issue('delivery', 'only a purchase delivers a digital good');
  if (ticket.fulfilment === 'deferred')
    issue('delivery', 'a digital good is released once the payment is authorised: fulfilment immediate');
  if (ticket.allowanceId !== undefined) issue('delivery', 'a charge under an allowance has no browser to release a digital good to');
}

/** The rules of an allowance ticket and of a charge under one. */
function checkAllowance(ticket: TicketShape, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (ticket.kind !== 'allowance') {
    if (ticket.allowance !== undefined) issue('allowance', 'is only for a ticket of kind allowance');
  } else if (ticket.allowance === undefined) {
    issue('allowance', 'an allowance ticket needs its terms (expiresAt, and optionally period and chargeCap)');
  } else {
    if (ticket.items.length > 0 || ticket.amount === 0 || ticket.vat !== 0) {
      issue('amount', 'an allowance ticket has no items, VAT 0 and its maximum above zero as amount');
    }
    if (ticket.fulfilment === 'deferred') issue('fulfilment', 'an allowance ticket has nothing to deliver');
    const { expiresAt, chargeCap } = ticket.allowance;
    if (expiresAt <= ticket.iat || expiresAt > ticket.iat + LIMITS.allowanceLifetime) {
      issue('allowance', `expiresAt must be after iat and at most ${LIMITS.allowanceLifetime} seconds after it`);
    }
    if (chargeCap !== undefined && chargeCap > ticket.amount) issue('allowance', 'chargeCap must not be above the maximum');
  }
  if (ticket.allowanceId !== undefined) {
    if (ticket.kind !== 'purchase') issue('allowanceId', 'only a purchase is charged under an allowance');
    if (ticket.fulfilment === 'deferred') issue('fulfilment', 'a charge under an allowance is paid at once, never held');
    if (ticket.customer !== undefined) issue('customer', 'the allowance names the customer');
    if (ticket.requested?.length) issue('requested', 'a charge under an allowance asks the customer nothing');
  }
}

export type Item = z.infer<typeof item>;
export type AllowanceTerms = z.infer<typeof allowanceTerms>;
export type AllowancePeriod = z.infer<typeof allowancePeriod>;
export type RequestedData = z.infer<typeof requestedData>;
export type CustomerHint = z.infer<typeof customerHint>;
export type TicketClaims = z.infer<typeof ticketClaims>;
