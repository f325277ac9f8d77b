import { createHmac, randomUUID } from 'node:crypto';
import { type Mode, paymentId, toMinorUnits } from '@caisse/protocol';
import { safeEqual } from '@caisse/server-kit';
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AllowanceService } from '../allowances/service.js';
import { AuthenticationFailedError, isWrongCredentials } from '../customers/errors.js';
import type { CustomerOverviewReader } from '../customers/overview.js';
import type { PlanService } from '../customers/plans.js';
import type { CustomerService } from '../customers/service.js';
import type { DeviceService } from '../devices/service.js';
import type { RequestThrottle } from '../http/attempt-throttle.js';
import { browserSecret, keepBrowserCookie } from '../http/browser-cookie.js';
import { formFromOurOrigin } from '../http/form-origin.js';
import { ProblemError, problemOf } from '../http/problem.js';
import type { MerchantService } from '../merchants/service.js';
import { errorPage } from '../pages/error.js';
import { type HistoryEntry, type HistoryView, historyPage } from '../pages/history.js';
import { keptLanguage, LOCALES, type Locale, pickLocale } from '../pages/i18n.js';
import type { IdentifyError } from '../pages/identify.js';
import { paymentDetailPage } from '../pages/payment-detail.js';
import { customerPayments } from '../payments/repository.js';
import type { Queryable } from '../storage/database.js';
import type { TopUpService } from '../top-ups/service.js';
import { accountPaymentSerial, customerPaymentDetail } from './payment-detail.js';
import { moneyView, PLAN_ACTION, planFieldErrors, planFormView, readPlanForm } from './plan-form.js';

export interface AccountDeps {
  issuer: string;
  db: Queryable;
  customers: CustomerService;
  merchants: MerchantService;
  /** The customer's phones: listed, enrolled with a one-time code, revoked. */
  devices?: Pick<DeviceService, 'list' | 'createCode' | 'revoke'>;
  /** Wallet top-ups from the customer's bank (`top-ups/`): the form on the page, `POST /account/top-ups`. */
  topUps?: Pick<TopUpService, 'topUp'>;
  /** The customer's money and payment plan: shown on the page, the plan changed by `POST /account/plan`. */
  overview?: Pick<CustomerOverviewReader, 'read'>;
  plans?: Pick<PlanService, 'get' | 'set'>;
  /** The customer's session allowances: listed on the page, one revoked by `POST /account/allowances/revoke`. */
  allowances?: Pick<AllowanceService, 'listForCustomer' | 'revoke'>;
  /** `deriveKey(secret, 'session')`: signs the account cookie. */
  sessionKey: Buffer;
  /** `deriveKey(secret, 'csrf')`. */
  csrfKey: Buffer;
  /** Wrong access keys per client, shared with the checkout pages; none: no throttle. */
  identifyThrottle?: RequestThrottle;
  operatorName?: string;
  /** The operator's IANA time zone (`CAISSE_TIME_ZONE`): the payment detail's dates. Default UTC. */
  timeZone?: string;
  /** `test`: every page says "Test mode — no real money". Default `live`. */
  mode?: Mode;
  now?: () => Date;
}

const ACCOUNT_COOKIE = 'caisse_account';
/** Where the page's revoke button of a session allowance posts. */
const REVOKE_ALLOWANCE = '/account/allowances/revoke';
/** An account session is short: it shows payments, and a shared computer may be left open. */
const ACCOUNT_SESSION_SECONDS = 15 * 60;
const DAY_MS = 86_400_000;
const MAX_PERIOD_DAYS = 366;

/** A payment's detail page on the account page: `/account/payments/pay_1042`. */
export function accountPaymentPath(paymentId: string): string {
  return `/account/payments/${paymentId}`;
}

/**
 * The customer's hosted account page: identification with account id and access key
 * (the same lockout as at checkout), then the payments of a period. The session is a
 * signed cookie (customer, expiry), so any instance can serve it and nothing is stored.
 */
