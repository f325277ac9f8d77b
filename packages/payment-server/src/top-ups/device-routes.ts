import { isCurrencyCode, LIMITS } from '@caisse/protocol';
import type { Hono } from 'hono';
import { z } from 'zod';
import { jsonBody } from '../api/json-body.js';
import { createDeviceAuth } from '../devices/authenticate.js';
import type { DeviceService } from '../devices/service.js';
import { ProblemError } from '../http/problem.js';
import type { Logger } from '../log.js';
import type { Queryable } from '../storage/database.js';
import type { TopUpService } from './service.js';

const topUpRequest = z.strictObject({
  amount: z.int().min(1, 'must be a positive whole number of minor units').max(LIMITS.amount),
  currency: z.string().refine(isCurrencyCode, 'must be an active ISO 4217 currency code such as EUR'),
});

/** The request id of a device top-up: its `Idempotency-Key`, so a retry tops up once. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export interface TopUpDeviceDeps {
  issuer: string;
  db: Queryable;
  devices: Pick<DeviceService, 'credentials'>;
  topUps: TopUpService;
  now?: () => Date;
  log?: Logger;
}

/**
 * `POST /device/top-ups` on the device API: the enrolled phone tops up its customer's
 * wallet from the customer's bank. Authenticated as every device request is (a
 * `Caisse-Device` assertion signed by the device key, single use); mounted after
 * `deviceRoutes`, whose CORS and body limit cover `/device/*`.
 * @example createApp({ routes: [deviceRoutes(deps), topUpDeviceRoutes({ issuer, db, devices, topUps })] })
 */
export function topUpDeviceRoutes(deps: TopUpDeviceDeps): (app: Hono) => void {
  const auth = createDeviceAuth(deps);
  return (app) => {
    app.post('/device/top-ups', async (c) => {
      const { device } = await auth.enrolled(c);
      const requestId = c.req.header('idempotency-key') ?? '';
      if (!REQUEST_ID.test(requestId)) {
        const message = 'must be 1–64 characters of A-Z a-z 0-9 . _ : - (a UUID fits), the same on every retry';
        throw new ProblemError('request_invalid', `Idempotency-Key: ${message}.`, { issues: [{ path: 'Idempotency-Key', message }] });
      }
      const body = await jsonBody(c, topUpRequest);
      const topUp = await deps.topUps.topUp(device.customerId, { amount: BigInt(body.amount), currency: body.currency, requestId });
      return c.json(topUp, topUp.status === 'pending' ? 202 : 201);
    });
  };
}
