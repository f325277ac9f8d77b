import { type Html, h } from './html.js';
import { currencyName, formatAmount, t } from './i18n.js';
import type { PageContext } from './layout.js';

/** What the customer paid in one calendar period (minor units), against the ceiling. */
export interface SpentView {
  /** Every payment of the period, less refunds: what the ceiling counts. */
  spent: number;
  /** Of `spent`, what the wallet paid and what went through the bank. */
  wallet: number;
  bank: number;
  /** The ceiling in force: the customer's own or the operator's, whichever is lower. */
  ceiling: number;
  /** What may still be paid in the period. */
  remaining: number;
}

/** The customer's money in one currency. */
export interface CurrencyMoneyView {
  currency: string;
  /** Absent when the customer has no wallet in this currency. */
  wallet?: {
    balance: number;
    /** The balance less what pending payments hold. Shown only when it differs. */
    available: number;
    cap: number | null;
  };
  /** Loyalty points, valued in minor units of the currency. */
  points: number;
  day: SpentView;
  month: SpentView;
}

/** The "Your money" section of the account page. */
export interface MoneyView {
  currencies: readonly CurrencyMoneyView[];
}

function spentTable(money: CurrencyMoneyView, ctx: PageContext): Html {
  const { locale } = ctx;
  const id = `spent-caption-${money.currency.toLowerCase()}`;
  const amount = (value: number) => formatAmount(value, money.currency, locale);
  const row = (label: Html, spent: SpentView) => h`<tr>
<th scope="row">${label}</th>
<td class="num">${amount(spent.spent)}</td>
<td class="num">${amount(spent.wallet)}</td>
<td class="num">${amount(spent.bank)}</td>
<td class="num">${amount(spent.ceiling)}</td>
<td class="num">${amount(spent.remaining)}</td>
</tr>`;
  return h`<div class="table-scroll" role="region" aria-labelledby="${id}" tabindex="0">
<table>
<caption id="${id}">${t(locale, 'money.caption', { currency: currencyName(money.currency, locale) })}</caption>
<thead>
<tr>
<th scope="col">${t(locale, 'money.col.period')}</th>
<th scope="col" class="num">${t(locale, 'money.col.spent')}</th>
<th scope="col" class="num">${t(locale, 'money.col.wallet')}</th>
<th scope="col" class="num">${t(locale, 'money.col.bank')}</th>
<th scope="col" class="num">${t(locale, 'money.col.ceiling')}</th>
<th scope="col" class="num">${t(locale, 'money.col.left')}</th>
</tr>
</thead>
<tbody>
${row(t(locale, 'money.today'), money.day)}
${row(t(locale, 'money.thisMonth'), money.month)}
</tbody>
</table>
</div>`;
}

function currencyMoney(money: CurrencyMoneyView, ctx: PageContext): Html {
  const { locale } = ctx;
  const amount = (value: number) => formatAmount(value, money.currency, locale);
  const { wallet } = money;
  const entry = (label: Html, value: number) => h`<dt>${label}</dt>
<dd class="num">${amount(value)}</dd>`;
  return h`<h3>${currencyName(money.currency, locale)}</h3>
<dl class="totals">
${wallet === undefined ? '' : entry(t(locale, 'money.wallet'), wallet.balance)}
${wallet === undefined || wallet.available === wallet.balance ? '' : entry(t(locale, 'money.available'), wallet.available)}
${wallet === undefined || wallet.cap === null ? '' : entry(t(locale, 'money.cap'), wallet.cap)}
${entry(t(locale, 'money.points'), money.points)}
</dl>
${spentTable(money, ctx)}`;
}

/**
 * The customer's money, per currency: the wallet (balance, cap), the loyalty points, and
 * what was spent today and this month against the ceilings, from the wallet and through
 * the bank.
 */
export function moneySection(view: MoneyView, ctx: PageContext): Html {
  const { locale } = ctx;
  return h`<section aria-labelledby="money-heading">
<h2 id="money-heading">${t(locale, 'money.title')}</h2>
${
  view.currencies.length === 0
    ? h`<p>${t(locale, 'money.none')}</p>`
    : h`${view.currencies.map((money) => currencyMoney(money, ctx))}
<p class="hint">${t(locale, 'money.note')}</p>`
}
</section>`;
}
