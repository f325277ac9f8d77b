import type { RefusalReason } from '@caisse/protocol';
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import { AuthenticationFailedError } from '../customers/errors.js';
import type { CustomerService } from '../customers/service.js';
import { browserSecret } from '../http/browser-cookie.js';
import { formFromOurOrigin } from '../http/form-origin.js';
import { ProblemError } from '../http/problem.js';
import type { Logger } from '../log.js';
import type { MerchantService } from '../merchants/service.js';
import { checkoutPage } from '../pages/checkout.js';
import { CHECKOUT_CSS, CHECKOUT_CSS_PATH } from '../pages/css.js';
import { errorPage } from '../pages/error.js';
import { type Locale, pickLocale } from '../pages/i18n.js';
import type { IdentifyError } from '../pages/identify.js';
import { pendingBankPage } from '../pages/pending.js';
import { refusalPage } from '../pages/refusal.js';
import { POPUP_RESULT_SCRIPT, POPUP_RESULT_SCRIPT_PATH, resultRedirectPage } from '../pages/result.js';
import type { Authoriser } from '../payments/authorise.js';
import { closeRefused } from '../payments/refusal.js';
import { type TokenSigner, withResult } from '../payments/tokens.js';
import type { Database } from '../storage/database.js';
import { checkTicket } from './intake.js';
import { BROWSER_COOKIE, type CheckoutSession, checkCsrf, csrfToken, type Display, OPEN_STATES, type Sessions } from './sessions.js';

export interface CheckoutDeps {
  issuer: string;
  db: Database;
  merchants: MerchantService;
  customers: CustomerService;
  sessions: Sessions;
  authoriser: Authoriser;
  signer: TokenSigner;
  /** `deriveKey(secret, 'csrf')`. */
  csrfKey: Buffer;
  log: Logger;
  operatorName?: string;
  now?: () => Date;
}

