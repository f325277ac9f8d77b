/** Test support for phone checkouts: a customer with an enrolled test device, and a reader of event streams. */
import type { ConfirmationRequest } from '@caisse/protocol';
import { createState } from '@caisse/server-kit';
import { expect } from 'vitest';
import { createTestDevice, type TestDevice } from '../../__fixtures__/device.js';
import { SHOP_ORIGIN, type startTestServer } from '../../__fixtures__/payment-server.js';

type Shop = Awaited<ReturnType<typeof startTestServer>>;

export const PIN = '4821';

/** A customer with a wallet of 100.00 EUR and, unless `device: false`, one enrolled phone. */
export async function addCustomer(shop: Shop, accountId: string, phone: string, options: { device?: boolean } = {}) {
  await shop.server.customers.add({ accountId, phone, accessKey: 'correct horse battery', limits: { EUR: { walletCap: 50_000n } } });
  await shop.server.customers.walletCredit(accountId, 'EUR', 10_000n, { idempotencyKey: `top-up-${accountId}` });
  if (options.device === false) return undefined;
  const device = createTestDevice(shop.url);
  const { code } = await shop.server.devices.createCode(accountId);
  expect((await device.enroll(code, { pin: PIN })).status).toBe(201);
  return device;
}

/** A ticket naming the customer (`customer` hint), so the page offers "Confirm on my phone". */
export function ticketFor(shop: Shop, amount: number, customer?: { account: string } | { phone: string }) {
  return shop.merchant.createTicket({
    serial: `order-${Math.random().toString(36).slice(2, 8)}`,
    currency: 'EUR',
    items: amount === 0 ? [] : [{ id: 'item', label: 'A book', quantity: 1, unitAmount: amount, vatRate: 550 }],
    returnUrl: `${SHOP_ORIGIN}/paid`,
    cancelUrl: `${SHOP_ORIGIN}/basket`,
    state: createState(),
    ...(customer ? { customer } : {}),
  });
}

/** The device's open requests, oldest first. */
export async function pending(device: TestDevice): Promise<ConfirmationRequest[]> {
  const response = await device.call('/device/requests', { headers: { accept: 'application/json' } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { requests: ConfirmationRequest[] }).requests;
}

export interface StreamEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Reads a `text/event-stream` body event by event (comments skipped). */
export function eventReader(response: Response) {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    /** The next event, or undefined when the stream ended; fails after `timeoutMs`. */
    async next(timeoutMs = 10_000): Promise<StreamEvent | undefined> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: StreamEvent = { data: '' };
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = line.slice(0, colon);
            const value = line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') data.push(value);
            else if (field === 'id' || field === 'event') event[field] = value;
          }
          if (data.length === 0 && event.event === undefined) continue;
          event.data = data.join('\n');
          return event;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error('no event in time');
        let timer: NodeJS.Timeout | undefined;
        const chunk = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('no event in time')), left);
          }),
        ]).finally(() => clearTimeout(timer));
        if (chunk.done) return undefined;
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}
