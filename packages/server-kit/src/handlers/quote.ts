import { isCaisseError, LIMITS, parseMessage, type QuoteAnswer, quoteAnswer, type TicketQuote } from '@caisse/protocol';
import type { Merchant } from '../merchant.js';
import type { QuoteRequest } from '../quote/verify-request.js';
import { createState } from '../state.js';
import type { CreatedTicket, TicketInput } from '../ticket/create.js';
import {
  failureReporter,
  internalErrorResponse,
  isClientError,
  jsonResponse,
  problemResponse,
  readBoundedText,
  refuseTokenPost,
} from './problem.js';
import type { WebHandler } from './return.js';

/** How long a quoted price holds when `quote` gives no `lifetime`, in seconds. */
export const DEFAULT_QUOTE_LIFETIME = 300;

/**
 * What `quote` answers for an item it sells: the ticket to sign, less what the handler fills
 * in from the request (`state`, `quote`) or what a quote cannot be (an allowance, a charge
 * under one, a customer hint). `lifetime` is how long the price holds (default 300 s);
 * `stock`, the units left, shown to the customer.
 * @example const input: QuoteTicketInput = { serial: 'N-1', currency: 'EUR', items, returnUrl, cancelUrl, lifetime: 120, stock: 3 }
 */
export type QuoteTicketInput = Omit<TicketInput, 'state' | 'kind' | 'allowance' | 'allowanceId' | 'customer' | 'quote'> & {
  stock?: number;
};

/**
 * What `quote` answers for an item it does not sell now; `message` (1–200 characters) may be shown to the customer.
 * @example return { available: false, message: 'Sold out until Monday' }
 */
export interface QuoteUnavailable {
  available: false;
  message?: string;
}

/**
 * Options of {@link createQuoteHandler}.
 * @example const options: QuoteHandlerOptions = { merchant, quote: (request) => priceOf(request.item), onTicket: (t) => db.tickets.insert(t.reference) }
 */
export interface QuoteHandlerOptions {
  /** Verifies the requests (`merchant.verifyQuoteRequest`) and signs the tickets (`merchant.createTicket`). */
  merchant: Merchant;
  /**
   * The price of `request.quantity` of `request.item` now: a ticket input with its items
   * (the lines are yours to set; a quote without any is refused), or `{ available: false }`.
   * Throw and the payment server is answered `500`: it tells the customer the price could
   * not be fetched.
   */
  quote(request: QuoteRequest): QuoteTicketInput | QuoteUnavailable | Promise<QuoteTicketInput | QuoteUnavailable>;
  /**
   * Store `ticket.reference` (as for any ticket you make: the voucher is verified against
   * it) and resolve only once it is stored: the ticket is sent only after that. Throw and
   * the answer is `500`, no ticket.
   */
  onTicket(ticket: CreatedTicket, request: QuoteRequest): void | Promise<void>;
  /** Told about failures that are not the sender's (a throwing `quote` or `onTicket`, keys unavailable); default `console.error`. */
  onError?(error: unknown, request: Request): void;
  /** Largest body, in bytes (default the token limit plus 1 KiB). */
  maxBodyBytes?: number;
}

/**
 * The ticket of a quote, or `undefined` when the item is not available. The handler's own
 * claims come last, and what a quote cannot carry is cleared, so that an untyped `quote()`
 * can neither rebind the ticket nor make it an allowance or a charge under one.
 */
