import * as z from 'zod';
import { LIMITS } from '../limits.js';
import { testMarker } from '../mode.js';
import { checkValidity, id, label, party, state, timestamp, version } from './fields.js';

/**
 * Payload of a `caisse-quote+jwt`: the payment server asking a merchant's registered quote
 * endpoint, server to server, what `quantity` of `item` costs now (seed 003's "demande
 * d'informations (devis)"). Signed with the payment server's key, so the merchant (server
 * kit: `verifyQuoteRequest`, `createQuoteHandler`) knows who asks; short-lived. The
 * merchant answers with a {@link quoteAnswer}: a ticket bound to this request by
 * `quote.request`, whose `exp` is how long the price holds.
 */
export const quoteRequestClaims = z
  .strictObject({
    ver: version,
    /** The payment server's issuer. */
    iss: party,
    /** The merchant id. */
    aud: id,
    jti: id,
    iat: timestamp,
    exp: timestamp,
    /** The merchant's own item reference, as the widget, phone or till named it. */
    item: id,
    quantity: z.int().min(1).max(LIMITS.quantity),
    /**
     * The browser binding the merchant's page gave the widget (its `ensureState`), when the
     * quote is asked from a browser: the ticket carries it, so the merchant's return handler
     * knows the browser that pays.
     */
    state: state.optional(),
    /** The language the customer reads, for the item's label. */
    locale: z.enum(['en', 'fr']).optional(),
    test: testMarker,
  })
  .superRefine((request, ctx) => {
    checkValidity(request, ctx, LIMITS.quoteRequestLifetime);
  });

/**
 * What a merchant's quote endpoint answers (JSON): the signed ticket for the item, or that
 * the item is not available, with a message the customer may be shown.
 */
export const quoteAnswer = z.discriminatedUnion('available', [
  z.strictObject({ available: z.literal(true), ticket: z.string().min(1).max(LIMITS.tokenLength) }),
  z.strictObject({ available: z.literal(false), message: label.optional() }),
]);

/**
 * A ticket made as a quote: the request it answers (its `jti`), and the item and quantity
 * asked. The payment server pays it only before its `exp` (the quote's validity); after
 * that, it asks the merchant again and never pays the old price.
 */
export const ticketQuote = z.strictObject({
  request: id,
  item: id,
  quantity: z.int().min(1).max(LIMITS.quantity),
  /** Units left after this one, when the merchant tells it (the availability shown to the customer). */
  stock: z.int().min(0).max(LIMITS.quantity).optional(),
});

/**
 * A digital good the payment server releases for the merchant (seed 003: the good
 * "stockée temporairement sur le frontal"): the merchant stored it, encrypted at rest, with
 * `PUT /v1/contents/{ref}`; after the payment is authorised, and only then, the browser that
 * paid gets it, once.
 */
export const ticketDelivery = z.strictObject({ content: id });

export type QuoteRequestClaims = z.infer<typeof quoteRequestClaims>;
export type QuoteAnswer = z.infer<typeof quoteAnswer>;
export type TicketQuote = z.infer<typeof ticketQuote>;
export type TicketDelivery = z.infer<typeof ticketDelivery>;
