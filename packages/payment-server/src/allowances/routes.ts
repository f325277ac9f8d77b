import type { Hono } from 'hono';
import { z } from 'zod';
import type { ApiEnv } from '../api/context.js';
import { API_BODY_LIMIT } from '../api/routes.js';
import { createDeviceAuth } from '../devices/authenticate.js';
import type { DeviceService } from '../devices/service.js';
import { parseJsonBody } from '../http/json-body.js';
import { limitedNodeBody } from '../http/node-body.js';
import { ProblemError } from '../http/problem.js';
import type { Logger } from '../log.js';
import { parseInput } from '../merchants/input.js';
import type { Queryable } from '../storage/database.js';
import type { AllowanceCharges } from './charge.js';
import type { AllowanceService } from './service.js';

/** Where a merchant charges under an allowance; the ticket authenticates the request, so it is outside the assertion. */
export const CHARGE_PATH = '/v1/allowances/charges';

// No length cap here: intake answers an oversized ticket `token_too_large`, and the body limit bounds the read.
const chargeRequest = z.strictObject({ ticket: z.string().min(1) });

/**
 * `POST /v1/allowances/charges` `{ticket}` → 201 `{allowance, remaining, payment}` (200 with
 * the same payment for the same ticket sent again). The charge ticket is the request's
 * credential: signed by a registered key of its merchant, for this server, unexpired and
 * single use, exactly what an assertion would prove, so the hot path verifies one
 * signature and writes one transaction. Mount before `apiRoutes`, whose assertion would
 * otherwise be asked for.
 * @example createApp({ routes: [allowanceChargeRoutes({ charges }), apiRoutes(…)] })
 */
export function allowanceChargeRoutes(deps: { charges: AllowanceCharges; log?: Logger }): (app: Hono) => void {
  // The body straight from the socket under Node (http/node-body.ts): nothing else on this route reads it.
  const body = limitedNodeBody({
    maxSize: API_BODY_LIMIT,
    tooLarge: () => new ProblemError('body_too_large', `The merchant API reads bodies of at most ${API_BODY_LIMIT} bytes.`),
  });
  return (app) => {
    app.post(CHARGE_PATH, body.limit, async (c) => {
      const { text, contentType } = await body.read(c);
      const { ticket } = parseInput(chargeRequest, parseJsonBody(text, contentType));
      const { result, created } = await deps.charges.charge(ticket);
      return c.json(result, created ? 201 : 200);
    });
  };
}

/**
 * The merchant's allowances on the merchant API, behind its assertion:
 * `GET /allowances/:id` and `POST /allowances/:id/close` (settles now; the same answer again once closed).
 * @example createApi({ …, endpoints: [allowanceEndpoints({ allowances })] })
 */
export function allowanceEndpoints(deps: { allowances: Pick<AllowanceService, 'get' | 'close'> }): (api: Hono<ApiEnv>) => void {
  return (api) => {
    api.get('/allowances/:id', async (c) => c.json(await deps.allowances.get(c.get('merchantId'), c.req.param('id'))));
    api.post('/allowances/:id/close', async (c) => c.json(await deps.allowances.close(c.get('merchantId'), c.req.param('id'))));
  };
}

export interface AllowanceDeviceDeps {
  issuer: string;
  db: Queryable;
  devices: Pick<DeviceService, 'credentials'>;
  allowances: Pick<AllowanceService, 'listForCustomer' | 'revoke'>;
  now?: () => Date;
  log?: Logger;
}

/**
 * The customer's allowances on the device API (docs/device-api.md, "Session allowances"):
 * `GET /device/allowances` (the live ones) and `POST /device/allowances/:id/revoke`
 * (settled at once; no PIN: taking a permission back is never what a thief wants).
 * Mounted after `deviceRoutes`, whose CORS and body limit cover `/device/*`.
 * @example createApp({ routes: [deviceRoutes(deps), allowanceDeviceRoutes({ issuer, db, devices, allowances })] })
 */
export function allowanceDeviceRoutes(deps: AllowanceDeviceDeps): (app: Hono) => void {
  const auth = createDeviceAuth(deps);
  return (app) => {
    app.get('/device/allowances', async (c) => {
      const { device } = await auth.enrolled(c);
      c.header('cache-control', 'no-store');
      return c.json({ allowances: await deps.allowances.listForCustomer(device.customerId) });
    });

    app.post('/device/allowances/:id/revoke', async (c) => {
      const { device } = await auth.enrolled(c);
      await deps.allowances.revoke(device.customerId, c.req.param('id'));
      c.header('cache-control', 'no-store');
      return c.json({ allowances: await deps.allowances.listForCustomer(device.customerId) });
    });
  };
}