function quotedTicket(merchant: Merchant, request: QuoteRequest, answer: QuoteTicketInput | QuoteUnavailable): CreatedTicket | undefined {
  if ('available' in answer && answer.available === false) return undefined;
  const { stock, ...input } = answer as QuoteTicketInput;
  // Which lines make up the item is the merchant's to say; a quote of nothing would be an authentication ticket.
  if (!Array.isArray(input.items) || input.items.length === 0) {
    throw new TypeError(
      `createQuoteHandler: quote() answered a ticket without items for "${request.item}"; give its lines, or { available: false }.`,
    );
  }
  const quote: TicketQuote = {
    request: request.jti,
    item: request.item,
    quantity: request.quantity,
    ...(stock === undefined ? {} : { stock }),
  };
  return merchant.createTicket({
    ...input,
    lifetime: input.lifetime ?? DEFAULT_QUOTE_LIFETIME,
    kind: 'purchase',
    allowance: undefined,
    allowanceId: undefined,
    customer: undefined,
    // A request asked from no browser (a phone app, a till) binds the ticket to nothing: a fresh random state stands in.
    state: request.state ?? createState(),
    quote,
  });
}

/**
 * The handler for the merchant's quote endpoint. The payment server POSTs a signed
 * `caisse-quote+jwt` asking what `quantity` of `item` costs now; this verifies it
 * (`merchant.verifyQuoteRequest`), calls `quote`, signs the ticket with
 * `quote: { request: <the request's jti>, item, quantity, stock? }`, the request's `state`
 * (a fresh one when it has none) and `exp` = now + `lifetime` (default 300 s: how long the
 * price holds), awaits `onTicket`, then answers `200` JSON `{ available: true, ticket }`, or
 * `{ available: false, message? }`. A request that is not the payment server's, is for
 * another merchant or mode, or has expired gets `application/problem+json` with its `code`
 * (400/401) and `quote` is not called. A `quote` or `onTicket` that throws is reported to
 * `onError` and answered `500` with nothing about it.
 *
 * @example
 * const quoteHandler = createQuoteHandler({
 *   merchant,
 *   quote: async ({ item, quantity }) => {
 *     const article = await catalogue.find(item)
 *     if (!article) return { available: false, message: 'No such article.' }
 *     return { serial: `N-${randomId()}`, currency: 'EUR', returnUrl, cancelUrl, lifetime: 120,
 *       items: [{ id: article.id, label: article.title, quantity, unitAmount: article.price, vatRate: 550 }] }
 *   },
 *   onTicket: (ticket) => db.tickets.insert(ticket.reference),
 * })
 * // Hono: app.post('/caisse/quote', (c) => quoteHandler(c.req.raw))
 */
export function createQuoteHandler(options: QuoteHandlerOptions): WebHandler {
  const { merchant } = options;
  const maxBodyBytes = options.maxBodyBytes ?? LIMITS.tokenLength + 1024;

  const report = failureReporter(options.onError, 'quote');

  async function handle(request: Request): Promise<Response> {
    const refused = refuseTokenPost(request, 'Quote requests are POSTed.', 'Send the quote request token as application/jwt.');
    if (refused) return refused;
    let quoteRequest: QuoteRequest;
    try {
      quoteRequest = await merchant.verifyQuoteRequest((await readBoundedText(request, maxBodyBytes)).trim());
    } catch (error) {
      if (!isClientError(error)) report(error, request);
      return isCaisseError(error) ? problemResponse(error) : internalErrorResponse();
    }
    let answer: QuoteAnswer;
    try {
      const result = await options.quote(quoteRequest);
      const ticket = quotedTicket(merchant, quoteRequest, result);
      if (ticket === undefined) {
        const { message } = result as QuoteUnavailable;
        answer = { available: false, ...(message === undefined ? {} : { message }) };
      } else {
        await options.onTicket(ticket, quoteRequest);
        answer = { available: true, ticket: ticket.token };
      }
      // The payment server reads the answer with this schema: a message it would refuse is the merchant's bug, said here.
      answer = parseMessage(quoteAnswer, answer, 'message_invalid');
    } catch (error) {
      // Whatever went wrong is the merchant's, not the payment server's: a 400 would blame the request.
      report(error, request);
      return internalErrorResponse();
    }
    return jsonResponse(answer, 200);
  }

  return async (request) => {
    try {
      return await handle(request);
    } catch (error) {
      report(error, request);
      return internalErrorResponse();
    }
  };
}
