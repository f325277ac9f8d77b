import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openOrderBook } from './orders.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('keeps a held payment released or voided when its earlier notification arrives late', async () => {
  dir = await mkdtemp(join(tmpdir(), 'bookshop-orders-'));
  const orders = await openOrderBook(join(dir, 'orders.json'));
  const order = await orders.create([{ id: 'proust', label: 'Proust', quantity: 1, unitAmount: 990, vatRate: 550 }], 'EUR', 'owner');
  await orders.recordPayment(order.serial, { id: 'pay_7', status: 'held' });
  await orders.recordPayment(order.serial, { id: 'pay_7', status: 'voided' });
  // The outbox retries each notification on its own: `payment.held` may reach the shop after `payment.voided`.
  await orders.recordPayment(order.serial, { id: 'pay_7', status: 'held' });
  expect(orders.get(order.serial)?.paymentStatus).toBe('voided');
});
