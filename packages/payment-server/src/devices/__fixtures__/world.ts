/**
 * A payment server with customers, phones and checkout sessions, for the device tests:
 * requests are opened through the same `Confirmations` the checkout uses.
 */
import type { ConfirmationRequest, TicketClaims } from '@caisse/protocol';
import { createTestDevice, type TestDevice } from '../../__fixtures__/device.js';
import { startTestServer } from '../../__fixtures__/payment-server.js';
import { serverDrivers } from '../../api/__fixtures__/api-server.js';
import { createSessions } from '../../checkout/sessions.js';
import { type Approval, createConfirmations } from '../confirmations.js';

export { serverDrivers };

/** `options`: more of the test server's options (an acquirer for bank payments). */
export async function startDeviceWorld(
  databaseUrl: string | undefined,
  env: Record<string, string> = {},
  now?: () => Date,
  options: Pick<NonNullable<Parameters<typeof startTestServer>[0]>, 'acquirer'> = {},
) {
  const shop = await startTestServer({ ...options, ...(databaseUrl ? { databaseUrl } : {}), env, ...(now ? { now } : {}) });
  const { server } = shop;
  const sessions = createSessions({ db: server.db });
  const confirmations = createConfirmations({ lifetime: 300 });
  let customers = 0;

  return {
    shop,
    server,
    sessions,
    confirmations,
    async customer(): Promise<string> {
      customers++;
      const accountId = `cust-${customers}-${Math.random().toString(36).slice(2, 8)}`;
      const phone = `+3361${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
      await server.customers.add({ accountId, phone, accessKey: 'correct horse battery' });
      return accountId;
    },
    /** A phone enrolled for the customer, with PIN 4821 unless told. */
    async phone(customerId: string, pin = '4821'): Promise<TestDevice> {
      const device = createTestDevice(shop.url, now ? { now } : {});
      const { code } = await server.devices.createCode(customerId);
      const response = await device.enroll(code, { pin });
      if (response.status !== 201) throw new Error(`enrollment failed: ${response.status} ${await response.text()}`);
      return device;
    },
    /** A checkout session for a ticket of `amount`, and its confirmation request for the customer (approved with the PIN unless told). */
    async request(
      customerId: string,
      amount = 1250,
      approval: Approval = 'pin',
    ): Promise<{ request: ConfirmationRequest; sessionId: string; seq: bigint }> {
      const ticket = shop.ticket(amount);
      const opened = await sessions.open({ claims: ticket.claims as TicketClaims, sha256: ticket.sha256 }, `browser-${Math.random()}`);
      if (!opened.opened) throw new Error('session not opened');
      const request = await server.db.transaction((tx) => confirmations.open(tx, opened.session, customerId, approval));
      if (request === undefined) throw new Error('the customer has no device');
      const { rows } = await server.db.query<{ seq: bigint }>('SELECT seq FROM confirmation_requests WHERE id = $1', [request.id]);
      return { request, sessionId: opened.session.id, seq: rows[0]?.seq as bigint };
    },
    /**
     * A payment of `amount` started as the checkout starts one (`phoneCheckout.startIn`:
     * the customer's plan decides tap or PIN), with the ticket the merchant verifies against.
     */
    async checkout(customerId: string, amount: number) {
      const ticket = shop.ticket(amount);
      const opened = await sessions.open({ claims: ticket.claims as TicketClaims, sha256: ticket.sha256 }, `browser-${Math.random()}`);
      if (!opened.opened) throw new Error('session not opened');
      const customer = await server.customers.get(customerId);
      const started = await server.db.transaction((tx) => server.phoneCheckout.startIn(tx, opened.session, customer));
      if (!started.started) throw new Error(`the phone was not asked: ${started.reason}`);
      return { request: started.request, sessionId: opened.session.id, ticket };
    },
    /** The voucher of a paid ticket as the merchant verifies it; undefined while nothing is paid. */
    async voucher(ticket: ReturnType<typeof shop.ticket>) {
      const { rows } = await server.db.query<{ voucher: string }>('SELECT voucher FROM payments WHERE ticket_jti = $1', [
        ticket.claims.jti,
      ]);
      const token = rows[0]?.voucher;
      return token === undefined ? undefined : shop.merchant.verifyVoucher(token, { ticket: ticket.reference });
    },
    async state(requestId: string): Promise<string | undefined> {
      const { rows } = await server.db.query<{ state: string }>('SELECT state FROM confirmation_requests WHERE id = $1', [requestId]);
      return rows[0]?.state;
    },
    close: () => shop.close(),
  };
}

export type DeviceWorld = Awaited<ReturnType<typeof startDeviceWorld>>;

export async function problem(response: Response): Promise<{ status: number; code: string; attemptsLeft?: number }> {
  const body = (await response.json()) as { code: string; attemptsLeft?: number };
  return { status: response.status, code: body.code, ...(body.attemptsLeft === undefined ? {} : { attemptsLeft: body.attemptsLeft }) };
}

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** Reads a `text/event-stream` response event by event; comments are counted, not returned. */
export function sseReader(response: Response) {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let comments = 0;
  let ended = false;

  async function next(ms = 5_000): Promise<SseEvent | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const boundary = buffer.indexOf('\n\n');
      if (boundary >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const event: SseEvent = { event: 'message', data: '' };
        let isEvent = false;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comments++;
          else if (line.startsWith('id: ')) event.id = line.slice(4);
          else if (line.startsWith('event: ')) event.event = line.slice(7);
          else if (line.startsWith('data: ')) {
            event.data = line.slice(6);
            isEvent = true;
          }
        }
        if (isEvent) return event;
        continue;
      }
      if (ended) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no event in time');
      const chunk = await Promise.race([reader.read(), new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), left))]);
      if (chunk === 'timeout') throw new Error('no event in time');
      if (chunk.done) ended = true;
      else buffer += decoder.decode(chunk.value, { stream: true });
    }
  }

  return {
    next,
    comments: () => comments,
    /** Resolves true when the server ended the stream within `ms`. */
    async ended(ms = 5_000): Promise<boolean> {
      try {
        while ((await next(ms)) !== undefined) {}
        return true;
      } catch {
        return false;
      }
    },
    cancel: () => reader.cancel().catch(() => undefined),
  };
}
