// The newsstand's payment code: all of it. Small amounts are paid from the reader's
// Caisse wallet: one click on the price, a confirmation on the phone, and the article opens.
import { randomBytes } from 'node:crypto';
import { createMerchant, createNotificationHandler, createReturnHandler, discoverPaymentServer } from '@caisse/server-kit';
import { createMerchantClient } from '@caisse/server-kit/client';
import { type Article, CURRENCY, VAT_RATE } from './articles.js';
import type { PaymentFacts, Readings } from './readings.js';

export interface PaymentsConfig {
  merchantId: string; // as registered with the payment server
  signingKey: Record<string, unknown>; // our private JWK, from `npx caisse keys new`
  paymentServerUrl: string;
  shopUrl: string; // our own origin: the payment window answers to it
}

export async function createPayments(config: PaymentsConfig, readings: Readings) {
  // 1. Trust: the payment server's keys, from its discovery document; used ids in our
  //    file. The merchant API client signs its requests with our key.
  const paymentServer = await discoverPaymentServer(config.paymentServerUrl);
  const merchant = createMerchant({ ...config, paymentServer, replayStore: readings.replayStore });
  const api = createMerchantClient({ server: paymentServer, merchantId: config.merchantId, key: config.signingKey });

  // 2. A ticket for one article, for this reader (`state`: the browser's Caisse cookie).
  //    Nothing is shipped: `immediate` fulfilment, no customer data asked for. A fresh
  //    serial per ticket: the reader may open the article in two tabs. When the reader
  //    told us their Caisse account, the ticket names it: the payment page then needs one
  //    click ("Confirm on my phone") instead of the account typed in.
  async function ticketFor(article: Article, state: string, account?: string): Promise<string> {
    const ticket = merchant.createTicket({
      ...(account ? { customer: { account } } : {}),
      serial: `N-${randomBytes(6).toString('hex')}`,
      currency: CURRENCY,
      items: [{ id: article.id, label: article.title, quantity: 1, unitAmount: article.price, vatRate: VAT_RATE }],
      fulfilment: 'immediate',
      returnUrl: `${config.shopUrl}/articles/${article.id}`,
      cancelUrl: `${config.shopUrl}/articles/${article.id}`,
      notifyUrl: `${config.shopUrl}/caisse/notify`,
      state,
    });
    await readings.addTicket(ticket.reference, article.id, state);
    return ticket.token;
  }

  // An article is paid once per reader. Paid again (from a second tab), the money goes back.
  async function record(payment: PaymentFacts) {
    if ((await readings.recordPayment(payment)) !== 'duplicate') return;
    await api.refunds.create(
      payment.paymentId,
      { amount: payment.amount, reason: 'already bought' },
      { idempotencyKey: `refund-${payment.paymentId}` },
    );
  }

  // 3. The widget (popup mode) posts the voucher here; once it is verified, the article
  //    is the reader's.
  const returnHandler = createReturnHandler({
    merchant,
    findTicket: (id) => readings.findTicket(id),
    onPaid: ({ ticket, serial, jti, amount, currency }) => record({ ticketId: ticket.jti, serial, paymentId: jti, amount, currency }),
  });

  // 4. The same payment, server to server: the article opens even if the window was lost.
  const notificationHandler = createNotificationHandler({
    merchant,
    onNotification: async (event) => {
      if (event.event !== 'payment.authorised') return;
      const { ticket, serial, id, amount, currency } = event.payment;
      await record({ ticketId: ticket.jti, serial, paymentId: id, amount, currency });
    },
  });

  return { paymentServer: paymentServer.issuer, ticketFor, returnHandler, notificationHandler };
}
