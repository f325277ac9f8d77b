import { type ApiQuote, LIMITS } from '@caisse/protocol';
import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import * as z from 'zod';
import type { RequestThrottle } from '../http/attempt-throttle.js';
import { readJsonBody } from '../http/json-body.js';
import { ProblemError } from '../http/problem.js';
import { parseInput } from '../merchants/input.js';
import { merchantId } from '../merchants/model.js';
import type { QuoteFetcher } from './fetch.js';

/**
 * What a quote is asked for, by a phone or a till (JSON) and by a browser (form fields,
 * hence the coerced quantity): `merchant` and `item` (ids), `quantity` (1 by default),
 * `state` (the merchant page's browser binding). Anything else is `request_invalid`,
 * before the merchant is called.
 */
export const quoteQuery = z.object({
  merchant: merchantId,
  item: merchantId,
  quantity: z.coerce.number().int().min(1).max(LIMITS.quantity).default(1),
  state: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,256}$/, 'must be 16–256 base64url characters')
    .optional(),
});

/**
 * `POST /quotes` `{merchant, item, quantity?}`, for a phone app or a till: the merchant's
 * quote, fetched and verified → {@link ApiQuote} (`application/problem+json` otherwise:
 * `quote_endpoint_missing`, `quote_unavailable` with the merchant's `message`,
 * `quote_failed`, and `too_many_requests` past `CAISSE_QUOTE_LIMIT` per client). Public like
 * `/pay`, and open to any origin: it carries no credential, and a quote is a ticket anyone may pay.
 * @example createApp({ …, routes: [quoteRoutes({ quotes })] })
 */
export function quoteRoutes(deps: { quotes: QuoteFetcher; throttle?: RequestThrottle }) {
  return (app: Hono): void => {
    app.use(
      '/quotes',
      cors({ origin: '*', allowMethods: ['POST'], allowHeaders: ['Content-Type'], maxAge: 600 }),
      bodyLimit({
        maxSize: 1024,
        onError: () => {
          throw new ProblemError('body_too_large', 'A quote request is at most 1024 bytes.');
        },
      }),
    );
    app.post('/quotes', async (c) => {
      // Counted before anything is read: a malformed request costs the merchant nothing, but it costs us.
      if (await deps.throttle?.spend(c)) throw new ProblemError('too_many_requests');
      const input = parseInput(quoteQuery.strict(), await readJsonBody(c));
      const { token, ticket } = await deps.quotes.fetch({ merchantId: input.merchant, item: input.item, quantity: input.quantity });
      const { claims } = ticket;
      const quote: ApiQuote = {
        ticket: token,
        amount: claims.amount,
        currency: claims.currency,
        items: claims.items,
        expiresAt: new Date(claims.exp * 1000).toISOString(),
        ...(claims.quote?.stock === undefined ? {} : { stock: claims.quote.stock }),
      };
      return c.json(quote, 200, { 'cache-control': 'no-store' });
    });
  };
}
