import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNotificationHandler, type Merchant, type Notification } from '@caisse/server-kit';
import { toNodeHandler } from '@caisse/server-kit/node';

/** One POST the receiver got, and what it answered. */
export interface ReceivedRequest {
  /** Read from the token without verifying it, to tell attempts apart; the handler does the verifying. */
  jti: string;
  iat: number;
  contentType: string | null;
  status: number;
  /** The handler's `{ status: 'processed' | 'duplicate' }`, when it answered 200. */
  ack?: string;
}

export interface Receiver {
  /** The notification URL to register: `http://127.0.0.1:<port>/caisse/notify`. */
  url: string;
  /** The merchant's store: what `onNotification` kept, in order. Each event must be here once. */
  processed: Notification[];
  /** Every request that reached the handler. */
  requests: ReceivedRequest[];
  /** The merchant's storage fails for the next `count` events: `onNotification` throws, the handler answers 500. */
  failNext(count: number): void;
  /** The next `count` acknowledgements are lost: processed, then the connection is cut before the answer. */
  dropNextAcks(count: number): void;
  /**
   * The next event's processing waits until `release()`: the request stays open meanwhile.
   * `arrived` resolves once the event is inside `onNotification` (verified and claimed).
   */
  hold(): { arrived: Promise<Notification>; release(): void };
  close(): Promise<void>;
}

function unverifiedClaims(token: string): { jti: string; iat: number } {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti?: unknown; iat?: unknown };
    return { jti: String(payload.jti), iat: Number(payload.iat) };
  } catch {
    return { jti: '?', iat: Number.NaN };
  }
}

/**
 * A merchant backend's notification endpoint over real HTTP on 127.0.0.1: server kit's
 * `createNotificationHandler` (verify, dedupe by `jti`, store, then acknowledge) behind
 * `toNodeHandler`, with an array as the merchant's store and switches to make it fail.
 */
export async function startReceiver(merchant: Merchant): Promise<Receiver> {
  const processed: Notification[] = [];
  const requests: ReceivedRequest[] = [];
  let failures = 0;
  let drops = 0;
  const holds: { arrived: (event: Notification) => void; released: Promise<void> }[] = [];

  const handler = createNotificationHandler({
    merchant,
    async onNotification(event) {
      const held = holds.shift();
      if (held) {
        held.arrived(event);
        await held.released;
      }
      if (failures > 0) {
        failures -= 1;
        throw new Error('the merchant database is down');
      }
      processed.push(event);
    },
    onError: () => {},
  });

  const listener = toNodeHandler(
    async (request) => {
      const token = await request.clone().text();
      const response = await handler(request);
      const ack = response.status === 200 ? ((await response.clone().json()) as { status: string }).status : undefined;
      requests.push({
        ...unverifiedClaims(token),
        contentType: request.headers.get('content-type'),
        status: response.status,
        ...(ack ? { ack } : {}),
      });
      return response;
    },
    { onError: () => {} },
  );

  const server = createServer((req, res) => {
    if (req.url !== '/caisse/notify') {
      res.writeHead(404).end();
      return;
    }
    if (drops > 0) {
      drops -= 1;
      // The answer never leaves: the connection is cut when the handler starts to reply.
      res.writeHead = (() => {
        res.destroy();
        return res;
      }) as typeof res.writeHead;
    }
    listener(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/caisse/notify`,
    processed,
    requests,
    failNext(count) {
      failures = count;
    },
    dropNextAcks(count) {
      drops = count;
    },
    hold() {
      let release: () => void = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let arrived: (event: Notification) => void = () => {};
      const arrival = new Promise<Notification>((resolve) => {
        arrived = resolve;
      });
      holds.push({ arrived, released });
      return { arrived: arrival, release };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
