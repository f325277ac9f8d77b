import type { TicketRefusalList } from '@caisse/protocol';
import type { Hono } from 'hono';
import type { ApiEnv } from '../api/context.js';
import { ProblemError } from '../http/problem.js';
import { LIST_MAX } from './model.js';
import type { TicketRefusalService } from './service.js';

/**
 * The query: `limit` at most once, digits only (`1e2` or ` 5` are refused rather than read
 * some way); any other parameter is refused, so a misspelt one cannot silently list something else.
 */
function parseLimit(query: Record<string, string[]>): number | undefined {
  let limit: number | undefined;
  for (const [name, values] of Object.entries(query)) {
    const [text] = values;
    if (name !== 'limit' || values.length !== 1 || text === undefined || !/^[0-9]{1,4}$/.test(text)) {
      const message =
        name === 'limit' ? `must be a whole number from 1 to ${LIST_MAX}, given once` : 'is not a parameter of this endpoint (limit)';
      throw new ProblemError('request_invalid', `${name}: ${message}.`, { issues: [{ path: name, message }] });
    }
    limit = Number(text);
  }
  return limit;
}

/**
 * `GET /ticket-refusals[?limit]`, for the merchant API app: the tickets refused at intake
 * in the last 30 days that named the authenticated merchant, one entry per code and
 * message, the most recent first → `{ refusals: ApiTicketRefusal[] }`.
 * @example createApi({ …, endpoints: [ticketRefusalEndpoints({ refusals })] })
 */
export function ticketRefusalEndpoints(deps: { refusals: Pick<TicketRefusalService, 'list'> }) {
  return (api: Hono<ApiEnv>): void => {
    api.get('/ticket-refusals', async (c) => {
      const limit = parseLimit(c.req.queries());
      const refusals = await deps.refusals.list(c.get('merchantId'), limit === undefined ? {} : { limit });
      return c.json({ refusals } satisfies TicketRefusalList);
    });
  };
}
