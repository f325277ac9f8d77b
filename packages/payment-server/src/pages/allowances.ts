import { bdi, type Html, h, localPath } from './html.js';
import { formatAmount, formatDateTime, t } from './i18n.js';
import type { PageContext } from './layout.js';

/** One live session allowance, as the account page lists it. Amounts in minor units. */
export interface AllowanceEntry {
  id: string;
  merchantName: string;
  currency: string;
  maximum: number;
  /** Charged in the current period. */
  used: number;
  remaining: number;
  chargeCap: number | null;
  period: 'day' | 'week' | 'month' | null;
  expiresAt: Date;
}

/** The "Session allowances" section of the account page. */
export interface AllowancesView {
  allowances: readonly AllowanceEntry[];
  /** POST: `csrf`, `allowance`. Ends it at once and answers with the page again. */
  revoke: string;
}

function terms(allowance: AllowanceEntry, ctx: PageContext): Html {
  const { locale } = ctx;
  const renews = allowance.period === null ? '' : h` ${t(locale, `allowances.renews.${allowance.period}`)}`;
  const cap =
    allowance.chargeCap === null
      ? ''
      : h` ${t(locale, 'allowances.cap', { cap: formatAmount(allowance.chargeCap, allowance.currency, locale) })}`;
  return h`${t(locale, 'allowances.until', { time: formatDateTime(allowance.expiresAt, locale, ctx.timeZone) })}${renews}${cap}`;
}

/**
 * The customer's live session allowances: to whom, used and left of the maximum in the
 * current period, until when, and a button that revokes one at once (what was charged is
 * settled, the rest goes back to the wallet).
 */
export function allowancesSection(view: AllowancesView, csrfToken: string, ctx: PageContext): Html {
  const { locale } = ctx;
  const rows = view.allowances.map((allowance) => {
    const amount = (value: number) => formatAmount(value, allowance.currency, locale);
    return h`<tr>
<td>${bdi(allowance.merchantName)}</td>
<td class="num">${amount(allowance.used)} / ${amount(allowance.maximum)}</td>
<td class="num">${amount(allowance.remaining)}</td>
<td>${terms(allowance, ctx)}</td>
<td><form method="post" action="${localPath(view.revoke)}" class="inline-form">
<input type="hidden" name="csrf" value="${csrfToken}">
<input type="hidden" name="allowance" value="${allowance.id}">
<button type="submit" class="button button-secondary">${t(locale, 'allowances.revoke')}</button>
</form></td>
</tr>`;
  });
  return h`<section aria-labelledby="allowances-heading">
<h2 id="allowances-heading">${t(locale, 'allowances.title')}</h2>
<p>${t(locale, 'allowances.intro')}</p>
${
  view.allowances.length === 0
    ? h`<p>${t(locale, 'allowances.none')}</p>`
    : h`<div class="table-scroll" role="region" aria-labelledby="allowances-heading" tabindex="0">
<table>
<thead>
<tr>
<th scope="col">${t(locale, 'allowances.col.merchant')}</th>
<th scope="col" class="num">${t(locale, 'allowances.col.used')}</th>
<th scope="col" class="num">${t(locale, 'allowances.col.left')}</th>
<th scope="col">${t(locale, 'allowances.col.terms')}</th>
<th scope="col"><span class="visually-hidden">${t(locale, 'allowances.col.actions')}</span></th>
</tr>
</thead>
<tbody>
${rows}
</tbody>
</table>
</div>`
}
</section>`;
}
