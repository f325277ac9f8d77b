import { CaisseError, isCaisseError, LIMITS, TOKEN_TYPES } from '@caisse/protocol';
import { decodeJws, decodePart } from '../jws/decode.js';
import { parseJsonObject } from '../jws/json.js';
import type { Merchant } from '../merchant.js';
import { type Notification, notificationReplayKey, type VerifyNotificationOptions, verifyNotification } from '../notification/verify.js';
import type { ReplayStore } from '../replay/store.js';
import {
  failureReporter,
  internalErrorResponse,
  isClientError,
  jsonResponse,
  problemResponse,
  readBoundedText,
  refuseTokenPost,
} from './problem.js';
import type { WebHandler } from './return.js';

/**
 * What the handler answers with `200`: `processed` the first time, `duplicate` for a redelivery of an event already processed.
 * @example const ack = (await response.json()) as NotificationAck
 */
export interface NotificationAck {
  status: 'processed' | 'duplicate';
}

/**
 * What the merchant plugs into {@link createNotificationHandler}.
 * @example const hooks: NotificationHandlerHooks = { onNotification: (event) => db.events.insert(event.jti, event) }
 */
export interface NotificationHandlerHooks {
  /**
   * Store the event (or act on it) and resolve only once it is durable: the payment
   * server stops retrying as soon as the handler answers `200`. Throw to have it
   * delivered again later; the event is then processed again on redelivery.
   */
  onNotification(event: Notification, request: Request): void | Promise<void>;
  /** Told about failures that are not the sender's (a throwing `onNotification`, a replay store down); default `console.error`. */
  onError?(error: unknown, request: Request): void;
  /** Largest body, in bytes (default the token limit plus 1 KiB). */
  maxBodyBytes?: number;
}

/**
 * Options of {@link createNotificationHandler}: the hooks, and either a `merchant` or the verification options.
 * @example const options: NotificationHandlerOptions = { issuer, keys, replayStore, audience: 'shop-1', onNotification }
 */
export type NotificationHandlerOptions = NotificationHandlerHooks & ({ merchant: Merchant } | VerifyNotificationOptions);

/** How soon a sender should retry an event that another request is still processing, in seconds. */
const RETRY_AFTER = 5;

/**
 * The replay key of a notification already known to be authentic: `verifyNotification`
 * only reports a replay after the signature and claims checked out.
 */
function replayKeyOf(token: string): string | undefined {
  try {
    const payload = parseJsonObject(decodePart(decodeJws(token, [TOKEN_TYPES.notification]).encodedPayload, 'payload'), 'payload');
    return typeof payload.iss === 'string' && typeof payload.jti === 'string'
      ? notificationReplayKey({ iss: payload.iss, jti: payload.jti })
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The handler for the merchant's notification URL. The payment server POSTs each event
 * as a signed `caisse-notification+jwt` and retries until it gets a `2xx`. This verifies
 * it (which claims its `jti` so each event is processed once), calls `onNotification`,
 * and acknowledges with `200` only after that resolved. If `onNotification` throws, the
 * claim is released and the answer is `500`, so the retry is processed. A redelivery of
 * a processed event is acknowledged without calling `onNotification` again; one that
 * arrives while the first delivery is still being processed in this process gets `503`
 * with `Retry-After`, since acknowledging it could lose the event if processing then fails.
 * Invalid tokens get `application/problem+json` with the error `code` (400/401).
 *
 * @example
 * const notificationHandler = createNotificationHandler({
 *   merchant,
 *   onNotification: async (event) => { await db.events.insert(event.jti, event) },
 * })
 * // Express: app.post('/caisse/notify', toNodeHandler(notificationHandler))
 */
export function createNotificationHandler(options: NotificationHandlerOptions): WebHandler {
  const maxBodyBytes = options.maxBodyBytes ?? LIMITS.tokenLength + 1024;
  const replayStore: ReplayStore = 'merchant' in options ? options.merchant.replayStore : options.replayStore;
  const verify =
    'merchant' in options
      ? (token: string) => options.merchant.verifyNotification(token)
      : (token: string) => verifyNotification(token, options);
  /** Replay keys whose `onNotification` is running here; a shared store cannot tell "processing" from "done", this process can. */
  const processing = new Set<string>();

  const report = failureReporter(options.onError, 'notification');

  async function handle(request: Request): Promise<Response> {
    const refused = refuseTokenPost(request, 'Notifications are POSTed.', 'Send the notification token as application/jose.');
    if (refused) return refused;
    let event: Notification;
    let token: string | undefined;
    try {
      token = (await readBoundedText(request, maxBodyBytes)).trim();
      event = await verify(token);
    } catch (error) {
      if (isCaisseError(error, 'token_replayed')) {
        const key = token !== undefined ? replayKeyOf(token) : undefined;
        if (key !== undefined && processing.has(key)) {
          return problemResponse(new CaisseError('token_replayed', 'This event is still being processed; retry later.'), {
            status: 503,
            headers: { 'retry-after': String(RETRY_AFTER) },
          });
        }
        return jsonResponse({ status: 'duplicate' } satisfies NotificationAck, 200);
      }
      if (!isClientError(error)) report(error, request);
      return isCaisseError(error) ? problemResponse(error) : internalErrorResponse();
    }
    const key = notificationReplayKey(event);
    processing.add(key);
    try {
      await options.onNotification(event, request);
    } catch (error) {
      report(error, request);
      try {
        await replayStore.release(key);
      } catch (releaseError) {
        // The event stays claimed until the dedupe window ends: redeliveries are then acknowledged unprocessed. Say so loudly.
        report(releaseError, request);
      }
      return internalErrorResponse();
    } finally {
      processing.delete(key);
    }
    return jsonResponse({ status: 'processed' } satisfies NotificationAck, 200);
  }

  return async (request) => {
    try {
      return await handle(request);
    } catch (error) {
      report(error, request);
      return internalErrorResponse();
    }
  };
}
