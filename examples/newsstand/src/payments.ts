// The newsstand's payment code: all of it. Small amounts are paid from the reader's
// Caisse wallet: the payment server asks us the article's price when the reader wants it
// (a quote), a confirmation on the phone, and the payment server opens the article for them,
// even while we are down. Or an hour of reading: one confirmation on the phone, then each
// article in one click.
import { randomBytes } from 'node:crypto';
import {
  createMerchant,
  createNotificationHandler,
  createQuoteHandler,
  createReturnHandler,
  discoverPaymentServer,
  type Voucher,
} from '@caisse/server-kit';
import { createMerchantClient, isMerchantApiError } from '@caisse/server-kit/client';
import { ARTICLES, type Article, articleDocument, CURRENCY, findArticle, priceAt, VAT_RATE } from './articles.js';
import type { PaymentFacts, Readings } from './readings.js';

/** An hour of reading: what the reader allows us to charge, for how long. */
export const HOUR = { maximum: 200, seconds: 3600 } as const;

/** How long a quoted price holds, in seconds: past it the payment server asks us again. */
export const QUOTE_SECONDS = 120;

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
  priceClock?: (() => Date) | undefined; // the clock of the live prices (tests freeze it); default the system's
}

export async function createPayments(config: PaymentsConfig, readings: Readings) {
  // 1. Trust: the payment server's keys, from its discovery document; used ids in our
  //    file. The merchant API client signs its requests with our key.
  const paymentServer = await discoverPaymentServer(config.paymentServerUrl);
  const { merchantId, signingKey } = config;
  const merchant = createMerchant({ merchantId, signingKey, paymentServer, replayStore: readings.replayStore });
  const api = createMerchantClient({ server: paymentServer, merchantId: config.merchantId, key: config.signingKey });
  const priceClock = config.priceClock ?? (() => new Date());
  /** What the article costs now: {@link priceAt} by the clock of our prices. */
  const priceOf = (article: Article) => priceAt(article, priceClock());

  // 2. The articles themselves, kept by the payment server (encrypted at rest) for whoever
  //    pays: it hands the article over ("Open", once) as soon as the payment is authorised,
  //    without us. Stored again at each start (a second PUT replaces the first): the
  //    merchant must be registered with the payment server before the newsstand starts.
  await Promise.all(
    ARTICLES.map((article) =>
      api.contents.put(article.id, { title: article.title, contentType: 'text/html', data: articleDocument(article) }),
    ),
  ).catch((error: unknown) => {
    throw new Error(`newsstand: the articles could not be stored on the payment server (is the merchant registered?): ${error}`, {
      cause: error,
    });
  });

  // Paid, granted or refused, the payment server sends the reader to our return handler (4.),
  // never straight to a page; the address names the article the reader was on, to go back to.
  const returnTo = (article: Article) => `${config.shopUrl}/caisse/return?article=${encodeURIComponent(article.id)}`;

  // 3. Quotes. The article page's button (the widget in quote mode) has the payment server
  //    ask us, server to server, what the article costs now: a ticket for it at its live
  //    price, holding QUOTE_SECONDS, naming the article as the digital good to release
  //    (`delivery`); the handler adds the request's `state` (the reader's browser) and binds
  //    the ticket to the request. Nothing is shipped: `immediate` fulfilment, no customer
  //    data asked for; a fresh serial per ticket. We keep each ticket, with its article and
  //    reader, before it is sent, like any other.
  const quoteHandler = createQuoteHandler({
    merchant,
    quote: ({ item, quantity }) => {
      const article = findArticle(item);
      if (!article) return { available: false, message: 'There is no such article at Le Kiosque.' };
      if (quantity !== 1) return { available: false, message: 'An article is sold one copy at a time.' };
      return {
        serial: `N-${randomBytes(6).toString('hex')}`,
        currency: CURRENCY,
        items: [{ id: article.id, label: article.title, quantity: 1, unitAmount: priceOf(article), vatRate: VAT_RATE }],
        fulfilment: 'immediate',
        delivery: { content: article.id },
        returnUrl: returnTo(article),
        cancelUrl: returnTo(article),
        notifyUrl: `${config.shopUrl}/caisse/notify`,
        lifetime: QUOTE_SECONDS,
      };
    },
    // The reader is the request's `state`; asked from no browser (a phone app), the ticket's own.
    onTicket: (ticket, request) => readings.addTicket(ticket.reference, request.item, ticket.reference.state),
  });

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

  // 4. Return. The payment server sends the reader here from the article's checkout (in the
  //    whole window); the hour's widget (popup mode) posts the token here, or, its popup
  //    blocked, the reader is sent here too. Once the voucher is verified, the article is the
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

  // 5. The same payment, server to server: the article is in the reader's history even if
  //    they never came back to us (they read it on the payment server's page, or we were down).
  const notificationHandler = createNotificationHandler({
    merchant,
    onNotification: async (event) => {
      if (event.event !== 'payment.authorised') return;
      const { ticket, serial, id, amount, currency } = event.payment;
      await record({ ticketId: ticket.jti, serial, paymentId: id, amount, currency });
    },
  });

  // 6. An hour of reading: an allowance ticket of up to HOUR.maximum for the next hour,
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

  // 7. An article under the hour: a ticket naming the allowance, charged server to server
  //    with no phone step; its voucher is verified as any other before the article opens.
  async function readWithHour(article: Article, state: string): Promise<{ opened: true } | { opened: false; why: HourEnd }> {
    const hour = readings.hourOf(state);
    const price = priceOf(article);
    if (hour === undefined) return { opened: false, why: 'expired' };
    if (hour.remaining < price) return { opened: false, why: 'short' };
    const ticket = merchant.createTicket({
      serial: `N-${randomBytes(6).toString('hex')}`,
      currency: CURRENCY,
      items: [{ id: article.id, label: article.title, quantity: 1, unitAmount: price, vatRate: VAT_RATE }],
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

  return {
    paymentServer: paymentServer.issuer,
    priceOf,
    hourTicketFor,
    readWithHour,
    quoteHandler,
    returnHandler,
    notificationHandler,
  };
}
