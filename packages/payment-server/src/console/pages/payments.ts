import type { NotificationStatus } from '../../notifications/model.js';
import { bdi, type Html, h } from '../../pages/html.js';
import { formatAmount, type Locale, t, text } from '../../pages/i18n.js';
import type { ConsolePayment, Posting } from '../queries.js';
import {
  type ConsoleContext,
  type ConsoleView,
  consoleContext,
  consoleLayout,
  doneNotice,
  errorSummary,
  hidden,
  postForm,
  searchForm,
  table,
  when,
  withLang,
} from './layout.js';

/** An amount in minor units, for people; a ledger line's debit is written with a minus sign (U+2212). */
export function money(amount: bigint, currency: string, locale: Locale): string {
  const written = formatAmount(Number(amount < 0n ? -amount : amount), currency, locale);
  return amount < 0n ? `\u2212${written}` : written;
}

export function paymentPath(payment: Pick<ConsolePayment, 'id'>): string {
  return `/console/payments/${payment.id}`;
}

/** Payments as a table: each links to its page. Shared by the search and the escrow page. */
export function paymentsTable(
  ctx: ConsoleContext,
  id: string,
  caption: Html,
  payments: readonly ConsolePayment[],
  action?: (payment: ConsolePayment) => Html,
): Html {
  const { locale } = ctx;
  const rows = payments.map(
    (payment) => h`<tr>
<td><a href="${withLang(paymentPath(payment), ctx.lang)}">${payment.id}</a></td>
<td>${when(payment.createdAt, ctx)}</td>
<td>${bdi(payment.merchantName)}</td>
<td>${bdi(payment.orderSerial)}</td>
<td class="num">${money(payment.amount, payment.currency, locale)}</td>
<td>${t(locale, `console.payment.status.${payment.status}`)}</td>
${action === undefined ? '' : h`<td>${action(payment)}</td>`}
</tr>`,
  );
  return table(
    id,
    caption,
    [
      t(locale, 'console.payment.col.id'),
      t(locale, 'console.col.at'),
      t(locale, 'console.payment.col.merchant'),
      t(locale, 'console.payment.col.order'),
      t(locale, 'console.payment.col.amount'),
      t(locale, 'console.col.status'),
      ...(action === undefined ? [] : [h`<span class="visually-hidden">${t(locale, 'console.col.actions')}</span>`]),
    ],
    rows,
  );
}

export interface PaymentsView extends ConsoleView {
  /** What was searched: a payment id, a ticket id or an order reference; '' before any search. */
  query: string;
  payments: readonly ConsolePayment[];
}

/** Finds payments by any of their ids. */
export function paymentsPage(view: PaymentsView, locale: Locale): string {
  const ctx = consoleContext(view, locale);
  const title = text(locale, 'console.payments.title');
  const main = h`<h1>${title}</h1>
<p>${t(locale, 'console.payments.intro')}</p>
${searchForm(ctx, '/console/payments', 'payment-query', t(locale, 'console.payments.search'), view.query)}
${
  view.query === ''
    ? ''
    : view.payments.length === 0
      ? h`<p role="status">${t(locale, 'console.payments.none', { query: bdi(view.query) })}</p>`
      : paymentsTable(ctx, 'payments-caption', t(locale, 'console.payments.caption', { query: bdi(view.query) }), view.payments)
}`;
  return consoleLayout({ ...view, section: 'payments' }, locale, { title, main });
}

export interface PaymentDetailView extends ConsoleView {
  payment: ConsolePayment;
  postings: readonly Posting[];
  refunds: readonly { id: string; amount: number; status: 'pending' | 'succeeded' | 'declined'; reason: string | null; createdAt: Date }[];
  notifications: readonly { id: string; event: string; status: NotificationStatus; attempts: number; createdAt: Date }[];
  /** The finance role may refund, and something is left to refund. */
  canRefund: boolean;
  /** The refund form: a fresh request key on each showing, what was typed after a refusal. */
  refund: { requestKey: string; amount?: string; reason?: string; error?: string };
  done?: 'refunded';
}

