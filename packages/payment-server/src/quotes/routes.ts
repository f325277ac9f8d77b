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

const quoteInput = z.strictObject({
  merchant: merchantId,
  item: merchantId,
  quantity: z.int().min(1).max(LIMITS.quantity).default(1),
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
      if (deps.throttle?.mustWait(c)) throw new ProblemError('too_many_requests');
      deps.throttle?.failed(c);
      const input = parseInput(quoteInput, await readJsonBody(c));
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
