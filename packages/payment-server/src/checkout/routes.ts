import type { Mode, RefusalReason } from '@caisse/protocol';
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import type { AllowanceCharges } from '../allowances/charge.js';
import type { ContentService } from '../contents/service.js';
import { AuthenticationFailedError, isWrongCredentials } from '../customers/errors.js';
import type { Customer } from '../customers/model.js';
import type { CustomerOverviewReader } from '../customers/overview.js';
import type { CustomerService } from '../customers/service.js';
import type { RequestThrottle } from '../http/attempt-throttle.js';
import { browserSecret, keepBrowserCookie } from '../http/browser-cookie.js';
import { formFromOurOrigin } from '../http/form-origin.js';
import { PROBLEM_STATUS, ProblemError, problemOf } from '../http/problem.js';
import { createLedger } from '../ledger/service.js';
import type { Logger } from '../log.js';
import { parseInput } from '../merchants/input.js';
import type { MerchantService } from '../merchants/service.js';
import { isMerchantStatusCode } from '../merchants/status.js';
import { checkoutPage } from '../pages/checkout.js';
import { CONFIRM_LIVE_SCRIPT, CONFIRM_LIVE_SCRIPT_PATH, confirmOnPhonePage } from '../pages/confirm.js';
import { CHECKOUT_CSS, CHECKOUT_CSS_PATH } from '../pages/css.js';
import { deliveryPage } from '../pages/delivery.js';
import { errorPage } from '../pages/error.js';
import { keptLanguage, type Locale, pickLocale } from '../pages/i18n.js';
import type { IdentifyError } from '../pages/identify.js';
import { offerPage } from '../pages/offer.js';
import { pendingBankPage } from '../pages/pending.js';
import { type RefusalView, refusalPage } from '../pages/refusal.js';
import { POPUP_RESULT_SCRIPT, POPUP_RESULT_SCRIPT_PATH, resultRedirectPage } from '../pages/result.js';
import type { SharedForm } from '../pages/shared-data.js';
import { TOP_UP_ANCHOR } from '../pages/top-up.js';
import type { Authoriser } from '../payments/authorise.js';
import { closeRefused } from '../payments/refusal.js';
import { storedVoucher } from '../payments/repository.js';
import { type TokenSigner, withResult } from '../payments/tokens.js';
import type { QuoteFetcher } from '../quotes/fetch.js';
import { quoteQuery } from '../quotes/routes.js';
import type { Database } from '../storage/database.js';
import { MAX_SPENT_REFUSED_TICKETS } from '../ticket-refusals/model.js';
import type { TicketRefusalService } from '../ticket-refusals/service.js';
import type { SessionEvents } from './events.js';
import { checkTicket, type IntakeResult } from './intake.js';
import type { PhoneCheckout } from './phone.js';
import { withPointsChoice } from './points.js';
import { refusalDetails } from './refusal-details.js';
import {
  BROWSER_COOKIE,
  type CheckoutSession,
  checkCsrf,
  csrfToken,
  type Display,
  type ReceivedTicket,
  type Sessions,
} from './sessions.js';
import { readSharedForm, withShared } from './shared.js';

export interface CheckoutDeps {
  issuer: string;
  db: Database;
  merchants: MerchantService;
  customers: CustomerService;
  sessions: Sessions;
  authoriser: Authoriser;
  /** Checkout with a phone: confirmation requests, answers, expiry. */
  phone: PhoneCheckout;
  /** Session moves from every instance, for the live status feed. */
  events: SessionEvents;
  signer: TokenSigner;
  /** `deriveKey(secret, 'csrf')`. */
  csrfKey: Buffer;
  /** Wrong access keys per client, shared with the account page; none: no throttle. */
  identifyThrottle?: RequestThrottle;
  /** The customer's money, for the refusal page of a short wallet or a ceiling; none: the page says only the reason. */
  overview?: Pick<CustomerOverviewReader, 'readCurrency'>;
  /**
   * Charges a ticket under the allowance it names (allowances/charge.ts): with the customer
   * present, such a ticket pays at once, and falls back to the usual checkout when the
   * allowance cannot take it. None: it is checked out as any purchase.
   */
  allowanceCharges?: Pick<AllowanceCharges, 'charge'>;
  /** Where a refused ticket is told to the merchant it names (listing, notification); none: only logged. */
  ticketRefusals?: Pick<TicketRefusalService, 'record'>;
  /** Quotes from merchants' quote endpoints (`/quote`, and a fresh quote when one ran out); none: `/quote` is not found. */
  quotes?: QuoteFetcher;
  /** Quotes per client (`CAISSE_QUOTE_LIMIT`): each one asked makes this server call a merchant. None: no limit. */
  quoteThrottle?: RequestThrottle;
  /** Digital goods: a ticket may name only a stored one, released once after payment; none: such tickets are refused. */
  contents?: Pick<ContentService, 'exists' | 'release' | 'releasedAt' | 'get'>;
  log: Logger;
  operatorName?: string;
  /** `test`: every page says "Test mode — no real money". Default `live`. */
  mode?: Mode;
  now?: () => Date;
}

