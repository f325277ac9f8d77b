import * as z from 'zod';
import { LIMITS } from '../limits.js';
import { amount, checkValidity, currency, id, label, party, phone, serial, state, timestamp, url, version } from './fields.js';

/**
 * One line of a ticket. `unitAmount` is the price of one unit in minor units, VAT
 * included (the price the customer pays); `vatRate` is in basis points (2000 = 20 %).
 */
export const item = z.strictObject({
  id,
  label,
  quantity: z.int().min(1).max(LIMITS.quantity),
  unitAmount: amount,
  vatRate: z.int().min(0).max(LIMITS.vatRate),
});

/** Customer data a ticket may ask the payment server to share, with the customer's consent. */
export const requestedData = z.enum(['shipping_address', 'email', 'name']);

export const customerHint = z.union([z.strictObject({ account: id }), z.strictObject({ phone })]);

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
    kind: z.enum(['purchase', 'authentication']),
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
    const ids = new Set(ticket.items.map((line) => line.id));
    if (ids.size !== ticket.items.length) ctx.addIssue({ code: 'custom', path: ['items'], message: 'item ids must be unique' });
    if (ticket.requested && new Set(ticket.requested).size !== ticket.requested.length) {
      ctx.addIssue({ code: 'custom', path: ['requested'], message: 'must not repeat an entry' });
    }
  });

export type Item = z.infer<typeof item>;
export type RequestedData = z.infer<typeof requestedData>;
export type CustomerHint = z.infer<typeof customerHint>;
export type TicketClaims = z.infer<typeof ticketClaims>;
