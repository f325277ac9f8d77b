import { importPublicJwk } from '@caisse/server-kit';
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { readJsonBody } from '../http/json-body.js';
import { ProblemError } from '../http/problem.js';
import type { Logger } from '../log.js';
import { parseInput } from '../merchants/input.js';
import type { Database } from '../storage/database.js';
import { type ConfirmationAnswer, createAnswers } from './answer.js';
import { createDeviceAuth, DEVICE_SCHEME } from './authenticate.js';
import type { ConfirmationService } from './confirmations.js';
import { answeredRequests, historyQuery } from './history.js';
import { answerInput, enrollInput, pinChangeInput } from './model.js';
import { type DeviceService, deviceIdOf } from './service.js';
import { deviceStream } from './stream.js';
import type { DeviceStreams } from './streams.js';

/** The largest body a device endpoint reads, in bytes. */
export const DEVICE_BODY_LIMIT = 64 * 1024;

export interface DeviceRoutesDeps {
  /** The payment server's public URL: the `aud` of assertions and confirmations, the base of `htu`. */
  issuer: string;
  db: Database;
  devices: DeviceService;
  confirmations: ConfirmationService;
  streams: DeviceStreams;
  /**
   * Called once an answer is committed (the checkout authorises or refuses the session).
   * A failure here is logged: the answer stands, and the checkout's own reconciliation
   * must pick the session up.
   */
  onAnswered?: (answer: ConfirmationAnswer) => Promise<void>;
  log?: Logger;
  now?: () => Date;
  clockTolerance?: number;
}

function lastEventId(c: Context): bigint | undefined {
  const header = c.req.header('last-event-id')?.trim();
  return header !== undefined && /^\d{1,19}$/.test(header) ? BigInt(header) : undefined;
}

/**
 * The device API (docs/device-api.md) for `createApp({ routes: [...] })`: enrollment, the
 * requests (JSON or a live stream), answers and their outcomes, PIN change and revocation, under `/device`.
 * CORS is open (`*`, no credentials): a phone web app lives on its own origin and
 * authenticates by header, never by cookie.
 * @example deviceRoutes({ issuer, db, devices, confirmations, streams, onAnswered: authoriser.onConfirmation })
 */
export function deviceRoutes(deps: DeviceRoutesDeps): (app: Hono) => void {
  const auth = createDeviceAuth(deps);
  const answers = createAnswers({
    db: deps.db,
    issuer: deps.issuer,
    devices: deps.devices,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.log ? { log: deps.log } : {}),
  });

  return (app) => {
    app.use(
      '/device/*',
      cors({
        origin: '*',
        // PUT: the payment plan (customers/device-routes.ts).
        allowMethods: ['GET', 'POST', 'PUT', 'DELETE'],
        // Idempotency-Key: top-ups (top-ups/device-routes.ts) need one, and a phone web app sends it cross-origin.
        allowHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID', 'Idempotency-Key'],
        // A phone whose clock is off learns the server's time from it (the SDK's server clock).
        exposeHeaders: ['Date'],
        maxAge: 600,
      }),
      bodyLimit({
        maxSize: DEVICE_BODY_LIMIT,
        onError: () => {
          throw new ProblemError('body_too_large', `Device endpoints read bodies of at most ${DEVICE_BODY_LIMIT} bytes.`);
        },
      }),
      async (c, next) => {
        await next();
        if (c.res.status === 401 && c.res.headers.get('content-type')?.startsWith('application/problem+json')) {
          c.res.headers.set('www-authenticate', DEVICE_SCHEME);
        }
      },
    );
    app.use(
      '/device',
      cors({ origin: '*', allowMethods: ['DELETE'], allowHeaders: ['Authorization'], exposeHeaders: ['Date'], maxAge: 600 }),
    );

    app.post('/device/enroll', async (c) => {
      const input = parseInput(enrollInput, await readJsonBody(c));
      const deviceId = deviceIdOf(input.jwk);
      if (input.jwk.kid !== deviceId) {
        throw new ProblemError('request_invalid', `jwk.kid must be the device id: "dev-" + the key's RFC 7638 thumbprint (${deviceId}).`);
      }
      const key = importPublicJwk(input.jwk);
      await auth.verify(c, { deviceId, keys: { get: (kid) => (kid === deviceId ? key : undefined) } });
      const device = await deps.devices.enroll(deviceId, input);
      return c.json(
        {
          device: { id: device.id, ...(device.name === null ? {} : { name: device.name }), createdAt: device.createdAt.toISOString() },
          customer: { account: device.customerId },
        },
        201,
      );
    });

    app.get('/device/requests', async (c) => {
      const { device } = await auth.enrolled(c);
      if ((c.req.header('accept') ?? '').includes('text/event-stream')) {
        return deviceStream({
          customerId: device.customerId,
          deviceId: device.id,
          lastEventId: lastEventId(c),
          streams: deps.streams,
          confirmations: deps.confirmations,
          db: deps.db,
          signal: c.req.raw.signal,
        });
      }
      const pending = await deps.confirmations.pending(deps.db, device.customerId);
      c.header('cache-control', 'no-store');
      return c.json({ requests: pending.map((each) => each.request) });
    });

    // What became of the requests this customer answered: how a phone offline at the `outcome` event learns it.
    app.get('/device/history', async (c) => {
      const { device } = await auth.enrolled(c);
      const query = parseInput(historyQuery, c.req.query());
      const history = await answeredRequests(deps.db, device.customerId, query);
      c.header('cache-control', 'no-store');
      return c.json(history);
    });

    app.post('/device/requests/:id/answer', async (c) => {
      const { token } = parseInput(answerInput, await readJsonBody(c));
      const { state, answer } = await answers.answer(c.req.param('id'), token);
      try {
        await deps.onAnswered?.(answer);
      } catch (error) {
        deps.log?.error('confirmation.on_answered_failed', { sessionId: answer.sessionId, error });
      }
      return c.json({ state });
    });

    app.post('/device/pin', async (c) => {
      const { claims, device } = await auth.enrolled(c);
      const input = parseInput(pinChangeInput, await readJsonBody(c));
      await deps.devices.changePin(device, claims.jti, input);
      return c.body(null, 204);
    });

    app.delete('/device', async (c) => {
      const { device } = await auth.enrolled(c);
      await deps.devices.revoke(device.id);
      return c.body(null, 204);
    });
  };
}