const FORM_LIMIT = 64 * 1024;
/** The status of the identification form shown again: 429 when the client or the phone must wait. */
const IDENTIFY_ERROR_STATUS: Record<IdentifyError['code'], number> = {
  credentials_invalid: 401,
  missing: 401,
  too_many_requests: 429,
  phone_requests_limited: 429,
};
/** A comment on the live status feed this often keeps proxies from closing an idle stream. */
const KEEP_ALIVE_MS = 15_000;

/**
 * The browser side of a payment: the ticket arrives (`POST /pay`, or `GET /pay?ticket=`
 * for links), becomes a checkout session bound to this browser by a cookie, the customer
 * identifies on the hosted page, and leaves with a signed voucher or refusal by a 303 to
 * the merchant's registered return or cancel URL.
 */
export function checkoutRoutes(deps: CheckoutDeps) {
  const now = deps.now ?? (() => new Date());
  const secure = deps.issuer.startsWith('https:');
  const issuerOrigin = new URL(deps.issuer).origin;
  const page = { operatorName: deps.operatorName ?? 'Caisse', testMode: deps.mode === 'test' };

  const locale = (c: Context): Locale => pickLocale(c.req.header('accept-language'), c.req.query('lang'));
  /** A language chosen in the link that started the checkout carries over to its pages. */
  const langQuery = (c: Context): string => keptLanguage(c.req.query('lang'));

  function problemPage(c: Context, error: ProblemError) {
    // The one detail a customer is shown: a merchant's own words on why an item cannot be bought now.
    const message = error.code === 'quote_unavailable' ? error.extensions.message : undefined;
    const detail = typeof message === 'string' ? { detail: message } : {};
    return c.html(errorPage({ ...page, status: error.status, code: error.code, ...detail }, locale(c)), error.status as 400);
  }

  /** The merchant can only be trusted with a redirect for a verified ticket; this page says what happened either way. */
  function refusedPage(
    c: Context,
    reason: RefusalReason,
    options: { merchantName?: string; returnUrl?: string; status?: number } & Pick<RefusalView, 'wallet' | 'ceiling'> = {},
  ) {
    const view: RefusalView = {
      ...page,
      reason,
      ...(options.wallet ? { wallet: options.wallet } : {}),
      ...(options.ceiling ? { ceiling: options.ceiling } : {}),
      ...(options.merchantName ? { merchantName: options.merchantName } : {}),
      ...(options.returnUrl ? { returnUrl: options.returnUrl } : {}),
    };
    return c.html(refusalPage(view, locale(c)), (options.status ?? 200) as 200);
  }

  /**
   * The browser leaves with a signed result: a 303 to the merchant URL, or in a popup a
   * page that posts the result to its opener, only at the merchant URL's origin.
   */
  async function leave(c: Context, display: Display, merchantId: string, kind: 'voucher' | 'refusal', url: string, token: string) {
    const target = withResult(url, kind === 'voucher' ? 'caisse_voucher' : 'caisse_refusal', token);
    if (display === 'redirect') return c.redirect(target, 303);
    const merchantName = await deps.merchants.displayName(merchantId);
    return c.html(
      resultRedirectPage(
        {
          ...page,
          outcome: kind === 'voucher' ? 'paid' : 'refused',
          merchantName,
          url: target,
          popup: { kind, token, targetOrigin: new URL(url).origin },
        },
        locale(c),
      ),
    );
  }

  /**
   * A ticket presented again: the browser that owns its session resumes it (a back
   * button, a double submit); any other gets a page, never a signed refusal, which the
   * merchant would act on for an order that may be paid or still being paid.
   */
  function replayed(c: Context, ticket: ReceivedTicket, sameBrowserSessionId: string | undefined) {
    if (sameBrowserSessionId) return c.redirect(`/checkout/${sameBrowserSessionId}${langQuery(c)}`, 303);
    deps.log.warn('ticket.replayed', { merchant: ticket.claims.iss, ticket: ticket.claims.jti });
    return refusedPage(c, 'ticket_replayed', { status: PROBLEM_STATUS.ticket_replayed });
  }

  /**
   * The voucher of a ticket charged under its allowance, or undefined when the allowance
   * cannot take it (ended, exhausted, over its per-charge cap…): the charge rolled back
   * and left the ticket unspent, so the customer, who is here, checks it out as usual.
   */
  async function chargeAllowance(ticket: ReceivedTicket, token: unknown): Promise<string | undefined> {
    try {
      return (await deps.allowanceCharges?.charge(token))?.result.payment.voucher;
    } catch (error) {
      if (!(error instanceof ProblemError) || !error.code.startsWith('allowance_')) throw error;
      deps.log.info('allowance.charge_refused', { code: error.code, merchant: ticket.claims.iss, ticket: ticket.claims.jti });
      return undefined;
    }
  }

  /**
   * A ticket refused at intake. The merchant its `iss` names, if registered, is told (the
   * listing, and a notification the first time); the customer sees the reason in words,
   * never the detail. A signed refusal carrying the detail goes to the ticket's cancel URL
   * only when that URL is on an origin the merchant registered (no open redirect), and
   * never for a ticket presented before: a refusal would make the merchant cancel an
   * order that is paid, or still being paid. A ticket that could be accepted later is
   * recorded as used first, so it never is.
   */
  async function refused(c: Context, intake: Extract<IntakeResult, { accepted: false }>, display: Display) {
    const merchant = intake.merchant;
    const recorded =
      merchant && deps.ticketRefusals
        ? await deps.ticketRefusals.record({
            merchantId: merchant.id,
            code: intake.code,
            message: intake.detail,
            ticket: merchant.ticketId ?? null,
            notifyUrl: merchant.notifyUrl,
          })
        : undefined;
    deps.log.info('ticket.refused', {
      code: intake.code,
      reason: intake.reason,
      ...(merchant ? { merchant: merchant.id, ...(merchant.ticketId ? { ticket: merchant.ticketId } : {}) } : {}),
      ...(recorded ? { refusal: recorded.refusal.id } : {}),
    });
    // Nothing signed nor spent: the customer is told in words, and the ticket may be paid once the operator approves or resumes the merchant.
    if (isMerchantStatusCode(intake.code)) return problemPage(c, new ProblemError(intake.code));
    const answerable = merchant?.answerable;
    if (merchant && answerable) {
      const claim = await deps.sessions.claimRefusal(answerable, browserSecret(c, secure), {
        spend: !merchant.final,
        limit: MAX_SPENT_REFUSED_TICKETS,
      });
      if (claim.refusable) {
        const refusal = await deps.signer.refusal(answerable, intake.reason, { code: intake.code, message: intake.detail });
        return leave(c, display, merchant.id, 'refusal', answerable.claims.cancelUrl, refusal.token);
      }
      if (claim.seen) return replayed(c, answerable, claim.seen.sameBrowserSessionId);
    }
    return refusedPage(c, intake.reason, { status: 400 });
  }

  async function receive(c: Context, token: unknown, display: Display = 'redirect', requoted = false) {
    const intake = await checkTicket(token, {
      merchants: deps.merchants,
      issuer: deps.issuer,
      now,
      ...(deps.contents ? { contents: deps.contents } : {}),
    });
    if (!intake.accepted) return refused(c, intake, display);
    if (intake.ticket.claims.allowanceId !== undefined && deps.allowanceCharges) {
      const charged = await chargeAllowance(intake.ticket, token);
      if (charged !== undefined) return leave(c, display, intake.ticket.claims.iss, 'voucher', intake.ticket.claims.returnUrl, charged);
    }
    const opened = await deps.sessions.open(intake.ticket, browserSecret(c, secure), display);
    if (!opened.opened) return replayed(c, intake.ticket, opened.sameBrowserSessionId);
    deps.log.info('checkout.opened', {
      session: opened.session.id,
      merchant: intake.ticket.claims.iss,
      serial: intake.ticket.claims.serial,
    });
    const lang = langQuery(c);
    return c.redirect(`/checkout/${opened.session.id}${lang}${requoted ? `${lang ? '&' : '?'}requoted=1` : ''}`, 303);
  }

  /**
   * A checkout opened from a quote whose price ran out (its ticket's `exp`; the authoriser
   * refuses it after that, `ticket_expired`): the merchant is asked again for the same
   * item and quantity, for this browser, and the customer is shown the new quote, in a new
   * session. The old session is closed, refused, so its ticket is never paid. Undefined for
   * any other session.
   */
  async function requote(c: Context, current: CheckoutSession): Promise<Response | undefined> {
    const { claims } = current.ticket;
    if (claims.quote === undefined || deps.quotes === undefined) return undefined;
    const open = current.state === 'identifying' || current.state === 'choosing';
    const ranOut = open && now().getTime() >= claims.exp * 1000;
    if (!ranOut && !(current.state === 'refused' && current.refusalReason === 'ticket_expired')) return undefined;
    if (ranOut) {
      await deps.db.transaction((tx) => closeRefused(tx, deps.sessions, current, [current.state], 'refused', 'ticket_expired', now()));
    }
    const { item, quantity } = claims.quote;
    const fresh = await deps.quotes.fetch({ merchantId: current.merchantId, item, quantity, state: claims.state, locale: locale(c) });
    deps.log.info('checkout.requoted', { session: current.id, merchant: current.merchantId, item });
    return receive(c, fresh.token, current.display, true);
  }

  /** The page of a paid checkout's digital good: Open (once), and on to the merchant. */
  async function showDelivery(c: Context, current: CheckoutSession, ref: string) {
    const contents = deps.contents as NonNullable<CheckoutDeps['contents']>;
    const [merchantName, good, releasedAt] = await Promise.all([
      deps.merchants.displayName(current.merchantId),
      contents.get(current.merchantId, ref),
      contents.releasedAt(current.merchantId, current.ticket.claims.jti),
    ]);
    const secret = getCookie(c, BROWSER_COOKIE) ?? '';
    return c.html(
      deliveryPage(
        {
          ...page,
          merchantName,
          title: good.title,
          ...(releasedAt === undefined ? {} : { releasedAt }),
          csrfToken: csrfToken(deps.csrfKey, current.id, secret),
          actions: { open: `/checkout/${current.id}/content`, back: `/checkout/${current.id}/return?continue=1` },
          now: now(),
        },
        locale(c),
      ),
      200,
      { 'cache-control': 'no-store' },
    );
  }

  /** A paid checkout leaves for the merchant, or first to its digital good, which the merchant's server is not needed for. */
  function afterPaid(c: Context, current: CheckoutSession, url: string) {
    return current.display === 'redirect' && current.ticket.claims.delivery === undefined
      ? c.redirect(url, 303)
      : c.redirect(`/checkout/${current.id}/return`, 303);
  }

  async function session(c: Context): Promise<CheckoutSession> {
    const found = await deps.sessions.get(c.req.param('id') ?? '', getCookie(c, BROWSER_COOKIE) ?? '');
    if (!found) throw new ProblemError('session_unknown');
    return found;
  }

  /**
   * The session as it now stands: an open session whose time ran out is closed (so the
   * merchant hears of it), and a phone answer a crash left unacted on is acted on.
   */
  async function expireIfDue(current: CheckoutSession): Promise<CheckoutSession> {
    if (current.state === 'confirming') return deps.phone.settle(current);
    if ((current.state !== 'identifying' && current.state !== 'choosing') || current.expiresAt > now()) return current;
    // An offer not taken in time is refused for what it could not pay.
    const reason = current.offer?.reason ?? 'ticket_expired';
    await deps.db.transaction((tx) => closeRefused(tx, deps.sessions, current, [current.state], 'refused', reason, now()));
    return (await deps.sessions.load(current.id)) ?? current;
  }

  /**
   * Sends the confirmation request to the customer's phone when they have an active
   * device, and shows "confirm on your phone"; undefined when they have none (or the
   * account does not exist: both fall back to the access key, so the page tells nothing
   * about which accounts exist).
   */
  async function toPhone(c: Context, current: CheckoutSession, who: Customer | string): Promise<Response | undefined> {
    const started = await deps.phone.start(current, who);
    if (started.started) return c.redirect(`/checkout/${current.id}${langQuery(c)}`, 303);
    if (started.reason === 'no_device') return undefined;
    if (started.reason === 'too_many') {
      return showSession(c, current, { code: 'phone_requests_limited' }, typeof who === 'string' ? who : undefined);
    }
    if (started.reason === 'locked')
      await deps.db.transaction((tx) => closeRefused(tx, deps.sessions, current, ['identifying'], 'refused', 'account_locked', now()));
    return showSession(c, (await deps.sessions.load(current.id)) ?? current);
  }

  /** What the customer's wallet can pay now in a currency (0 without one; what payments hold is not), for the offer a short wallet makes. */
  async function walletHolds(customerId: string, currency: string): Promise<bigint> {
    const ledger = createLedger(deps.db);
    const wallet = await ledger.findAccount('customer_wallet', customerId, currency);
    return wallet === undefined ? 0n : (await ledger.balance(wallet.id)).available;
  }

  function checkForm(c: Context, current: CheckoutSession, form: Record<string, unknown>) {
    if (!formFromOurOrigin(c, issuerOrigin) || !checkCsrf(deps.csrfKey, current.id, getCookie(c, BROWSER_COOKIE) ?? '', form.csrf)) {
      throw new ProblemError('csrf_invalid');
    }
  }

  async function showSession(c: Context, current: CheckoutSession, error?: IdentifyError, account?: string, sharedForm?: SharedForm) {
    const merchantName = await deps.merchants.displayName(current.merchantId);
    const { claims } = current.ticket;
    const secret = getCookie(c, BROWSER_COOKIE) ?? '';
    const csp = checkoutCsp([claims.returnUrl, claims.cancelUrl]);
    switch (current.state) {
      case 'confirming':
        return c.html(
          confirmOnPhonePage(
            {
              ...page,
              kind: claims.kind,
              ...(claims.allowance ? { allowance: claims.allowance } : {}),
              merchantName,
              amount: claims.amount,
              currency: claims.currency,
              expiresAt: current.expiresAt,
              csrfToken: csrfToken(deps.csrfKey, current.id, secret),
              actions: { refresh: `/checkout/${current.id}${langQuery(c)}`, cancel: `/checkout/${current.id}/cancel` },
              live: {
                events: `/checkout/${current.id}/events`,
                secondsLeft: (current.expiresAt.getTime() - now().getTime()) / 1000,
                ...(current.display === 'popup' ? { openerOrigin: new URL(claims.returnUrl).origin } : {}),
              },
              languageLinks: { en: `/checkout/${current.id}?lang=en`, fr: `/checkout/${current.id}?lang=fr` },
              now: now(),
            },
            locale(c),
          ),
          200,
          { 'content-security-policy': csp.replace("default-src 'none';", "default-src 'none'; script-src 'self'; connect-src 'self';") },
        );
      case 'identifying':
        return c.html(
          checkoutPage(
            {
              ...page,
              kind: claims.kind,
              ...(claims.allowance ? { allowance: claims.allowance } : {}),
              merchantName,
              serial: claims.serial,
              items: claims.items,
              amount: claims.amount,
              vat: claims.vat,
              currency: claims.currency,
              fulfilment: claims.fulfilment,
              ...(claims.requested ? { requested: claims.requested } : {}),
              expiresAt: current.expiresAt,
              languageLinks: { en: `/checkout/${current.id}?lang=en`, fr: `/checkout/${current.id}?lang=fr` },
              csrfToken: csrfToken(deps.csrfKey, current.id, secret),
              actions: {
                identify: `/checkout/${current.id}/identify`,
                cancel: `/checkout/${current.id}/cancel`,
                ...(claims.customer ? { phone: `/checkout/${current.id}/phone` } : {}),
              },
              ...((account ?? (claims.customer && 'account' in claims.customer))
                ? { account: account ?? (claims.customer as { account: string }).account }
                : {}),
              ...(error ? { error } : {}),
              ...(sharedForm ? { sharedForm } : {}),
              usePoints: current.usePoints,
              ...(claims.quote
                ? {
                    quote: {
                      expiresAt: new Date(claims.exp * 1000),
                      ...(claims.quote.stock === undefined ? {} : { stock: claims.quote.stock }),
                      requoted: c.req.query('requoted') === '1',
                    },
                  }
                : {}),
              now: now(),
            },
            locale(c),
          ),
          (sharedForm?.errors ? PROBLEM_STATUS.shared_data_invalid : error ? IDENTIFY_ERROR_STATUS[error.code] : 200) as 200,
          { 'content-security-policy': csp },
        );
      case 'choosing':
        return c.html(
          offerPage(
            {
              ...page,
              merchantName,
              amount: claims.amount,
              currency: claims.currency,
              balance: await walletHolds(current.customerId ?? '', claims.currency),
              expiresAt: current.expiresAt,
              csrfToken: csrfToken(deps.csrfKey, current.id, secret),
              actions: {
                payFromBank: `/checkout/${current.id}/bank`,
                cancel: `/checkout/${current.id}/cancel`,
                topUp: `/account#${TOP_UP_ANCHOR}`,
              },
              now: now(),
            },
            locale(c),
          ),
          200,
          { 'content-security-policy': csp },
        );
      case 'pending_bank':
      case 'authorising':
        return c.html(
          pendingBankPage(
            {
              ...page,
              merchantName,
              amount: claims.amount,
              currency: claims.currency,
              actions: { refresh: `/checkout/${current.id}` },
            },
            locale(c),
          ),
        );
      case 'paid':
      case 'refused':
      case 'cancelled':
        if (current.state === 'paid') return c.redirect(`/checkout/${current.id}/return`, 303);
        return refusedPage(c, current.refusalReason ?? 'customer_declined', {
          merchantName,
          returnUrl: `${deps.issuer}/checkout/${current.id}/return`,
          ...(deps.overview ? await refusalDetails({ overview: deps.overview }, current) : {}),
        });
    }
  }

  return (app: Hono) => {
    // Forms are small; a body past the limit is refused before it is read, chunked or not.
    for (const path of ['/pay', '/quote', '/checkout/*']) {
      app.use(path, bodyLimit({ maxSize: FORM_LIMIT, onError: (c) => problemPage(c, new ProblemError('body_too_large')) }));
    }

    // A problem on a hosted page is shown as a page, in the customer's language.
    for (const path of ['/pay', '/quote', '/checkout/*']) {
      app.use(path, async (c, next) => {
        await next();
        const problem = problemOf(c.error);
        if (problem === undefined) return;
        c.res = problemPage(c, problem);
        keepBrowserCookie(c);
      });
    }

    app.get(CHECKOUT_CSS_PATH, (c) => {
      c.header('cache-control', 'public, max-age=31536000, immutable');
      return c.body(CHECKOUT_CSS, 200, { 'content-type': 'text/css; charset=utf-8' });
    });

    app.get(POPUP_RESULT_SCRIPT_PATH, (c) => {
      c.header('cache-control', 'public, max-age=3600');
      return c.body(POPUP_RESULT_SCRIPT, 200, { 'content-type': 'text/javascript; charset=utf-8' });
    });

    app.get(CONFIRM_LIVE_SCRIPT_PATH, (c) => {
      c.header('cache-control', 'public, max-age=3600');
      return c.body(CONFIRM_LIVE_SCRIPT, 200, { 'content-type': 'text/javascript; charset=utf-8' });
    });

    app.post('/pay', async (c) => {
      const form = await c.req.parseBody();
      return receive(c, form.ticket, form.mode === 'popup' ? 'popup' : 'redirect');
    });
    app.get('/pay', (c) => receive(c, c.req.query('ticket')));

    /**
     * A quote asked for by a browser (the widget's quote mode, a form, a link or a QR
     * code): `merchant`, `item`, `quantity` (default 1), `state` (the merchant page's
     * browser binding), `mode=popup`. The payment server fetches the merchant's signed
     * ticket and opens the checkout on it, as `/pay` does: the browser never carries it.
     */
    app.on(['GET', 'POST'], '/quote', async (c) => {
      if (deps.quotes === undefined) throw new ProblemError('not_found');
      if (await deps.quoteThrottle?.spend(c)) throw new ProblemError('too_many_requests');
      const fields = c.req.method === 'POST' ? await c.req.parseBody() : c.req.query();
      // The form also carries `mode` and `lang`: only the quote's own fields are read here.
      const { merchant, item, quantity, state } = parseInput(quoteQuery, {
        merchant: fields.merchant,
        item: fields.item,
        quantity: fields.quantity || undefined,
        state: fields.state || undefined,
      });
      const fresh = await deps.quotes.fetch({ merchantId: merchant, item, quantity, ...(state ? { state } : {}), locale: locale(c) });
      return receive(c, fresh.token, fields.mode === 'popup' ? 'popup' : 'redirect');
    });

    app.get('/checkout/:id', async (c) => {
      const current = await expireIfDue(await session(c));
      return (await requote(c, current)) ?? (await showSession(c, current));
    });

    app.post('/checkout/:id/identify', async (c) => {
      const found = await expireIfDue(await session(c));
      const form = await c.req.parseBody();
      checkForm(c, found, form);
      const fresh = await requote(c, found);
      if (fresh) return fresh;
      const current = withPointsChoice(found, form);
      if (current.state !== 'identifying') return showSession(c, current);
      const account = typeof form.account === 'string' ? form.account.trim() : '';
      const accessKey = typeof form.accessKey === 'string' ? form.accessKey : '';
      // Sending the form is the customer's agreement to share what the ticket requests; bad data stores nothing.
      const reading = readSharedForm(current.ticket.claims.requested, form);
      if (!reading.ok) return showSession(c, current, undefined, account, reading.form);
      const sharing = withShared(current, reading);
      if (!account)
        return showSession(
          c,
          current,
          { code: 'missing', fields: accessKey ? ['account'] : ['account', 'accessKey'] },
          undefined,
          reading.form,
        );
      // A customer with a device confirms on it: the access key alone never pays for them.
      const onPhone = await toPhone(c, sharing, account);
      if (onPhone) return onPhone;
      if (!accessKey) return showSession(c, current, { code: 'missing', fields: ['accessKey'] }, account, reading.form);
      if (await deps.identifyThrottle?.mustWait(c)) return showSession(c, current, { code: 'too_many_requests' }, account, reading.form);

      let customerId: string;
      try {
        customerId = (await deps.customers.identify(account, accessKey)).id;
      } catch (error) {
        if (isWrongCredentials(error)) await deps.identifyThrottle?.failed(c);
        if (error instanceof AuthenticationFailedError)
          return showSession(c, current, { code: 'credentials_invalid', attemptsLeft: error.attemptsLeft }, account, reading.form);
        if (error instanceof ProblemError && error.code === 'account_locked') {
          await deps.db.transaction((tx) => closeRefused(tx, deps.sessions, current, ['identifying'], 'refused', 'account_locked', now()));
          return showSession(c, (await deps.sessions.load(current.id)) ?? current);
        }
        throw error;
      }
      const outcome = await deps.authoriser.authorise(sharing, customerId, { method: 'access_key', at: now() });
      deps.log.info('checkout.authorised', {
        session: current.id,
        result: outcome.result,
        ...(outcome.result === 'refused' ? { reason: outcome.reason } : {}),
      });
      if (outcome.result === 'paid') return afterPaid(c, current, outcome.url);
      const after = (await deps.sessions.load(current.id)) ?? current;
      return (await requote(c, after)) ?? showSession(c, after);
    });

    /** "Confirm on my phone" for the customer the ticket names: the one click of a phone checkout. */
    app.post('/checkout/:id/phone', async (c) => {
      const found = await expireIfDue(await session(c));
      const form = await c.req.parseBody();
      checkForm(c, found, form);
      const fresh = await requote(c, found);
      if (fresh) return fresh;
      const current = withPointsChoice(found, form);
      const hint = current.ticket.claims.customer;
      if (current.state !== 'identifying' || !hint) return showSession(c, current);
      const reading = readSharedForm(current.ticket.claims.requested, form);
      if (!reading.ok) return showSession(c, current, undefined, undefined, reading.form);
      const customer = 'account' in hint ? hint.account : await deps.customers.findByPhone(hint.phone);
      const onPhone = customer === undefined ? undefined : await toPhone(c, withShared(current, reading), customer);
      if (onPhone) return onPhone;
      // No device: the access key, as without a phone (a phone hint's account id is not written into the page).
      return 'account' in hint
        ? showSession(c, current, { code: 'missing', fields: ['accessKey'] }, hint.account, reading.form)
        : showSession(c, current, { code: 'missing', fields: ['account', 'accessKey'] }, undefined, reading.form);
    });

    /** "Pay from my bank" on the offer a short wallet made: one step, with the confirmation the customer already gave. */
    app.post('/checkout/:id/bank', async (c) => {
      const current = await expireIfDue(await session(c));
      checkForm(c, current, await c.req.parseBody());
      if (current.state !== 'choosing') return showSession(c, current);
      const outcome = await deps.authoriser.takeOffer(current, 'bank');
      deps.log.info('checkout.offer_taken', { session: current.id, result: outcome.result });
      if (outcome.result === 'paid') return afterPaid(c, current, outcome.url);
      return showSession(c, (await deps.sessions.load(current.id)) ?? current);
    });

    app.post('/checkout/:id/cancel', async (c) => {
      const current = await session(c);
      const form = await c.req.parseBody();
      checkForm(c, current, form);
      await deps.phone.cancel(current);
      return c.redirect(`/checkout/${current.id}/return`, 303);
    });

    /**
     * The live status of a checkout, for its page's script: same origin, bound to the
     * browser's cookie like the page. `{"state":"confirming","expiresAt":…}` while the
     * phone is asked, then `{"state":<new state>}` once the session leaves it, and the
     * stream ends. Moves reach it from any instance through LISTEN/NOTIFY; its own timer
     * settles the deadline, so an unanswered request ends the stream too.
     */
    app.get('/checkout/:id/events', async (c) => {
      const found = await session(c);
      // A confirming session is settled once subscribed (below), so it is not settled twice.
      const first = found.state === 'confirming' ? found : await expireIfDue(found);
      const response = streamSSE(c, async (stream) => {
        let poked = false;
        let wake: (() => void) | undefined;
        const poke = () => {
          poked = true;
          wake?.();
        };
        /** Resolves at the next move of the session (or abort), or after `ms`. */
        const nextChange = (ms: number) =>
          new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              wake = undefined;
              poked = false;
              resolve();
            };
            const timer = setTimeout(done, ms);
            wake = done;
            if (poked || stream.aborted) done();
          });
        stream.onAbort(poke);
        const unsubscribe = await deps.events.subscribe(first.id, poke);
        try {
          // Read again after subscribing, so a move between the first read and the subscription is not missed.
          let current = first.state === 'confirming' ? await expireIfDue((await deps.sessions.load(first.id)) ?? first) : first;
          if (current.state === 'confirming')
            await stream.writeSSE({ data: JSON.stringify({ state: 'confirming', expiresAt: current.expiresAt.toISOString() }) });
          while (current.state === 'confirming' && !stream.aborted && !deps.events.closed) {
            const untilDeadline = current.expiresAt.getTime() - now().getTime();
            // Wake just past the deadline to settle it; past it already (a step that could not be settled yet), look again each second.
            await nextChange(Math.min(KEEP_ALIVE_MS, untilDeadline > 0 ? untilDeadline + 50 : 1_000));
            if (stream.aborted || deps.events.closed) break;
            // Past the deadline this look refuses the session, on whichever instance gets there first.
            current = await expireIfDue((await deps.sessions.load(first.id)) ?? current);
            if (current.state === 'confirming') await stream.write(': keep-alive\n\n');
          }
          if (!stream.aborted && current.state !== 'confirming') await stream.writeSSE({ data: JSON.stringify({ state: current.state }) });
        } finally {
          unsubscribe();
        }
      });
      response.headers.set('cache-control', 'no-store');
      return response;
    });

    /**
     * Leaving the payment server. A paid session always leaves with the voucher signed at
     * payment, byte for byte: however often or late the browser comes back, the merchant
     * sees one voucher, with one `exp`, that it accepts once (after `exp`, it asks the
     * merchant API). A refusal is signed now: no payment can follow it.
     */
    app.get('/checkout/:id/return', async (c) => {
      const current = await session(c);
      const { claims } = current.ticket;
      if (current.state === 'paid') {
        const delivery = claims.delivery;
        if (delivery !== undefined && deps.contents !== undefined && c.req.query('continue') !== '1') {
          return showDelivery(c, current, delivery.content);
        }
        const { voucher } = await storedVoucher(deps.db, current);
        return leave(c, current.display, current.merchantId, 'voucher', claims.returnUrl, voucher);
      }
      if (current.state === 'refused' || current.state === 'cancelled') {
        const refusal = await deps.signer.refusal(current.ticket, current.refusalReason ?? 'customer_declined');
        return leave(c, current.display, current.merchantId, 'refusal', claims.cancelUrl, refusal.token);
      }
      return c.redirect(`/checkout/${current.id}`, 303);
    });

    /**
     * The digital good of a paid checkout, released to this browser (the session's
     * cookie, and the form's CSRF token), once: served as it was stored, sandboxed (no
     * script runs, whatever the merchant stored) and never cached.
     */
    app.post('/checkout/:id/content', async (c) => {
      const current = await session(c);
      checkForm(c, current, await c.req.parseBody());
      const delivery = current.ticket.claims.delivery;
      if (delivery === undefined || deps.contents === undefined) throw new ProblemError('not_found');
      if (current.state !== 'paid') throw new ProblemError('content_withheld');
      const good = await deps.contents.release(current.merchantId, current.ticket.claims.jti, delivery.content);
      deps.log.info('checkout.content_released', { session: current.id, merchant: current.merchantId, ref: delivery.content });
      const textual = good.contentType.startsWith('text/');
      return c.body(new Uint8Array(good.data), 200, {
        'content-type': `${good.contentType}${textual ? '; charset=utf-8' : ''}`,
        'content-security-policy': "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'",
        'content-disposition': `${textual || good.contentType.startsWith('image/') || good.contentType === 'application/pdf' ? 'inline' : 'attachment'}; filename="${delivery.content}"`,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
    });
  };
}

/**
 * Chrome applies `form-action` to the redirect that follows a form post, so the pages
 * whose forms end at the merchant list the merchant's return and cancel origins.
 */
function checkoutCsp(urls: readonly string[]): string {
  const origins = [...new Set(urls.map((url) => new URL(url).origin))].join(' ');
  return `default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self' ${origins}; frame-ancestors 'none'; base-uri 'none'`;
}
