import { decodeJws } from '@caisse/server-kit';
import type { Hono } from 'hono';
import { z } from 'zod';
import { assertionFromHeader } from '../api/assertion.js';
import type { ApiEnv } from '../api/context.js';
import { jsonBody } from '../api/json-body.js';
import { parsePaymentId } from '../api/params.js';
import type { CarrierKeyService } from './carriers.js';
import type { EscrowService } from './service.js';

/** The one merchant API request a carrier key may authenticate. */
export const DELIVERY_PATH = /\/payments\/[^/]+\/deliveries$/;

const note = z.string().min(1).max(200).optional();
const deliveryRequest = z.strictObject({ reference: note });
const cancellationRequest = z.strictObject({ reason: note });

/**
 * `POST /payments/:id/deliveries` (the merchant or one of its carriers) and
 * `POST /payments/:id/cancellation` (the merchant), for the merchant API app.
 * @example escrowEndpoints({ escrow, carriers })(api)
 */
export function escrowEndpoints(deps: { escrow: EscrowService; carriers: CarrierKeyService }) {
  return (api: Hono<ApiEnv>): void => {
    api.post('/payments/:id/deliveries', async (c) => {
      const serial = parsePaymentId(c.req.param('id'));
      const body = await jsonBody(c, deliveryRequest);
      const merchantId = c.get('merchantId');
      // The assertion has been verified with the merchant's keys or its carriers'; which one signed decides who is recorded.
      const { kid } = decodeJws(assertionFromHeader(c.req.header('authorization')), ['caisse-assertion+jwt']);
      const carrier = await deps.carriers.isCarrierKey(merchantId, kid);
      const resolution = await deps.escrow.release(merchantId, serial, {
        by: carrier ? 'carrier' : 'merchant',
        ...(carrier ? { carrierKid: kid } : {}),
        ...(body.reference === undefined ? {} : { note: body.reference }),
      });
      return c.json(resolution);
    });

    api.post('/payments/:id/cancellation', async (c) => {
      const serial = parsePaymentId(c.req.param('id'));
      const body = await jsonBody(c, cancellationRequest);
      const resolution = await deps.escrow.void(c.get('merchantId'), serial, {
        by: 'merchant',
        ...(body.reason === undefined ? {} : { note: body.reason }),
      });
      return c.json(resolution);
    });
  };
}
