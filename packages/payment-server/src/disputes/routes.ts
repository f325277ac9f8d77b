import type { Hono } from 'hono';
import type { ApiEnv } from '../api/context.js';
import { readJsonBody } from '../http/json-body.js';
import { ProblemError } from '../http/problem.js';
import { toDispute } from './model.js';
import type { DisputeService } from './service.js';

const LIST_PARAMETERS = new Set(['state']);

/**
 * The merchant API's disputes, for the API app (`ApiDeps.endpoints`), each scoped to the
 * authenticated merchant (another merchant's dispute is `dispute_unknown`, 404):
 *
 * - `GET /disputes[?state=awaiting_merchant|awaiting_decision|resolved]` — newest first, at most 100;
 * - `GET /disputes/:id` — one dispute;
 * - `POST /disputes/:id/answer` — the merchant's evidence (`text`, and `carrier`,
 *   `trackingReference`, `deliveredAt`), once, before `answerDueAt`; idempotent by its
 *   `Idempotency-Key`, as every API write.
 * @example disputeEndpoints({ disputes })(api)
 */
export function disputeEndpoints(deps: { disputes: DisputeService }) {
  return (api: Hono<ApiEnv>): void => {
    api.get('/disputes', async (c) => {
      const unknown = Object.keys(c.req.queries()).find((name) => !LIST_PARAMETERS.has(name));
      if (unknown !== undefined) {
        throw new ProblemError('request_invalid', `${unknown}: is not a parameter of this listing.`, {
          issues: [{ path: unknown, message: 'is not a parameter of this listing' }],
        });
      }
      const state = c.req.query('state');
      const rows = await deps.disputes.listForMerchant(c.get('merchantId'), state === undefined ? {} : { state });
      return c.json({ disputes: rows.map(toDispute) });
    });

    api.get('/disputes/:id', async (c) => c.json(toDispute(await deps.disputes.getForMerchant(c.get('merchantId'), c.req.param('id')))));

    api.post('/disputes/:id/answer', async (c) => {
      // Checked by the service (`answerDispute`), which every caller goes through.
      const body = await readJsonBody(c);
      return c.json(toDispute(await deps.disputes.answer(c.get('merchantId'), c.req.param('id'), body)));
    });
  };
}
