import { DISPUTE_LIMITS, DISPUTE_REASONS, type DisputeOutcome, type DisputeReason, type DisputeState } from '@caisse/protocol';
import { bdi, type Html, h, localPath } from '../pages/html.js';
import { formatAmount, formatDateTime, type Locale, t, text } from '../pages/i18n.js';
import { context, layout, type PageBase, type PageContext } from '../pages/layout.js';

/** The codes the dispute form explains in words; any other is the account page's problem page. */
export const DISPUTE_FORM_ERRORS = [
  'request_invalid',
  'dispute_window_closed',
  'dispute_exists',
  'payment_not_refundable',
  'payment_held',
] as const;
export type DisputeFormError = (typeof DISPUTE_FORM_ERRORS)[number];

/** The page of `/account/payments/:serial/dispute`: the payment, then its dispute, or the form to open one. */
export interface DisputePageView extends PageBase {
  payment: { merchantName: string; orderSerial: string; amount: number; currency: string };
  /** Path-absolute: the payment's own page. */
  back: string;
  /** Where the form posts (`csrf`, `reason`, `message`). */
  action: string;
  csrfToken: string;
  /** The payment's dispute, when it has one: its status instead of the form. */
  dispute?: {
    state: DisputeState;
    outcome: DisputeOutcome | null;
    amount: number;
    currency: string;
    openedAt: Date;
    answerDueAt: Date;
  };
  /** The form as sent, when it comes back with an error. */
  values?: { reason?: string; message?: string };
  error?: DisputeFormError;
}

function status(dispute: NonNullable<DisputePageView['dispute']>, ctx: PageContext): Html {
  const { locale } = ctx;
  const amount = formatAmount(dispute.amount, dispute.currency, locale);
  const state =
    dispute.state === 'awaiting_merchant'
      ? t(locale, 'dispute.state.awaiting_merchant', { date: formatDateTime(dispute.answerDueAt, locale, ctx.timeZone) })
      : dispute.state === 'awaiting_decision'
        ? t(locale, 'dispute.state.awaiting_decision', { operator: ctx.operator })
        : dispute.outcome === 'for_customer'
          ? t(locale, 'dispute.state.for_customer', { amount })
          : t(locale, 'dispute.state.for_merchant');
  return h`<section aria-labelledby="dispute-status-heading">
<h2 id="dispute-status-heading">${t(locale, 'dispute.status.title')}</h2>
<p>${t(locale, 'dispute.status.opened', { date: formatDateTime(dispute.openedAt, locale, ctx.timeZone), amount })}</p>
<p role="status">${state}</p>
</section>`;
}

function form(view: DisputePageView, locale: Locale): Html {
  const chosen = view.values?.reason;
  const invalid = view.error !== undefined;
  const reasons = DISPUTE_REASONS.map(
    (reason: DisputeReason) => h`<div class="choice">
<input type="radio" id="dispute-reason-${reason}" name="reason" value="${reason}" required${chosen === reason ? h` checked` : ''}>
<label for="dispute-reason-${reason}">${t(locale, `dispute.reason.${reason}`)}</label>
</div>`,
  );
  const described = invalid ? 'dispute-message-hint dispute-error' : 'dispute-message-hint';
  return h`<form method="post" action="${localPath(view.action)}" novalidate>
<input type="hidden" name="csrf" value="${view.csrfToken}">
${invalid ? h`<p class="field-error" id="dispute-error" role="alert">${t(locale, `dispute.error.${view.error as DisputeFormError}`)}</p>` : ''}
<fieldset>
<legend>${t(locale, 'dispute.reason')}</legend>
${reasons}
</fieldset>
<div class="field">
<label for="dispute-message">${t(locale, 'dispute.message')}</label>
<p class="hint" id="dispute-message-hint">${t(locale, 'dispute.message.hint', { max: DISPUTE_LIMITS.message })}</p>
<textarea id="dispute-message" name="message" rows="6" maxlength="${DISPUTE_LIMITS.message}" required aria-describedby="${described}"${invalid ? h` aria-invalid="true"` : ''}>${view.values?.message ?? ''}</textarea>
</div>
<div class="actions"><button type="submit" class="button button-primary">${t(locale, 'dispute.submit')}</button></div>
</form>`;
}

/**
 * The customer's dispute of one payment: the payment, then the dispute's status when it
 * has one, else the form (a reason among the protocol's, a message). Pure: a view and a
 * locale in, HTML out.
 * @example disputePage({ payment, back: '/account/payments/pay_42', action: '/account/payments/pay_42/dispute', csrfToken }, 'fr')
 */
export function disputePage(view: DisputePageView, locale: Locale): string {
  const ctx = context(view, locale);
  const title = text(locale, 'dispute.title');
  const { payment } = view;
  const main = h`<h1>${title}</h1>
<p>${t(locale, 'dispute.payment', {
    serial: bdi(payment.orderSerial),
    merchant: bdi(payment.merchantName),
    amount: formatAmount(payment.amount, payment.currency, locale),
  })}</p>
${view.dispute === undefined ? form(view, locale) : status(view.dispute, ctx)}
<p><a href="${localPath(view.back)}">${t(locale, 'dispute.back')}</a></p>`;
  return layout(view, locale, { title, main, ...(view.error ? { error: true } : {}) });
}
