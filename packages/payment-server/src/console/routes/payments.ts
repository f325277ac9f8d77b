import { randomUUID } from 'node:crypto';
import { paymentSerial, toMinorUnits } from '@caisse/protocol';
import type { Context, Hono } from 'hono';
import { accountPaymentSerial } from '../../account/payment-detail.js';
import { exportEvidence } from '../../evidence/export.js';
import { ProblemError } from '../../http/problem.js';
import { text } from '../../pages/i18n.js';
import { afterPost, baseView, type ConsoleDeps, type ConsoleEnv, checkForm, localeOf, refusalOf, signedIn, takeAction } from '../http.js';
import { type PaymentDetailView, paymentPage, paymentsPage } from '../pages/payments.js';
import { consolePayment, findPayments, paymentNotifications, paymentPostings } from '../queries.js';
import { mayTake } from '../roles.js';

/** Refusals of a refund with words of their own on the payment's page; any other shows the service's words. */
const REFUND_REFUSALS = {
  refund_exceeds_payment: 'console.refund.error.refund_exceeds_payment',
  payment_not_refundable: 'console.refund.error.payment_not_refundable',
  payment_held: 'console.refund.error.payment_held',
} as const;

/** Finding a payment by any id, its page, its refund (finance) and its evidence bundle. */
export function paymentRoutes(consoleApp: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  const now = deps.now ?? (() => new Date());

  async function requirePayment(c: Context) {
    const serial = accountPaymentSerial(c.req.param('id') ?? '');
    const payment = serial === undefined ? undefined : await consolePayment(deps.db, serial);
    if (payment === undefined) throw new ProblemError('not_found');
    return payment;
  }

  async function detail(c: Context<ConsoleEnv>, extra: Partial<PaymentDetailView> = {}, status = 200) {
    const operator = signedIn(c);
    const payment = await requirePayment(c);
    const [postings, refunds, notifications] = await Promise.all([
      paymentPostings(deps.db, payment),
      deps.refunds.list(payment.merchantId, payment.serial),
      paymentNotifications(deps.db, payment),
    ]);
    const refundable = payment.amount > payment.refunded && payment.status !== 'held' && payment.status !== 'authenticated';
    const view: PaymentDetailView = {
      ...baseView(c, deps, operator),
      payment,
      postings,
      refunds: refunds.map((refund) => ({ ...refund, createdAt: new Date(refund.createdAt) })),
      notifications,
      canRefund: refundable && mayTake(operator.role, 'payment.refund'),
      refund: { requestKey: randomUUID() },
      ...(c.req.query('done') === 'refunded' ? { done: 'refunded' as const } : {}),
      ...extra,
    };
    return c.html(paymentPage(view, localeOf(c)), status as 200);
  }

  consoleApp.get('/payments', async (c) => {
    const query = c.req.query('q')?.trim() ?? '';
    const payments = await findPayments(deps.db, query);
    // One payment found by its own id: its page straight away.
    if (payments.length === 1 && paymentSerial(query) !== undefined)
      return c.redirect(afterPost(c, `/console/payments/${payments[0]?.id}`), 303);
    return c.html(paymentsPage({ ...baseView(c, deps, signedIn(c)), query, payments }, localeOf(c)));
  });

  consoleApp.get('/payments/:id', (c) => detail(c));

  consoleApp.get('/payments/:id/evidence', async (c) => {
    const payment = await requirePayment(c);
    // A payment not approved on a phone has no bundle: `approval_missing`, shown as a refusal.
    const bundle = await exportEvidence({ db: deps.db, ...deps.evidence, now }, { serial: payment.serial });
    return c.body(JSON.stringify(bundle, null, 2), 200, {
      'content-type': 'application/json',
      'content-disposition': `attachment; filename="${payment.id}.evidence.json"`,
    });
  });

  consoleApp.post('/payments/:id/refunds', async (c) => {
    const form = await c.req.parseBody();
    checkForm(c, deps, form.csrf);
    const payment = await requirePayment(c);
    const locale = localeOf(c);
    const typed = typeof form.amount === 'string' ? form.amount.trim() : '';
    const reason = typeof form.reason === 'string' ? form.reason.trim() : '';
    const requestKey = typeof form.request === 'string' && /^[0-9a-f-]{36}$/.test(form.request) ? form.request : randomUUID();
    const again = (error: string) => ({ refund: { requestKey, amount: typed, reason, error } });
    if (form.confirm !== 'yes') return detail(c, again(text(locale, 'console.refund.error.confirm')), 400);
    let amount: number;
    try {
      // A decimal comma, as French speakers write it, is a decimal point.
      amount = toMinorUnits(typed.replace(/^(\d+),(\d+)$/, '$1.$2'), payment.currency);
      if (amount <= 0) throw new RangeError('not positive');
    } catch {
      return detail(c, again(text(locale, 'console.refund.error.amount_invalid')), 400);
    }
    try {
      await takeAction(
        c,
        deps,
        'payment.refund',
        payment.id,
        () =>
          deps.refunds.create(payment.merchantId, payment.serial, {
            amount,
            ...(reason === '' ? {} : { reason: reason.slice(0, 200) }),
            requestKey: `console:${requestKey}`,
          }),
        { merchant: payment.merchantId, amount, currency: payment.currency },
      );
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal === undefined || refusal.code === 'operator_role_forbidden') throw error;
      const words = Object.hasOwn(REFUND_REFUSALS, refusal.code)
        ? text(locale, REFUND_REFUSALS[refusal.code as keyof typeof REFUND_REFUSALS])
        : `${refusal.detail} (${refusal.code})`;
      return detail(c, again(words), refusal.status);
    }
    return c.redirect(afterPost(c, `/console/payments/${payment.id}`, 'refunded'), 303);
  });
}
