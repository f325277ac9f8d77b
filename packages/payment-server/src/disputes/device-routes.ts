import type { Hono } from 'hono';
import { createDeviceAuth } from '../devices/authenticate.js';
import type { DeviceService } from '../devices/service.js';
import { readJsonBody } from '../http/json-body.js';
import type { Logger } from '../log.js';
import type { MerchantService } from '../merchants/service.js';
import type { Queryable } from '../storage/database.js';
import { customerDisputes } from './customer-view.js';
import type { OpenDisputeInput } from './open.js';
import type { DisputeService } from './service.js';

export interface DisputeDeviceDeps {
  issuer: string;
  db: Queryable;
  devices: Pick<DeviceService, 'credentials'>;
  merchants: Pick<MerchantService, 'get'>;
  disputes: Pick<DisputeService, 'open' | 'listForCustomer'>;
  now?: () => Date;
  log?: Logger;
}

/**
 * The customer's disputes on the device API, authenticated as every device request is
 * (a `Caisse-Device` assertion signed by the device key, single use); mounted after
 * `deviceRoutes`, whose CORS and body limit cover `/device/*`:
 *
 * - `POST /device/disputes` `{ payment, reason, message[, amount] }` — opens a dispute on one
 *   of the customer's payments (201, the dispute); another customer's payment is
 *   `payment_unknown`, exactly as one that does not exist; a payment disputed already is
 *   `dispute_exists` (a retry after a lost answer too: list them to see it);
 * - `GET /device/disputes` — the customer's disputes, newest first.
 * @example createApp({ routes: [deviceRoutes(deps), disputeDeviceRoutes({ issuer, db, devices, merchants, disputes })] })
 */
export function disputeDeviceRoutes(deps: DisputeDeviceDeps): (app: Hono) => void {
  const auth = createDeviceAuth(deps);
  return (app) => {
    app.post('/device/disputes', async (c) => {
      const { device } = await auth.enrolled(c);
      const opened = await deps.disputes.open(device.customerId, (await readJsonBody(c)) as OpenDisputeInput);
      const [view] = await customerDisputes(deps.merchants, [opened]);
      c.header('cache-control', 'no-store');
      return c.json(view, 201);
    });

    app.get('/device/disputes', async (c) => {
      const { device } = await auth.enrolled(c);
      c.header('cache-control', 'no-store');
      return c.json({ disputes: await customerDisputes(deps.merchants, await deps.disputes.listForCustomer(device.customerId)) });
    });
  };
}
