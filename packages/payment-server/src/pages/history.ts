import { type AllowancesView, allowancesSection } from './allowances.js';
import { type DevicesView, devicesSection } from './devices.js';
import { bdi, cleanText, type Html, h, localPath } from './html.js';
import { currencyName, formatAmount, formatDateTime, formatIsoDate, type Locale, t, text } from './i18n.js';
import { buttonForm, type IdentifyError, identifyForm } from './identify.js';
import { context, layout, type PageBase, type PageContext } from './layout.js';
import { type MoneyView, moneySection } from './money.js';
import { type PlanFormView, planSection } from './plan.js';
import { type TopUpView, topUpSection } from './top-up.js';

/** What became of a payment, as the customer's history shows it; refunds are `HistoryEntry.refunded`. */
export type HistoryStatus = 'authorised' | 'authenticated' | 'held' | 'released' | 'voided';

/** One payment of the customer. */
export interface HistoryEntry {
  at: Date;
  /** The merchant's registered display name. */
  merchantName: string;
  /** The merchant's order serial. */
  serial: string;
  /** Minor units. */
  amount: number;
  /** What the merchant gave back of it (refunds that succeeded), minor units: 0 for none. */
  refunded: number;
  currency: string;
  status: HistoryStatus;
  /** The payment's detail page (`/account/payments/pay_1042`): the order serial links to it when given. */
  detail?: string;
}

/** A total in one currency. */
export interface HistoryTotal {
  amount: number;
  currency: string;
}

/**
 * The customer's account page. Without `customer` it is the identification form; with
 * it, the payments of the period, a period filter and totals per currency.
 */
export interface HistoryView extends PageBase {
  csrfToken: string;
  actions: {
    /** POST: `csrf`, `account`, `accessKey`. */
    identify: string;
    /** GET: `from`, `to` (`YYYY-MM-DD`, both included). No CSRF token: it changes nothing. */
    period: string;
    /** POST: `csrf`. A sign-out button is shown when given. */
    signOut?: string;
  };
  /** The identified customer; absent until the identification form has been passed. */
  customer?: { account: string };
  /** The period asked for, as typed (`YYYY-MM-DD`), shown again in the filter form. */
  period: { from: string; to: string };
  /** The payments of the period, newest first (shown in the order given). */
  payments?: readonly HistoryEntry[];
  /**
   * Totals per currency. Default: computed from `payments` (see `totalsByCurrency`). Give
   * them when `payments` is only part of the period.
   */
  totals?: readonly HistoryTotal[];
  /** The period could not be used (not dates, or from after to). */
  periodError?: 'period_invalid';
  /** Account id to show in the identification form. */
  account?: string;
  /** Set when the identification form comes back with a problem. */
  identifyError?: IdentifyError;
  /** The customer's phones, shown below the payments when given. */
  devices?: DevicesView;
  /** The wallet top-up form, for a signed-in customer with a wallet. */
  topUp?: TopUpView;
  /** The customer's money (balance, points, spending against the ceilings), shown before the payments. */
  money?: MoneyView;
  /** The payment plan form, one per currency, shown after the top-up form. */
  plans?: readonly PlanFormView[];
  /** The customer's live session allowances, each with a revoke button, shown before the phones. */
  allowances?: AllowancesView;
}

const COUNTED: ReadonlySet<HistoryStatus> = new Set(['authorised', 'held', 'released']);

/**
 * Sum of the paid and held payments listed, per currency, in currency-code order, each net
 * of what was refunded of it (`amount − refunded`), whenever the refund was made: the total
 * answers "what did the payments of this period cost me", so a payment refunded in full
 * adds nothing, even when the refund came after the period.
 */
export function totalsByCurrency(payments: readonly HistoryEntry[]): HistoryTotal[] {
  const sums = new Map<string, number>();
  for (const payment of payments) {
    const net = payment.amount - payment.refunded;
    if (COUNTED.has(payment.status)) sums.set(payment.currency, (sums.get(payment.currency) ?? 0) + net);
  }
  return [...sums.keys()].sort().map((currency) => ({ currency, amount: sums.get(currency) as number }));
}

function periodForm(view: HistoryView, locale: Locale): Html {
  const invalid = view.periodError !== undefined;
  const describedBy = invalid ? 'period-hint period-error' : 'period-hint';
  const input = (name: 'from' | 'to', value: string) =>
    h`<div class="field">
<label for="${name}">${t(locale, name === 'from' ? 'history.from' : 'history.to')}</label>
<input type="date" id="${name}" name="${name}" value="${cleanText(value)}" required aria-describedby="${describedBy}"${invalid ? h` aria-invalid="true"` : ''}>
</div>`;
  return h`<form method="get" action="${localPath(view.actions.period)}" novalidate>
<fieldset>
<legend>${t(locale, 'history.period')}</legend>
<p class="hint" id="period-hint">${t(locale, 'history.dateHint')}</p>
${invalid ? h`<p class="field-error" id="period-error" role="alert">${t(locale, 'history.error.period_invalid')}</p>` : ''}
${input('from', view.period.from)}
${input('to', view.period.to)}
</fieldset>
<div class="actions">
<button type="submit" class="button button-secondary">${t(locale, 'history.show')}</button>
</div>
</form>`;
}

