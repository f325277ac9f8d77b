import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { CONTENT_BODY_LIMIT } from '../contents/model.js';
import { DELIVERY_PATH } from '../escrow/routes.js';
import { ProblemError } from '../http/problem.js';
import type { Logger } from '../log.js';
import type { Queryable } from '../storage/database.js';
import type { AssertionKeys } from './assertion.js';
import { merchantAssertion } from './authenticate.js';
import type { ApiEnv } from './context.js';
import { idempotency } from './idempotency.js';
import { parseListQuery, parsePaymentId } from './params.js';
import { createPaymentQueries } from './payments.js';

/** The largest request body the merchant API reads, in bytes (a digital good's PUT excepted: `CONTENT_BODY_LIMIT`). */
export const API_BODY_LIMIT = 64 * 1024;
const CONTENT_PATH = /\/contents\/[^/]+$/;

export interface ApiDeps {
  /** The payment server's public URL: assertions' `aud` and the base of their `htu`. */
  issuer: string;
  db: Queryable;
  /** Whose keys verify an assertion (`MerchantService`). */
  merchants: AssertionKeys;
  log?: Logger;
  now?: () => Date;
  /** Seconds of clock skew tolerated on assertions; default 30. */
  clockTolerance?: number;
  /** Milliseconds between two purges of expired assertions and idempotency keys by this instance; default 60 000. */
  purgeInterval?: number;
  /**
   * Keys that verify assertions on `POST /payments/:id/deliveries` only: the merchant's
   * own and its carriers' (`escrow/carriers.ts`). Every other endpoint takes `merchants`.
   */
  deliveryKeys?: AssertionKeys;
  /** Endpoints of other domains (escrow, refunds, settlements), behind the same authentication and idempotency. */
  endpoints?: readonly ((api: Hono<ApiEnv>) => void)[];
}

/**
 * The merchant API as a Hono app of its own, to mount at `/v1`. Every request passes,
 * in order: a body limit (64 KiB, `body_too_large`; a digital good's PUT, its own), the merchant's assertion
 * (`merchantAssertion`), and for POST an `Idempotency-Key` (`idempotency`); then the
 * endpoints, each scoped to the authenticated merchant:
 *
 * - `GET /payments/:id` — one payment (`pay_1042`) with its stored voucher; another
 *   merchant's is `payment_unknown` (404), exactly as one that does not exist; a bare
 *   number is refused (`request_invalid`): it could be an order serial;
 * - `GET /payments/by-serial/:serial` — the one payment of this order serial;
 *   `payment_ambiguous` (409, the ids in `payments`) when several have it;
 * - `GET /payments?from&to[&limit][&after]` — the payments of a period, oldest first.
 * @example new Hono().route('/v1', createApi({ issuer, db, merchants }))
 */
export function createApi(deps: ApiDeps): Hono<ApiEnv> {
  const log = deps.log ? { log: deps.log } : {};
  const now = deps.now ? { now: deps.now } : {};
  const purgeInterval = deps.purgeInterval === undefined ? {} : { purgeInterval: deps.purgeInterval };
  const payments = createPaymentQueries(deps.db);
  const api = new Hono<ApiEnv>();
  const assertion = {
    issuer: deps.issuer,
    db: deps.db,
    ...(deps.clockTolerance === undefined ? {} : { clockTolerance: deps.clockTolerance }),
    ...log,
    ...now,
    ...purgeInterval,
  };
  const asMerchant = merchantAssertion({ ...assertion, merchants: deps.merchants });
  const asDelivery = deps.deliveryKeys ? merchantAssertion({ ...assertion, merchants: deps.deliveryKeys }) : asMerchant;

  const limit = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new ProblemError('body_too_large', `This merchant API endpoint reads bodies of at most ${maxSize} bytes.`);
      },
    });
  const apiLimit = limit(API_BODY_LIMIT);
  // A digital good is the one body larger than a form: only its PUT reads more.
  const contentLimit = limit(CONTENT_BODY_LIMIT);
  api.use(
    '*',
    (c, next) => (c.req.method === 'PUT' && CONTENT_PATH.test(c.req.path) ? contentLimit : apiLimit)(c, next),
    (c, next) => (deps.deliveryKeys && c.req.method === 'POST' && DELIVERY_PATH.test(c.req.path) ? asDelivery : asMerchant)(c, next),
    idempotency({ db: deps.db, ...log, ...now, ...purgeInterval }),
  );

  api.get('/payments/by-serial/:serial', async (c) => c.json(await payments.bySerial(c.get('merchantId'), c.req.param('serial'))));

  api.get('/payments/:id', async (c) => {
    const payment = await payments.get(c.get('merchantId'), parsePaymentId(c.req.param('id')));
    if (payment === undefined) throw new ProblemError('payment_unknown');
    return c.json(payment);
  });

  api.get('/payments', async (c) => c.json(await payments.list(c.get('merchantId'), parseListQuery(c.req.queries()))));

  for (const endpoints of deps.endpoints ?? []) endpoints(api);

  return api;
}

/**
 * The merchant API for `createApp({ routes: [...] })`: mounts {@link createApi} at `/v1`
 * (the discovery document's `apiBase`). The app's error handler renders its problems.
 * @example createApp({ issuer, db, keys, log, routes: [apiRoutes({ issuer, db, merchants, log, now })] })
 */
export function apiRoutes(deps: ApiDeps): (app: Hono) => void {
  return (app) => {
    app.route('/v1', createApi(deps));
  };
}
