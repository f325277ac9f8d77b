// The newsstand's payment code: all of it. Small amounts are paid from the reader's
// Caisse wallet: one click on the price, a confirmation on the phone, and the article opens.
// Or an hour of reading: one confirmation on the phone, then each article in one click.
import { randomBytes } from 'node:crypto';
import { createMerchant, createNotificationHandler, createReturnHandler, discoverPaymentServer, type Voucher } from '@caisse/server-kit';
import { createMerchantClient, isMerchantApiError } from '@caisse/server-kit/client';
import { type Article, CURRENCY, findArticle, VAT_RATE } from './articles.js';
import type { PaymentFacts, Readings } from './readings.js';

/** An hour of reading: what the reader allows us to charge, for how long. */
export const HOUR = { maximum: 200, seconds: 3600 } as const;

/**
 * Why an hour of reading could not open an article, as the article page says it:
 * `short` (what is left does not cover this article; the hour goes on), or the payment
 * server's refusal of the charge (the hour is over for us).
 */
export type HourEnd = 'short' | 'exhausted' | 'expired' | 'revoked' | 'ended';

/** The merchant API's refusals of a charge, as the reader is told them; any other `allowance_*` code: `ended`. */
const HOUR_REFUSALS: Readonly<Record<string, HourEnd>> = {
  allowance_exhausted: 'exhausted',
  allowance_expired: 'expired',
  allowance_revoked: 'revoked',
};

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

  // Paid, granted or refused, the payment server sends the reader to our return handler (3.),
  // never straight to a page; the address names the article the reader was on, to go back to.
  const returnTo = (article: Article) => `${config.shopUrl}/caisse/return?article=${encodeURIComponent(article.id)}`;

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
      returnUrl: returnTo(article),
      cancelUrl: returnTo(article),
      notifyUrl: `${config.shopUrl}/caisse/notify`,
      state,
    });
    await readings.addTicket(ticket.reference, article.id, state);
    return ticket.token;
  }

  // What a voucher says of a payment, as the records keep it.
  const factsOf = ({ ticket, serial, jti, amount, currency }: Voucher): PaymentFacts => ({
    ticketId: ticket.jti,
    serial,
    paymentId: jti,
    amount,
    currency,
  });

  // An article is paid once per reader. Paid again (from a second tab), the money goes back.
  async function record(payment: PaymentFacts) {
    if ((await readings.recordPayment(payment)) !== 'duplicate') return;
    await api.refunds.create(
      { id: payment.paymentId },
      { amount: payment.amount, reason: 'already bought' },
      { idempotencyKey: `refund-${payment.paymentId}` },
    );
  }

  // 3. Return. The widget (popup mode) posts the token here; a reader whose popup was blocked
  //    is sent here by the payment server. Once the voucher is verified, the article is the
  //    reader's, or (a granted allowance) the hour of reading starts; a refusal is logged with
  //    its code. Then back to the article, which opens, or says why not.
  const returnHandler = createReturnHandler({
    merchant,
    findTicket: (id) => readings.findTicket(id),
    onPaid: async (voucher, request) => {
      await (voucher.status === 'granted' ? startHour(voucher) : record(factsOf(voucher)));
      return articleOf(request);
    },
    onRefused: ({ reason, detail, refusal }, request) => {
      console.warn(`newsstand: payment ${refusal.serial} refused: ${reason}${detail ? ` (${detail.code}: ${detail.message})` : ''}`);
      return articleOf(request, `?caisse_reason=${reason}`);
    },
  });

  /** The article page the return address names, with `query`; none for the widget's POST, after which the page reloads itself. */
  function articleOf(request: Request, query = ''): string | undefined {
    const article = findArticle(new URL(request.url).searchParams.get('article') ?? '');
    return article ? `/articles/${article.id}${query}` : undefined;
  }

  // 4. The same payment, server to server: the article opens even if the window was lost.
  const notificationHandler = createNotificationHandler({
    merchant,
    onNotification: async (event) => {
      if (event.event !== 'payment.authorised') return;
      const { ticket, serial, id, amount, currency } = event.payment;
      await record({ ticketId: ticket.jti, serial, paymentId: id, amount, currency });
    },
  });

  // 5. An hour of reading: an allowance ticket of up to HOUR.maximum for the next hour,
  //    confirmed once on the phone with the PIN, through the same widget.
  async function hourTicketFor(state: string, article: Article, account?: string): Promise<string> {
    const ticket = merchant.createTicket({
      ...(account ? { customer: { account } } : {}),
      serial: `H-${randomBytes(6).toString('hex')}`,
      currency: CURRENCY,
      amount: HOUR.maximum,
      allowance: { expiresAt: Math.floor(Date.now() / 1000) + HOUR.seconds },
      returnUrl: returnTo(article),
      cancelUrl: returnTo(article),
      notifyUrl: `${config.shopUrl}/caisse/notify`,
      state,
    });
    await readings.addTicket(ticket.reference, undefined, state);
    return ticket.token;
  }

  // Its voucher, verified by the return handler, names the allowance: the reader's hour.
  // A reader who takes a new hour gives up the old one: it is closed, so what it held
  // back goes back to their wallet now rather than at its end.
  async function startHour(voucher: Voucher) {
    if (voucher.allowance === undefined) return;
    const { id, remaining, expiresAt } = voucher.allowance;
    const { previous } = await readings.startHour(voucher.ticket.jti, { id, remaining, expiresAt, currency: voucher.currency });
    if (previous) await api.allowances.close(previous.id).catch((error) => whyHourEnded(error));
  }

  // 6. An article under the hour: a ticket naming the allowance, charged server to server
  //    with no phone step; its voucher is verified as any other before the article opens.
  async function readWithHour(article: Article, state: string): Promise<{ opened: true } | { opened: false; why: HourEnd }> {
    const hour = readings.hourOf(state);
    if (hour === undefined) return { opened: false, why: 'expired' };
    if (hour.remaining < article.price) return { opened: false, why: 'short' };
    const ticket = merchant.createTicket({
      serial: `N-${randomBytes(6).toString('hex')}`,
      currency: CURRENCY,
      items: [{ id: article.id, label: article.title, quantity: 1, unitAmount: article.price, vatRate: VAT_RATE }],
      allowanceId: hour.id,
      returnUrl: returnTo(article), // no browser leg here: charged server to server
      cancelUrl: returnTo(article),
      state,
    });
    await readings.addTicket(ticket.reference, article.id, state);
    const charged = await api.allowances.charge(ticket).catch(async (error: unknown) => {
      const why = whyHourEnded(error);
      await readings.endHour(state, hour.id);
      return why;
    });
    if (typeof charged === 'string') return { opened: false, why: charged };
    const voucher = await merchant.verifyVoucher(charged.payment.voucher, { ticket: ticket.reference, state });
    await record(factsOf(voucher));
    await readings.hourUsed(state, hour.id, voucher.allowance?.remaining ?? 0);
    return { opened: true };
  }

  /** The reason an allowance refused, for the reader; any other failure is thrown on. */
  function whyHourEnded(error: unknown): HourEnd {
    if (!isMerchantApiError(error) || !error.code.startsWith('allowance_')) throw error;
    return HOUR_REFUSALS[error.code] ?? 'ended';
  }

  return { paymentServer: paymentServer.issuer, ticketFor, hourTicketFor, readWithHour, returnHandler, notificationHandler };
}