/** The status column: a refund, in full or in part, says more than how the payment was made. */
export function statusText(payment: Pick<HistoryEntry, 'amount' | 'refunded' | 'currency' | 'status'>, locale: Locale): Html {
  if (payment.refunded <= 0) return t(locale, `history.status.${payment.status}`);
  if (payment.refunded >= payment.amount) return t(locale, 'history.status.refunded');
  return t(locale, 'history.status.partlyRefunded', {
    refunded: formatAmount(payment.refunded, payment.currency, locale),
    amount: formatAmount(payment.amount, payment.currency, locale),
  });
}

function paymentsTable(payments: readonly HistoryEntry[], ctx: PageContext, caption: Html): Html {
  const { locale } = ctx;
  const rows = payments.map(
    (payment) => h`<tr>
<td><time datetime="${payment.at.toISOString()}">${formatDateTime(payment.at, locale, ctx.timeZone)}</time></td>
<td>${bdi(payment.merchantName)}</td>
<td>${payment.detail === undefined ? bdi(payment.serial) : h`<a href="${localPath(payment.detail)}">${bdi(payment.serial)}</a>`}</td>
<td class="num">${formatAmount(payment.amount, payment.currency, locale)}</td>
<td>${statusText(payment, locale)}</td>
</tr>`,
  );
  return h`<div class="table-scroll" role="region" aria-labelledby="history-caption" tabindex="0">
<table>
<caption id="history-caption">${caption}</caption>
<thead>
<tr>
<th scope="col">${t(locale, 'history.col.date')}</th>
<th scope="col">${t(locale, 'history.col.merchant')}</th>
<th scope="col">${t(locale, 'history.col.serial')}</th>
<th scope="col" class="num">${t(locale, 'history.col.amount')}</th>
<th scope="col">${t(locale, 'history.col.status')}</th>
</tr>
</thead>
<tbody>
${rows}
</tbody>
</table>
</div>`;
}

function totalsSection(totals: readonly HistoryTotal[], locale: Locale): Html {
  return h`<section aria-labelledby="totals-heading">
<h2 id="totals-heading">${t(locale, 'history.totals')}</h2>
<dl class="totals">
${totals.map(
  (total) => h`<dt>${currencyName(total.currency, locale)}</dt>
<dd class="num">${formatAmount(total.amount, total.currency, locale)}</dd>`,
)}
</dl>
<p class="hint">${t(locale, 'history.totalsNote')}</p>
</section>`;
}

/**
 * The customer's payment history for a period (date, merchant, serial, amount, status),
 * with the period filter, totals per currency and an empty state; or, before the
 * customer is identified, the account id + access key form.
 */
export function historyPage(view: HistoryView, locale: Locale): string {
  const ctx = context(view, locale);
  const title = text(locale, 'history.title');

  if (view.customer === undefined) {
    const main = h`<h1>${title}</h1>
<p>${t(locale, 'history.signInIntro')}</p>
${identifyForm({
  locale,
  action: view.actions.identify,
  csrfToken: view.csrfToken,
  account: view.account,
  error: view.identifyError,
  submitLabel: t(locale, 'history.signInButton'),
  accountHint: t(locale, 'identify.accountHint', { operator: ctx.operator }),
  accessKeyHint: t(locale, 'identify.accessKeyHintAccount', { operator: ctx.operator }),
})}`;
    return layout(view, locale, { title, error: view.identifyError !== undefined, main });
  }

  const payments = view.payments ?? [];
  const from = formatIsoDate(view.period.from, locale);
  const to = formatIsoDate(view.period.to, locale);
  let results: Html;
  if (view.periodError !== undefined) {
    results = h``;
  } else if (payments.length === 0) {
    results = h`<p>${t(locale, 'history.empty', { from, to })}</p>`;
  } else {
    const totals = view.totals ?? totalsByCurrency(payments);
    results = h`${paymentsTable(payments, ctx, t(locale, 'history.caption', { from, to }))}
${totals.length === 0 ? '' : totalsSection(totals, locale)}`;
  }

  const main = h`<h1>${title}</h1>
<p class="muted">${t(locale, 'history.account', { account: bdi(view.customer.account) })}</p>
${view.actions.signOut === undefined ? '' : buttonForm(view.actions.signOut, view.csrfToken, t(locale, 'history.signOut'))}
${view.money === undefined ? '' : moneySection(view.money, ctx)}
${periodForm(view, locale)}
${results}
${view.topUp === undefined ? '' : topUpSection(view.topUp, view.csrfToken, ctx)}
${(view.plans ?? []).map((plan) => planSection(plan, view.csrfToken, ctx))}
${view.allowances === undefined ? '' : allowancesSection(view.allowances, view.csrfToken, ctx)}
${view.devices === undefined ? '' : devicesSection(view.devices, view.csrfToken, ctx)}`;
  return layout(view, locale, { title, error: view.periodError !== undefined, main });
}
