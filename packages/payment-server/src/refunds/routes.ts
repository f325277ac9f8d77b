import { LIMITS } from '@caisse/protocol';
import type { Hono } from 'hono';
import { z } from 'zod';
import type { ApiEnv } from '../api/context.js';
import { jsonBody } from '../api/json-body.js';
import { parsePaymentId } from '../api/params.js';
import type { RefundService } from './service.js';

const refundRequest = z.strictObject({
  amount: z.int().min(1, 'must be a positive whole number of minor units').max(LIMITS.amount),
  reason: z.string().min(1).max(200).optional(),
});

/**
 * `POST /payments/:id/refunds` and `GET /payments/:id/refunds`, for the merchant API app.
 * @example refundEndpoints({ refunds })(api)
 */
export function refundEndpoints(deps: { refunds: RefundService }) {
  return (api: Hono<ApiEnv>): void => {
    api.post('/payments/:id/refunds', async (c) => {
      const serial = parsePaymentId(c.req.param('id'));
      const body = await jsonBody(c, refundRequest);
      const refund = await deps.refunds.create(c.get('merchantId'), serial, {
        amount: body.amount,
        ...(body.reason === undefined ? {} : { reason: body.reason }),
        requestKey: c.get('idempotencyKey'),
      });
      return c.json(refund, refund.status === 'pending' ? 202 : 201);
    });

    api.get('/payments/:id/refunds', async (c) => {
      const serial = parsePaymentId(c.req.param('id'));
      return c.json({ refunds: await deps.refunds.list(c.get('merchantId'), serial) });
    });
  };
}