/** One payment: what it was, its ledger postings, refunds and notifications, its evidence, and a refund for finance. */
export function paymentPage(view: PaymentDetailView, locale: Locale): string {
  const ctx = consoleContext(view, locale);
  const { payment } = view;
  const title = text(locale, 'console.payment.title', { id: payment.id });
  const fact = (label: Html, value: Html | string) => h`<dt>${label}</dt><dd>${value}</dd>`;
  const postingRows = view.postings.flatMap((posting) =>
    posting.lines.map(
      (line, index) => h`<tr>
<td>${index === 0 ? h`${posting.serial.toString()}` : ''}</td>
<td>${index === 0 ? when(posting.at, ctx) : ''}</td>
<td>${index === 0 ? bdi(posting.key) : ''}</td>
<td>${t(locale, `console.account.${line.accountType}`)} ${bdi(line.owner)}</td>
<td class="num">${money(line.amount, line.currency, locale)}</td>
</tr>`,
    ),
  );
  const refundRows = view.refunds.map(
    (refund) => h`<tr>
<td>${bdi(refund.id)}</td>
<td>${when(refund.createdAt, ctx)}</td>
<td class="num">${money(BigInt(refund.amount), payment.currency, locale)}</td>
<td>${t(locale, `console.refund.status.${refund.status}`)}</td>
<td>${refund.reason === null ? '' : bdi(refund.reason)}</td>
</tr>`,
  );
  const notificationRows = view.notifications.map(
    (notification) => h`<tr>
<td>${bdi(notification.id)}</td>
<td>${bdi(notification.event)}</td>
<td>${when(notification.createdAt, ctx)}</td>
<td>${t(locale, `console.notification.status.${notification.status}`)}</td>
<td class="num">${notification.attempts}</td>
</tr>`,
  );
  const refundError = view.refund.error;
  const refundForm = postForm(
    ctx,
    `${paymentPath(payment)}/refunds`,
    h`${hidden('request', view.refund.requestKey)}
<div class="field">
<label for="refund-amount">${t(locale, 'console.refund.amount', { currency: payment.currency })}</label>
<p class="hint" id="refund-amount-hint">${t(locale, 'console.refund.amountHint', { left: money(payment.amount - payment.refunded, payment.currency, locale) })}</p>
${refundError === undefined ? '' : h`<p class="field-error" id="refund-error">${refundError}</p>`}
<input type="text" id="refund-amount" name="amount" inputmode="decimal" required maxlength="20" value="${view.refund.amount ?? ''}" aria-describedby="refund-amount-hint${refundError === undefined ? '' : ' refund-error'}"${refundError === undefined ? '' : h` aria-invalid="true"`}>
</div>
<div class="field">
<label for="refund-reason">${t(locale, 'console.refund.reason')}</label>
<input type="text" id="refund-reason" name="reason" maxlength="200" value="${view.refund.reason ?? ''}">
</div>
<div class="choice">
<input type="checkbox" id="refund-confirm" name="confirm" value="yes" required>
<label for="refund-confirm">${t(locale, 'console.refund.confirm', { merchant: bdi(payment.merchantName) })}</label>
</div>`,
    t(locale, 'console.refund.submit'),
  );
  const main = h`<h1>${title}</h1>
${doneNotice(view.done === undefined ? undefined : t(locale, `console.payment.done.${view.done}`))}
${errorSummary(locale, refundError === undefined ? [] : [h`${refundError}`])}
<dl class="facts">
${fact(t(locale, 'console.col.at'), when(payment.createdAt, ctx))}
${fact(t(locale, 'console.payment.col.merchant'), h`<a href="${withLang(`/console/merchants/${encodeURIComponent(payment.merchantId)}`, ctx.lang)}">${bdi(payment.merchantName)}</a>`)}
${fact(t(locale, 'console.payment.col.order'), bdi(payment.orderSerial))}
${fact(t(locale, 'console.payment.ticket'), bdi(payment.ticketJti))}
${fact(t(locale, 'console.payment.customer'), h`<a href="${withLang(`/console/customers/${encodeURIComponent(payment.customerId)}`, ctx.lang)}">${bdi(payment.customerId)}</a>`)}
${fact(t(locale, 'console.payment.col.amount'), money(payment.amount, payment.currency, locale))}
${payment.points > 0n ? fact(t(locale, 'console.payment.points'), money(payment.points, payment.currency, locale)) : ''}
${fact(t(locale, 'console.payment.refunded'), money(payment.refunded, payment.currency, locale))}
${fact(t(locale, 'console.payment.means'), t(locale, `console.payment.means.${payment.funding ?? 'none'}`))}
${payment.acquirer === null ? '' : fact(t(locale, 'console.payment.acquirer'), bdi(payment.acquirer))}
${fact(t(locale, 'console.col.status'), t(locale, `console.payment.status.${payment.status}`))}
</dl>
<p><a href="${`${paymentPath(payment)}/evidence`}">${t(locale, 'console.payment.evidence')}</a></p>
<h2>${t(locale, 'console.payment.postings')}</h2>
${
  postingRows.length === 0
    ? h`<p>${t(locale, 'console.payment.noPostings')}</p>`
    : table(
        'postings-caption',
        t(locale, 'console.payment.postingsCaption'),
        [
          t(locale, 'console.payment.col.serial'),
          t(locale, 'console.col.at'),
          t(locale, 'console.payment.col.key'),
          t(locale, 'console.payment.col.account'),
          t(locale, 'console.payment.col.amount'),
        ],
        postingRows,
      )
}
<h2>${t(locale, 'console.payment.refunds')}</h2>
${
  refundRows.length === 0
    ? h`<p>${t(locale, 'console.payment.noRefunds')}</p>`
    : table(
        'refunds-caption',
        t(locale, 'console.payment.refundsCaption'),
        [
          t(locale, 'console.col.id'),
          t(locale, 'console.col.at'),
          t(locale, 'console.payment.col.amount'),
          t(locale, 'console.col.status'),
          t(locale, 'console.refund.reason'),
        ],
        refundRows,
      )
}
${view.canRefund ? h`<section aria-labelledby="refund-heading"><h2 id="refund-heading">${t(locale, 'console.refund.title')}</h2>${refundForm}</section>` : ''}
<h2>${t(locale, 'console.payment.notifications')}</h2>
${
  notificationRows.length === 0
    ? h`<p>${t(locale, 'console.payment.noNotifications')}</p>`
    : table(
        'notifications-caption',
        t(locale, 'console.payment.notificationsCaption'),
        [
          t(locale, 'console.col.id'),
          t(locale, 'console.notification.col.event'),
          t(locale, 'console.col.at'),
          t(locale, 'console.col.status'),
          t(locale, 'console.notification.col.attempts'),
        ],
        notificationRows,
      )
}`;
  return consoleLayout({ ...view, section: 'payments' }, locale, { title, error: refundError !== undefined, main });
}