export function accountRoutes(deps: AccountDeps) {
  const now = deps.now ?? (() => new Date());
  const page = { operatorName: deps.operatorName ?? 'Caisse', testMode: deps.mode === 'test' };
  const actions = { identify: '/account/identify', period: '/account', signOut: '/account/sign-out' };
  const deviceActions = { enroll: '/account/devices/code', revoke: '/account/devices/revoke' };

  const session = accountSession(deps);
  const signedInCustomer = session.customer;
  const checkForm = session.checkForm;

  /** The default period: the last 30 days, both ends included. */
  function period(c: Context): { from: string; to: string; range?: { since: Date; until: Date } } {
    const today = now().toISOString().slice(0, 10);
    const from = c.req.query('from') ?? new Date(now().getTime() - 29 * DAY_MS).toISOString().slice(0, 10);
    const to = c.req.query('to') ?? today;
    const since = /^\d{4}-\d{2}-\d{2}$/.test(from) ? new Date(`${from}T00:00:00Z`) : undefined;
    const until = /^\d{4}-\d{2}-\d{2}$/.test(to) ? new Date(new Date(`${to}T00:00:00Z`).getTime() + DAY_MS) : undefined;
    const valid =
      since &&
      until &&
      !Number.isNaN(since.getTime()) &&
      !Number.isNaN(until.getTime()) &&
      since < until &&
      until.getTime() - since.getTime() <= MAX_PERIOD_DAYS * DAY_MS;
    return valid ? { from, to, range: { since, until } } : { from, to };
  }

  async function history(customerId: string, since: Date, until: Date): Promise<HistoryEntry[]> {
    const payments = await customerPayments(deps.db, customerId, since, until);
    const names = new Map<string, string>();
    for (const payment of payments)
      if (!names.has(payment.merchantId)) names.set(payment.merchantId, (await deps.merchants.get(payment.merchantId)).displayName);
    return payments.map((payment) => ({
      detail: accountPaymentPath(paymentId(payment.serial)),
      at: payment.createdAt,
      merchantName: names.get(payment.merchantId) ?? payment.merchantId,
      serial: payment.orderSerial,
      amount: Number(payment.amount),
      refunded: Number(payment.refunded),
      currency: payment.currency,
      status: payment.status,
    }));
  }

  async function render(c: Context, extra: Partial<HistoryView> = {}, status = 200, enrollmentCode?: { code: string; expiresAt: Date }) {
    const customer = signedInCustomer(c);
    const chosen = period(c);
    const view: HistoryView = {
      ...page,
      now: now(),
      csrfToken: session.csrfToken(c),
      actions,
      period: { from: chosen.from, to: chosen.to },
      ...extra,
    };
    if (customer) {
      view.customer = { account: customer };
      await keepChosenLocale(c, customer);
      const query = new URLSearchParams({ from: chosen.from, to: chosen.to });
      view.languageLinks = languageLinks(`/account?${query}`);
      if (deps.devices) {
        const devices = await deps.devices.list(customer);
        view.devices = {
          devices: devices.map((device) => ({
            id: device.id,
            name: device.name,
            enrolledAt: device.createdAt,
            revokedAt: device.revokedAt,
          })),
          actions: deviceActions,
          ...(enrollmentCode ? { enrollmentCode } : {}),
        };
      }
      if (deps.topUps) {
        const { rows } = await deps.db.query<{ currency: string }>(
          `SELECT currency FROM ledger_accounts WHERE type = 'customer_wallet' AND owner_id = $1 ORDER BY currency LIMIT 1`,
          [customer],
        );
        const currency = rows[0]?.currency;
        if (currency !== undefined) view.topUp = { action: '/account/top-ups', currency, requestId: randomUUID(), ...extra.topUp };
      }
      if (deps.overview) {
        const { currencies } = await deps.overview.read(customer);
        view.money = { currencies: currencies.map(moneyView) };
        // A form just posted comes back as sent (with its errors) or as saved; the others as stored.
        view.plans = currencies.map((money) => extra.plans?.find((plan) => plan.currency === money.currency) ?? planFormView(money.plan));
      }
      if (deps.allowances) {
        const allowances = await deps.allowances.listForCustomer(customer);
        view.allowances = {
          allowances: allowances.map((allowance) => ({
            id: allowance.id,
            merchantName: allowance.merchant.name,
            currency: allowance.currency,
            maximum: allowance.maximum,
            used: allowance.used,
            remaining: allowance.remaining,
            chargeCap: allowance.chargeCap,
            period: allowance.period,
            expiresAt: new Date(allowance.expiresAt * 1000),
          })),
          revoke: REVOKE_ALLOWANCE,
        };
      }
      if (chosen.range) view.payments = await history(customer, chosen.range.since, chosen.range.until);
      else view.periodError = 'period_invalid';
    }
    return c.html(historyPage(view, pickLocale(c.req.header('accept-language'), c.req.query('lang'))), status as 200);
  }

  /** The same page in each language: a signed-in customer's choice is kept for their receipts (`keepChosenLocale`). */
  function languageLinks(path: string): Partial<Record<Locale, string>> {
    const separator = path.includes('?') ? '&' : '?';
    return Object.fromEntries(LOCALES.map((locale) => [locale, `${path}${separator}lang=${locale}`]));
  }

  /**
   * A language the signed-in customer picked (`?lang=`) becomes their receipts' language.
   * A GET that changes a preference only: the account cookie is SameSite=Strict, so no
   * other site can make a signed-in browser send it.
   */
  async function keepChosenLocale(c: Context, customerId: string): Promise<void> {
    const lang = c.req.query('lang');
    if (lang === undefined) return;
    // pickLocale falls back to English for a tag it does not know: only a tag naming the language is a choice.
    const locale = pickLocale(undefined, lang);
    if (lang.trim().toLowerCase().split(/[-_]/)[0] === locale) await deps.customers.setLocale(customerId, locale);
  }

  /** The signed-in customer's payment at `/account/payments/:serial`: another's, or none, is not found, alike. */
  async function ownPayment(c: Context) {
    const customer = signedInCustomer(c);
    if (customer === undefined) return undefined;
    const serial = accountPaymentSerial(c.req.param('serial') ?? '');
    const payment = serial === undefined ? undefined : await customerPaymentDetail(deps.db, customer, serial);
    if (payment === undefined) throw new ProblemError('not_found');
    return { customer, payment };
  }

  function problemPage(c: Context, error: ProblemError) {
    return c.html(
      errorPage({ ...page, status: error.status, code: error.code, retryUrl: '/account' }, pickLocale(c.req.header('accept-language'))),
      error.status as 400,
    );
  }

  return (app: Hono) => {
    app.use('/account/*', bodyLimit({ maxSize: 16 * 1024, onError: (c) => problemPage(c, new ProblemError('body_too_large')) }));
    app.use('/account/*', async (c, next) => {
      await next();
      const problem = problemOf(c.error);
      if (problem === undefined) return;
      c.res = problemPage(c, problem);
      keepBrowserCookie(c);
    });

    app.get('/account', (c) => render(c));

    app.get('/account/payments/:serial', async (c) => {
      const own = await ownPayment(c);
      if (own === undefined) return c.redirect('/account', 303);
      const { customer, payment } = own;
      await keepChosenLocale(c, customer);
      const path = accountPaymentPath(payment.id);
      const html = paymentDetailPage(
        {
          ...page,
          now: now(),
          ...(deps.timeZone ? { timeZone: deps.timeZone } : {}),
          languageLinks: languageLinks(path),
          payment: {
            id: payment.id,
            at: payment.createdAt,
            merchantName: payment.merchantName,
            orderSerial: payment.orderSerial,
            amount: Number(payment.amount),
            points: Number(payment.points),
            currency: payment.currency,
            means: payment.funding,
            status: payment.status,
            items: payment.items,
            refunds: payment.refunds.map((refund) => ({ amount: Number(refund.amount), status: refund.status, at: refund.at })),
          },
          // The language the customer chose carries over to the next pages.
          links: {
            back: `/account${keptLanguage(c.req.query('lang'))}`,
            voucher: `${path}/voucher`,
            dispute: `${path}/dispute${keptLanguage(c.req.query('lang'))}`,
          },
          verify: {
            issuer: deps.issuer,
            jwksUrl: `${deps.issuer}/.well-known/jwks.json`,
            audience: payment.merchantId,
            testMode: deps.mode === 'test',
          },
        },
        pickLocale(c.req.header('accept-language'), c.req.query('lang')),
      );
      // Payments are the customer's own business: never kept by a shared cache or the browser's.
      c.header('cache-control', 'no-store');
      return c.html(html);
    });

    app.get('/account/payments/:serial/voucher', async (c) => {
      const own = await ownPayment(c);
      if (own === undefined) return c.redirect('/account', 303);
      return c.body(own.payment.voucher, 200, {
        'content-type': 'application/jwt',
        'content-disposition': `attachment; filename="${own.payment.id}.jwt"`,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
    });

    app.post('/account/identify', async (c) => {
      const form = await c.req.parseBody();
      checkForm(c, form.csrf);
      const account = typeof form.account === 'string' ? form.account.trim() : '';
      const accessKey = typeof form.accessKey === 'string' ? form.accessKey : '';
      const missing = [...(account ? [] : ['account' as const]), ...(accessKey ? [] : ['accessKey' as const])];
      if (missing.length > 0) return render(c, { account, identifyError: { code: 'missing', fields: missing } }, 400);
      if (await deps.identifyThrottle?.mustWait(c)) return render(c, { account, identifyError: { code: 'too_many_requests' } }, 429);
      let customerId: string;
      try {
        customerId = (await deps.customers.identify(account, accessKey)).id;
      } catch (error) {
        if (isWrongCredentials(error)) await deps.identifyThrottle?.failed(c);
        let identifyError: IdentifyError | undefined;
        if (error instanceof AuthenticationFailedError) identifyError = { code: 'credentials_invalid', attemptsLeft: error.attemptsLeft };
        if (!identifyError) throw error;
        return render(c, { account, identifyError }, 401);
      }
      session.signIn(c, customerId);
      return c.redirect('/account', 303);
    });

    app.post('/account/devices/code', async (c) => {
      checkForm(c, (await c.req.parseBody()).csrf);
      const customer = signedInCustomer(c);
      if (customer === undefined || !deps.devices) return c.redirect('/account', 303);
      const enrollmentCode = await deps.devices.createCode(customer);
      // The code is on this answer only: never cached, never in a URL.
      c.header('cache-control', 'no-store');
      return render(c, {}, 200, enrollmentCode);
    });

    app.post('/account/devices/revoke', async (c) => {
      const form = await c.req.parseBody();
      checkForm(c, form.csrf);
      const customer = signedInCustomer(c);
      if (customer !== undefined && deps.devices && typeof form.device === 'string') {
        // Only the signed-in customer's own phone: another's is `device_unknown`.
        await deps.devices.revoke(form.device, { customerId: customer });
      }
      return c.redirect('/account', 303);
    });

    app.post(REVOKE_ALLOWANCE, async (c) => {
      const form = await c.req.parseBody();
      checkForm(c, form.csrf);
      const customer = signedInCustomer(c);
      if (customer !== undefined && deps.allowances && typeof form.allowance === 'string') {
        // Only the signed-in customer's own: another's is `allowance_unknown`.
        await deps.allowances.revoke(customer, form.allowance);
      }
      return c.redirect('/account', 303);
    });

    app.post('/account/top-ups', async (c) => {
      const form = await c.req.parseBody();
      checkForm(c, form.csrf);
      const customer = signedInCustomer(c);
      if (customer === undefined || !deps.topUps) return c.redirect('/account', 303);
      const typed = typeof form.amount === 'string' ? form.amount.trim() : '';
      const currency = typeof form.currency === 'string' ? form.currency : '';
      const requestId = typeof form.request === 'string' ? form.request : '';
      const again = { amount: typed, requestId };
      let amount: bigint;
      try {
        // A decimal comma, as French speakers write it, is a decimal point.
        amount = BigInt(toMinorUnits(typed.replace(/^(\d+),(\d+)$/, '$1.$2'), currency));
        if (amount <= 0n) throw new Error('not positive');
      } catch {
        return render(c, { topUp: { action: '/account/top-ups', currency, ...again, error: 'amount_invalid' } }, 400);
      }
      try {
        const done = await deps.topUps.topUp(customer, { amount, currency, requestId });
        const result = { status: done.status, amount: done.amount, currency: done.currency };
        return render(c, { topUp: { action: '/account/top-ups', currency, requestId: randomUUID(), result } });
      } catch (error) {
        if (!(error instanceof ProblemError)) throw error;
        const known = ['wallet_cap_exceeded', 'customer_bank_account_missing', 'bank_declined'] as const;
        const code = known.find((each) => each === error.code);
        if (code === undefined) throw error;
        return render(c, { topUp: { action: '/account/top-ups', currency, ...again, error: code } }, error.status);
      }
    });

    app.post(PLAN_ACTION, async (c) => {
      const form = await c.req.parseBody();
      checkForm(c, form.csrf);
      const customer = signedInCustomer(c);
      if (customer === undefined || !deps.plans) return c.redirect('/account', 303);
      const currency = typeof form.currency === 'string' ? form.currency : '';
      // The bounds come from the server, never from the form: they are what the fields are checked against.
      const current = planFormView(await deps.plans.get(customer, currency));
      const read = readPlanForm(form, currency);
      if ('errors' in read) return render(c, { plans: [{ ...current, values: read.values, errors: read.errors }] }, 400);
      try {
        const saved = await deps.plans.set(customer, currency, read.change);
        return render(c, { plans: [{ ...planFormView(saved), saved: true }] });
      } catch (error) {
        const errors = planFieldErrors(error);
        if (errors === undefined) throw error;
        return render(c, { plans: [{ ...current, values: read.values, errors }] }, (error as ProblemError).status);
      }
    });

    app.post('/account/sign-out', async (c) => {
      checkForm(c, (await c.req.parseBody()).csrf);
      deleteCookie(c, ACCOUNT_COOKIE, { path: '/account' });
      return c.redirect('/account', 303);
    });
  };
}

/**
 * The account page's session, for pages of other domains under `/account` (disputes/):
 * signing in, the signed-in customer (a signed cookie), the form token,
 * and the check of a form posted back (origin and token, else `csrf_invalid`).
 * @example const session = accountSession(deps); const customer = session.customer(c)
 */
export function accountSession(deps: Pick<AccountDeps, 'issuer' | 'sessionKey' | 'csrfKey' | 'now'>) {
  const now = deps.now ?? (() => new Date());
  const secure = deps.issuer.startsWith('https:');
  const issuerOrigin = new URL(deps.issuer).origin;
  const sign = (payload: string) => createHmac('sha256', deps.sessionKey).update(payload).digest('base64url');
  const csrfToken = (c: Context) =>
    createHmac('sha256', deps.csrfKey)
      .update(`account.${browserSecret(c, secure)}`)
      .digest('base64url');
  return {
    /** Starts the customer's session: a signed cookie, scoped to `/account`, for {@link ACCOUNT_SESSION_SECONDS}. */
    signIn(c: Context, customerId: string): void {
      const expires = Math.floor(now().getTime() / 1000) + ACCOUNT_SESSION_SECONDS;
      setCookie(c, ACCOUNT_COOKIE, `${customerId}.${expires}.${sign(`${customerId}.${expires}`)}`, {
        httpOnly: true,
        secure,
        sameSite: 'Strict',
        path: '/account',
        maxAge: ACCOUNT_SESSION_SECONDS,
      });
    },
    customer(c: Context): string | undefined {
      const [customer, expires, signature] = (getCookie(c, ACCOUNT_COOKIE) ?? '').split('.');
      if (!customer || !expires || !signature || !safeEqual(signature, sign(`${customer}.${expires}`))) return undefined;
      return Number(expires) > now().getTime() / 1000 ? customer : undefined;
    },
    csrfToken,
    checkForm(c: Context, presented: unknown): void {
      if (!formFromOurOrigin(c, issuerOrigin) || typeof presented !== 'string' || !safeEqual(presented, csrfToken(c))) {
        throw new ProblemError('csrf_invalid');
      }
    },
  };
}
