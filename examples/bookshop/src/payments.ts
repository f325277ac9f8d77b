// The bookshop's payment code, all of it: the rest is an ordinary shop that knows nothing about Caisse.
import { createMerchant, createNotificationHandler, createReturnHandler, discoverPaymentServer } from '@caisse/server-kit';
import { createMerchantClient } from '@caisse/server-kit/client';
import type { Order, OrderBook, PaymentFacts } from './orders.js';

export interface PaymentsConfig {
  merchantId: string; // as registered with the payment server
  signingKey: Record<string, unknown>; // our private JWK, from `npx caisse keys new`
  paymentServerUrl: string;
  shopUrl: string; // our own origin: the payment server sends the customer back here
}

export async function createPayments(config: PaymentsConfig, orders: OrderBook) {
  // 1. Trust: the payment server's issuer and keys, from its discovery document. Used ids go into our order file.
  const paymentServer = await discoverPaymentServer(config.paymentServerUrl);
  const merchant = createMerchant({ ...config, paymentServer, replayStore: orders.replayStore });
  const api = createMerchantClient({ server: paymentServer, merchantId: config.merchantId, key: config.signingKey });

  // 2. Checkout. A ticket is the order signed by us; the widget carries it to the payment server; `state` binds it to this browser.
  async function ticketFor(order: Order, state: string): Promise<string> {
    const ticket = merchant.createTicket({
      serial: order.serial,
      currency: order.currency,
      items: order.lines, // id, label, quantity, unit amount and VAT rate of each book
      amount: order.amount, // cross-check: the kit refuses lines that add up to another total
      fulfilment: 'deferred', // books are shipped: the money is held (escrow) until the parcel arrives
      requested: ['shipping_address'], // the payment server asks the customer for it
      returnUrl: `${config.shopUrl}/caisse/return`, // paid or refused, the customer comes back through our
      cancelUrl: `${config.shopUrl}/caisse/return`, // return handler (3.), which sends them on to the order page
      notifyUrl: `${config.shopUrl}/caisse/notify`,
      state,
    });
    await orders.addTicket(ticket.reference); // to check the voucher against
    return ticket.token;
  }

  // An order is paid once. Paid again (from a second tab), the extra money is given back.
  async function record(serial: string, payment: PaymentFacts) {
    const order = await orders.recordPayment(serial, payment);
    if (order && order.paymentId !== payment.id && payment.status === 'held') await cancelPayment(payment.id);
  }

  // 3. Return: the payment server sends the browser here, paid or refused. The handler checks the token (signature,
  //    audience, expiry, our ticket exactly, this browser, first use); we record the payment or log why it was refused.
  const returnHandler = createReturnHandler({
    merchant,
    findTicket: (id) => orders.findTicket(id),
    onPaid: async ({ serial, jti, status, shared }) => {
      await record(serial, { id: jti, status, shippingAddress: shared?.shippingAddress });
      return `/orders/${serial}`;
    },
    onRefused: ({ reason, detail, refusal: { serial } }) => {
      console.warn(`bookshop: payment of order ${serial} refused: ${reason}${detail ? ` (${detail.code}: ${detail.message})` : ''}`);
      return `/orders/${serial}?caisse_reason=${reason}`; // the order page says why, and offers to pay again
    },
  });

  // 4. Notifications: the same facts server to server (the browser may never come back), then
  //    releases, voids and refunds. We acknowledge once the event is stored; a redelivery is dropped.
  const notificationHandler = createNotificationHandler({
    merchant,
    onNotification: async (event) => {
      if ('payment' in event) await record(event.payment.serial, event.payment);
      if (event.event === 'refund.succeeded') await orders.recordRefund(event.payment.serial, event.payment.id, event.refund);
      await orders.recordNotification(event);
    },
  });

  // 5. After the sale, the merchant API, naming the payment by its id (`pay_1042`, the voucher's
  //    `jti`), not by our order serial: a second tab may have paid the same order twice.
  //    Delivery releases the held money to us; cancelling before it gives it back; after it,
  //    a refund does. One idempotency key per action: nothing moves twice.
  const once = (action: string, id: string) => ({ idempotencyKey: `${action}-${id}` });
  const cancelPayment = (id: string) => api.payments.cancel({ id }, { reason: 'order cancelled' }, once('cancel', id));
  const deliver = (id: string) => api.deliveries.create({ id }, {}, once('deliver', id));
  const refund = (id: string, amount: number) => api.refunds.create({ id }, { amount }, once('refund', id));

  return { paymentServer: paymentServer.issuer, ticketFor, returnHandler, notificationHandler, deliver, cancel: cancelPayment, refund };
}
