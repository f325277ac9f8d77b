import type { Mode } from '@caisse/protocol';
import { paymentSerial } from '@caisse/protocol';
import type { Context, Hono } from 'hono';
import { type AccountDeps, accountSession } from '../account/routes.js';
import { ProblemError } from '../http/problem.js';
import type { MerchantService } from '../merchants/service.js';
import { keptLanguage, pickLocale } from '../pages/i18n.js';
import type { Queryable } from '../storage/database.js';
import { DISPUTE_FORM_ERRORS, type DisputeFormError, type DisputePageView, disputePage } from './page.js';
import type { DisputeService } from './service.js';

export interface DisputeAccountDeps extends Pick<AccountDeps, 'issuer' | 'sessionKey' | 'csrfKey' | 'operatorName' | 'now'> {
  db: Queryable;
  merchants: Pick<MerchantService, 'get'>;
  disputes: Pick<DisputeService, 'open' | 'ofPayment'>;
  mode?: Mode;
}

const PATH = '/account/payments/:serial/dispute';

/**
 * `GET` and `POST /account/payments/:serial/dispute` (`:serial` the payment id, `pay_1042`)
 * on the account page: the form to dispute one of the signed-in customer's payments, then
 * the dispute's status. Mounted after `accountRoutes`, whose body limit and problem pages
 * cover `/account/*`; signed out, it goes back to `/account`; another customer's payment
 * is `not_found`, as one that does not exist.
 * @example createApp({ routes: [accountRoutes(deps), disputeAccountRoutes({ issuer, db, merchants, disputes, sessionKey, csrfKey })] })
 */
export function disputeAccountRoutes(deps: DisputeAccountDeps) {
  const session = accountSession(deps);
  const now = deps.now ?? (() => new Date());
  const page = { operatorName: deps.operatorName ?? 'Caisse', testMode: deps.mode === 'test' };

  /** The signed-in customer's payment named by the path, or not found (also another customer's). */
  async function ownPayment(c: Context, customer: string) {
    const serial = paymentSerial(c.req.param('serial') ?? '');
    const { rows } =
      serial === undefined
        ? { rows: [] }
        : await deps.db.query<{ merchant_id: string; order_serial: string; amount: bigint; currency: string }>(
            'SELECT merchant_id, order_serial, amount, currency FROM payments WHERE serial = $1 AND customer_id = $2',
            [serial, customer],
          );
    const row = rows[0];
    if (serial === undefined || row === undefined) throw new ProblemError('not_found');
    const merchant = await deps.merchants.get(row.merchant_id);
    return {
      id: `pay_${serial}`,
      serial,
      view: { merchantName: merchant.displayName, orderSerial: row.order_serial, amount: Number(row.amount), currency: row.currency },
    };
  }

  async function render(c: Context, customer: string, extra: Partial<DisputePageView> = {}, status = 200) {
    const payment = await ownPayment(c, customer);
    const dispute = await deps.disputes.ofPayment(customer, payment.serial);
    const view: DisputePageView = {
      ...page,
      now: now(),
      payment: payment.view,
      // The language the customer chose carries over to the payment, and to the answer of the form.
      back: `/account/payments/${payment.id}${keptLanguage(c.req.query('lang'))}`,
      action: `/account/payments/${payment.id}/dispute${keptLanguage(c.req.query('lang'))}`,
      csrfToken: session.csrfToken(c),
      ...(dispute === undefined
        ? {}
        : {
            dispute: {
              state: dispute.state,
              outcome: dispute.outcome,
              amount: Number(dispute.amount),
              currency: dispute.currency,
              openedAt: dispute.opened_at,
              answerDueAt: dispute.answer_due_at,
            },
          }),
      ...extra,
    };
    // A customer's payments are their own business: never kept by a shared cache or the browser's.
    c.header('cache-control', 'no-store');
    return c.html(disputePage(view, pickLocale(c.req.header('accept-language'), c.req.query('lang'))), status as 200);
  }

  return (app: Hono) => {
    app.get(PATH, async (c) => {
      const customer = session.customer(c);
      if (customer === undefined) return c.redirect('/account', 303);
      return render(c, customer);
    });

    app.post(PATH, async (c) => {
      const form = await c.req.parseBody();
      session.checkForm(c, form.csrf);
      const customer = session.customer(c);
      if (customer === undefined) return c.redirect('/account', 303);
      const { id } = await ownPayment(c, customer);
      const values = {
        ...(typeof form.reason === 'string' ? { reason: form.reason } : {}),
        ...(typeof form.message === 'string' ? { message: form.message } : {}),
      };
      try {
        await deps.disputes.open(customer, { payment: id, reason: values.reason as never, message: values.message ?? '' });
      } catch (error) {
        const code = error instanceof ProblemError ? DISPUTE_FORM_ERRORS.find((known) => known === error.code) : undefined;
        if (code === undefined) throw error;
        return render(c, customer, { values, error: code as DisputeFormError }, (error as ProblemError).status);
      }
      return c.redirect(`/account/payments/${id}/dispute${keptLanguage(c.req.query('lang'))}`, 303);
    });
  };
}
