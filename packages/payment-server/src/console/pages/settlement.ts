import { bdi, type Html, h } from '../../pages/html.js';
import { formatIsoDate, type Locale, t, text } from '../../pages/i18n.js';
import type { SettlementReport, SettlementStatus } from '../../settlement/model.js';
import type { DaySettlement } from '../queries.js';
import { type ConsoleView, consoleContext, consoleLayout, hidden, table, withLang } from './layout.js';
import { money } from './payments.js';

export interface SettlementView extends ConsoleView {
  /** `YYYY-MM-DD`. */
  date: string;
  settlements: readonly DaySettlement[];
}

function settlementPath(merchantId: string, date: string): string {
  return `/console/settlement/${encodeURIComponent(merchantId)}/${date}`;
}

/** The settlements of one day, per acquirer and merchant till, each linking to the till's report. */
export function settlementPage(view: SettlementView, locale: Locale): string {
  const ctx = consoleContext(view, locale);
  const title = text(locale, 'console.settlement.title');
  const rows = view.settlements.map(
    (settlement) => h`<tr>
<td>${settlement.acquirer === null ? t(locale, 'console.none') : bdi(settlement.acquirer)}</td>
<td><a href="${withLang(settlementPath(settlement.merchantId, view.date), ctx.lang)}">${bdi(settlement.merchantId)}</a></td>
<td>${settlement.currency}</td>
<td class="num">${money(settlement.amount, settlement.currency, locale)}</td>
<td>${t(locale, `console.settlement.status.${settlement.status}`)}</td>
</tr>`,
  );
  const main = h`<h1>${title}</h1>
<form method="get" action="/console/settlement" class="search">
${ctx.lang === undefined ? '' : hidden('lang', ctx.lang)}
<div class="field">
<label for="settlement-date">${t(locale, 'console.settlement.date')}</label>
<input type="date" id="settlement-date" name="date" value="${view.date}" required>
</div>
<button type="submit" class="button button-primary button-inline">${t(locale, 'console.settlement.show')}</button>
</form>
${
  rows.length === 0
    ? h`<p>${t(locale, 'console.settlement.none', { date: formatIsoDate(view.date, locale) })}</p>`
    : table(
        'settlement-caption',
        t(locale, 'console.settlement.caption', { date: formatIsoDate(view.date, locale) }),
        [
          t(locale, 'console.payment.acquirer'),
          t(locale, 'console.payment.col.merchant'),
          t(locale, 'console.customer.col.currency'),
          t(locale, 'console.payment.col.amount'),
          t(locale, 'console.col.status'),
        ],
        rows,
      )
}`;
  return consoleLayout({ ...view, section: 'settlement' }, locale, { title, main });
}

export interface SettlementReportView extends ConsoleView {
  report: SettlementReport;
}

/** One merchant till's day, per currency: opening balance, each kind of movement, the payout, the closing balance. */
export function settlementReportPage(view: SettlementReportView, locale: Locale): string {
  const ctx = consoleContext(view, locale);
  const { report } = view;
  const title = text(locale, 'console.settlement.reportTitle', { merchant: report.merchantId, date: formatIsoDate(report.date, locale) });
  const sections = report.currencies.map((day) => {
    const amount = (value: number) => money(BigInt(value), day.currency, locale);
    const row = (label: Html, count: number | undefined, value: number) =>
      h`<tr><th scope="row">${label}</th><td class="num">${count === undefined ? '' : count}</td><td class="num">${amount(value)}</td></tr>`;
    const payoutStatus: SettlementStatus | 'unsettled' = day.payout.status;
    return table(
      `report-${day.currency}`,
      t(locale, 'console.settlement.currencyCaption', { currency: day.currency }),
      [t(locale, 'console.settlement.col.line'), t(locale, 'console.settlement.col.count'), t(locale, 'console.payment.col.amount')],
      [
        row(t(locale, 'console.settlement.opening'), undefined, day.openingBalance),
        row(t(locale, 'console.settlement.payments'), day.payments.count, day.payments.amount),
        row(t(locale, 'console.settlement.releases'), day.escrowReleases.count, day.escrowReleases.amount),
        row(t(locale, 'console.settlement.allowances'), day.allowances.count, day.allowances.amount),
        row(t(locale, 'console.settlement.refunds'), day.refunds.count, -day.refunds.amount),
        row(t(locale, 'console.settlement.other'), day.other.count, day.other.amount),
        row(
          h`${t(locale, 'console.settlement.payout')} (${t(locale, `console.settlement.status.${payoutStatus}`)})`,
          undefined,
          -day.payout.amount,
        ),
        row(t(locale, 'console.settlement.closing'), undefined, day.closingBalance),
      ],
    );
  });
  const main = h`<h1>${title}</h1>
${sections.length === 0 ? h`<p>${t(locale, 'console.settlement.noTill')}</p>` : sections}
<p><a href="${withLang(`/console/settlement?date=${report.date}`, ctx.lang)}">${t(locale, 'console.back')}</a></p>`;
  return consoleLayout({ ...view, section: 'settlement' }, locale, { title, main });
}