const FORM_LIMIT = 64 * 1024;

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
  const page = { operatorName: deps.operatorName ?? 'Caisse' };

  const locale = (c: Context): Locale => pickLocale(c.req.header('accept-language'), c.req.query('lang'));
  /** A language chosen in the link that started the checkout carries over to its pages. */
  const langQuery = (c: Context): string => {
    const lang = c.req.query('lang');
    return lang === 'en' || lang === 'fr' ? `?lang=${lang}` : '';
  };

  function problemPage(c: Context, error: ProblemError) {
    return c.html(errorPage({ ...page, status: error.status, code: error.code }, locale(c)), error.status as 400);
  }

  /** The merchant can only be trusted with a redirect for a verified ticket; this page says what happened either way. */
  function refusedPage(c: Context, reason: RefusalReason, options: { merchantName?: string; returnUrl?: string; status?: number } = {}) {
    const view = {
      ...page,
      reason,
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
    const merchant = await deps.merchants.get(merchantId);
    return c.html(
      resultRedirectPage(
        {
          ...page,
          outcome: kind === 'voucher' ? 'paid' : 'refused',
          merchantName: merchant.displayName,
          url: target,
          popup: { kind, token, targetOrigin: new URL(url).origin },
        },
        locale(c),
      ),
    );
  }

  async function receive(c: Context, token: unknown, display: Display = 'redirect') {
    const intake = await checkTicket(token, { merchants: deps.merchants, issuer: deps.issuer, now });
    if (!intake.accepted) {
      deps.log.info('ticket.refused', { code: intake.code, reason: intake.reason });
      if (intake.ticket) {
        const refusal = await deps.signer.refusal(intake.ticket, intake.reason);
        return leave(c, display, intake.ticket.claims.iss, 'refusal', intake.ticket.claims.cancelUrl, refusal.token);
      }
      return refusedPage(c, intake.reason, { status: 400 });
    }
    const opened = await deps.sessions.open(intake.ticket, browserSecret(c, secure), display);
    if (opened.opened) {
      deps.log.info('checkout.opened', {
        session: opened.session.id,
        merchant: intake.ticket.claims.iss,
        serial: intake.ticket.claims.serial,
      });
      return c.redirect(`/checkout/${opened.session.id}${langQuery(c)}`, 303);
    }
    if (opened.sameBrowserSessionId) return c.redirect(`/checkout/${opened.sameBrowserSessionId}${langQuery(c)}`, 303);
    deps.log.warn('ticket.replayed', { merchant: intake.ticket.claims.iss, ticket: intake.ticket.claims.jti });
    const refusal = await deps.signer.refusal(intake.ticket, 'ticket_replayed');
    return leave(c, display, intake.ticket.claims.iss, 'refusal', intake.ticket.claims.cancelUrl, refusal.token);
  }

  async function session(c: Context): Promise<CheckoutSession> {
    const found = await deps.sessions.get(c.req.param('id') ?? '', getCookie(c, BROWSER_COOKIE) ?? '');
    if (!found) throw new ProblemError('session_unknown');
    return found;
  }

  /** Closes an open session whose time ran out, so the merchant hears of it. */
  async function expireIfDue(current: CheckoutSession): Promise<CheckoutSession> {
    if (!OPEN_STATES.includes(current.state) || current.expiresAt > now()) return current;
    const reason: RefusalReason = current.state === 'confirming' ? 'confirmation_expired' : 'ticket_expired';
    await deps.db.transaction((tx) => closeRefused(tx, deps.sessions, current, OPEN_STATES, 'refused', reason, now()));
    return (await deps.sessions.load(current.id)) ?? current;
  }

  async function showSession(c: Context, current: CheckoutSession, error?: IdentifyError, account?: string) {
    const merchant = await deps.merchants.get(current.merchantId);
    const { claims } = current.ticket;
    const secret = getCookie(c, BROWSER_COOKIE) ?? '';
    switch (current.state) {
      case 'identifying':
      case 'confirming':
        return c.html(
          checkoutPage(
            {
              ...page,
              kind: claims.kind,
              merchantName: merchant.displayName,
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
              actions: { identify: `/checkout/${current.id}/identify`, cancel: `/checkout/${current.id}/cancel` },
              ...((account ?? (claims.customer && 'account' in claims.customer))
                ? { account: account ?? (claims.customer as { account: string }).account }
                : {}),
              ...(error ? { error } : {}),
              now: now(),
            },
            locale(c),
          ),
          error ? 401 : 200,
          { 'content-security-policy': checkoutCsp([claims.returnUrl, claims.cancelUrl]) },
        );
      case 'pending_bank':
      case 'authorising':
        return c.html(
          pendingBankPage(
            {
              ...page,
              merchantName: merchant.displayName,
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
          merchantName: merchant.displayName,
          returnUrl: `${deps.issuer}/checkout/${current.id}/return`,
        });
    }
  }

  return (app: Hono) => {
    // Forms are small; a body past the limit is refused before it is read, chunked or not.
    for (const path of ['/pay', '/checkout/*']) {
      app.use(path, bodyLimit({ maxSize: FORM_LIMIT, onError: (c) => problemPage(c, new ProblemError('body_too_large')) }));
    }

    // A problem on a hosted page is shown as a page, in the customer's language.
    app.use('/checkout/*', async (c, next) => {
      await next();
      if (c.error instanceof ProblemError) c.res = problemPage(c, c.error);
    });

    app.get(CHECKOUT_CSS_PATH, (c) => {
      c.header('cache-control', 'public, max-age=31536000, immutable');
      return c.body(CHECKOUT_CSS, 200, { 'content-type': 'text/css; charset=utf-8' });
    });

    app.get(POPUP_RESULT_SCRIPT_PATH, (c) => {
      c.header('cache-control', 'public, max-age=3600');
      return c.body(POPUP_RESULT_SCRIPT, 200, { 'content-type': 'text/javascript; charset=utf-8' });
    });

    app.post('/pay', async (c) => {
      const form = await c.req.parseBody();
      return receive(c, form.ticket, form.mode === 'popup' ? 'popup' : 'redirect');
    });
    app.get('/pay', (c) => receive(c, c.req.query('ticket')));

    app.get('/checkout/:id', async (c) => {
      return await showSession(c, await expireIfDue(await session(c)));
    });

    app.post('/checkout/:id/identify', async (c) => {
      const current = await expireIfDue(await session(c));
      const form = await c.req.parseBody();
      if (!formFromOurOrigin(c, issuerOrigin) || !checkCsrf(deps.csrfKey, current.id, getCookie(c, BROWSER_COOKIE) ?? '', form.csrf)) {
        throw new ProblemError('csrf_invalid');
      }
      if (current.state !== 'identifying') return showSession(c, current);
      const account = typeof form.account === 'string' ? form.account.trim() : '';
      const accessKey = typeof form.accessKey === 'string' ? form.accessKey : '';
      const missing = [...(account ? [] : ['account' as const]), ...(accessKey ? [] : ['accessKey' as const])];
      if (missing.length > 0) return showSession(c, current, { code: 'missing', fields: missing }, account);

      let customerId: string;
      try {
        customerId = (await deps.customers.identify(account, accessKey)).id;
      } catch (error) {
        if (error instanceof AuthenticationFailedError)
          return showSession(c, current, { code: 'credentials_invalid', attemptsLeft: error.attemptsLeft }, account);
        if (error instanceof ProblemError && error.code === 'account_locked') {
          await deps.db.transaction((tx) => closeRefused(tx, deps.sessions, current, ['identifying'], 'refused', 'account_locked', now()));
          return showSession(c, (await deps.sessions.load(current.id)) ?? current);
        }
        throw error;
      }
      const outcome = await deps.authoriser.authorise(current, customerId, { method: 'access_key', at: now() });
      deps.log.info('checkout.authorised', {
        session: current.id,
        result: outcome.result,
        ...(outcome.result === 'refused' ? { reason: outcome.reason } : {}),
      });
      if (outcome.result === 'paid')
        return current.display === 'redirect' ? c.redirect(outcome.url, 303) : c.redirect(`/checkout/${current.id}/return`, 303);
      return showSession(c, (await deps.sessions.load(current.id)) ?? current);
    });

    app.post('/checkout/:id/cancel', async (c) => {
      const current = await session(c);
      const form = await c.req.parseBody();
      if (!formFromOurOrigin(c, issuerOrigin) || !checkCsrf(deps.csrfKey, current.id, getCookie(c, BROWSER_COOKIE) ?? '', form.csrf)) {
        throw new ProblemError('csrf_invalid');
      }
      await deps.db.transaction((tx) => closeRefused(tx, deps.sessions, current, OPEN_STATES, 'cancelled', 'customer_declined', now()));
      return c.redirect(`/checkout/${current.id}/return`, 303);
    });

    /** Leaving the payment server: the result is signed now, so it is fresh however long the customer stayed. */
    app.get('/checkout/:id/return', async (c) => {
      const current = await session(c);
      const { claims } = current.ticket;
      if (current.state === 'paid') {
        const { rows } = await deps.db.query<{ voucher: string }>(
          'SELECT voucher FROM payments WHERE merchant_id = $1 AND ticket_jti = $2',
          [current.merchantId, claims.jti],
        );
        const stored = rows[0]?.voucher;
        if (!stored) throw new Error(`Session ${current.id} is paid but has no payment.`);
        return leave(c, current.display, current.merchantId, 'voucher', claims.returnUrl, await deps.signer.renewVoucher(stored));
      }
      if (current.state === 'refused' || current.state === 'cancelled') {
        const refusal = await deps.signer.refusal(current.ticket, current.refusalReason ?? 'customer_declined');
        return leave(c, current.display, current.merchantId, 'refusal', claims.cancelUrl, refusal.token);
      }
      return c.redirect(`/checkout/${current.id}`, 303);
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
