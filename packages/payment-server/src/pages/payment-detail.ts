import { type HistoryStatus, statusText } from './history.js';
import { bdi, type Html, h, localPath } from './html.js';
import { formatAmount, formatDateTime, type Locale, t, text } from './i18n.js';
import { context, layout, type PageBase, type PageContext } from './layout.js';

/** How a payment was paid; null for a sign-in, where nothing was. */
export type PaymentMeans = 'wallet' | 'bank' | 'allowance' | null;

/** One refund of the payment. Amounts in minor units. */
export interface PaymentDetailRefund {
  amount: number;
  status: 'pending' | 'succeeded' | 'declined';
  /** When it succeeded or was declined; when it was asked, while pending. */
  at: Date;
}

/** One of the merchant's items, when the ticket is still stored. */
export interface PaymentDetailItem {
  label: string;
  quantity: number;
  unitAmount: number;
}

/**
 * One payment of the signed-in customer: what it was, what became of it, and its voucher
 * (the payment server's signed proof) with how to check it.
 */
export interface PaymentDetailView extends PageBase {
  payment: {
    /** `pay_1042`. */
    id: string;
    at: Date;
    merchantName: string;
    /** The merchant's order serial. */
    orderSerial: string;
    /** Minor units. */
    amount: number;
    /** Of `amount`, what loyalty points paid; 0: none. */
    points: number;
    currency: string;
    means: PaymentMeans;
    status: HistoryStatus;
    items: readonly PaymentDetailItem[];
    refunds: readonly PaymentDetailRefund[];
  };
  links: {
    /** The account page (the history). */
    back: string;
    /** GET: the voucher as a file. */
    voucher: string;
    /** The dispute form of this payment. */
    dispute: string;
  };
  /** What `caisse voucher verify` needs, besides the file: the payment server's issuer and JWKS URL, and the merchant's id (the audience). */
  verify: { issuer: string; jwksUrl: string; audience: string; testMode: boolean };
}

/** Refunds that gave money back: the "refunded" part of the status. */
function refunded(view: PaymentDetailView): number {
  return view.payment.refunds.filter((refund) => refund.status === 'succeeded').reduce((sum, refund) => sum + refund.amount, 0);
}

function summary(view: PaymentDetailView, ctx: PageContext): Html {
  const { locale } = ctx;
  const { payment } = view;
  const means = payment.means === null ? 'none' : payment.means;
  const row = (label: Html, value: Html | string) => h`<dt>${label}</dt>
<dd>${value}</dd>`;
  return h`<dl class="totals">
${row(t(locale, 'history.col.date'), h`<time datetime="${payment.at.toISOString()}">${formatDateTime(payment.at, locale, ctx.timeZone)}</time>`)}
${row(t(locale, 'payment.merchant'), bdi(payment.merchantName))}
${row(t(locale, 'payment.order'), bdi(payment.orderSerial))}
${row(t(locale, 'payment.amount'), formatAmount(payment.amount, payment.currency, locale))}
${payment.points > 0 ? row(t(locale, 'payment.points'), formatAmount(payment.points, payment.currency, locale)) : ''}
${row(t(locale, 'payment.means'), t(locale, `payment.means.${means}`))}
${row(t(locale, 'payment.status'), statusText({ ...payment, refunded: refunded(view) }, locale))}
</dl>`;
}

function itemsTable(view: PaymentDetailView, locale: Locale): Html {
  const { items, currency } = view.payment;
  if (items.length === 0) return h``;
  // No <section> around it: the scrolling region is the landmark, labelled by the heading (one landmark, not two of one name).
  return h`<h2 id="items-heading">${t(locale, 'payment.items')}</h2>
<div class="table-scroll" role="region" aria-labelledby="items-heading" tabindex="0">
<table>
<thead>
<tr>
<th scope="col">${t(locale, 'payment.col.item')}</th>
<th scope="col" class="num">${t(locale, 'payment.col.quantity')}</th>
<th scope="col" class="num">${t(locale, 'payment.col.unitAmount')}</th>
</tr>
</thead>
<tbody>
${items.map(
  (item) => h`<tr>
<td>${bdi(item.label)}</td>
<td class="num">${item.quantity}</td>
<td class="num">${formatAmount(item.unitAmount, currency, locale)}</td>
</tr>`,
)}
</tbody>
</table>
</div>`;
}

function refundsSection(view: PaymentDetailView, ctx: PageContext): Html {
  const { locale } = ctx;
  const { refunds, currency } = view.payment;
  return h`<h2 id="refunds-heading">${t(locale, 'payment.refunds')}</h2>
${
  refunds.length === 0
    ? h`<p>${t(locale, 'payment.refunds.none')}</p>`
    : h`<div class="table-scroll" role="region" aria-labelledby="refunds-heading" tabindex="0">
<table>
<thead>
<tr>
<th scope="col">${t(locale, 'history.col.date')}</th>
<th scope="col" class="num">${t(locale, 'payment.col.amount')}</th>
<th scope="col">${t(locale, 'payment.col.status')}</th>
</tr>
</thead>
<tbody>
${refunds.map(
  (refund) => h`<tr>
<td><time datetime="${refund.at.toISOString()}">${formatDateTime(refund.at, locale, ctx.timeZone)}</time></td>
<td class="num">${formatAmount(refund.amount, currency, locale)}</td>
<td>${t(locale, `payment.refund.${refund.status}`)}</td>
</tr>`,
)}
</tbody>
</table>
</div>`
}`;
}

/** The command is not translated: it is typed as it is. Every value in it is the server's, never the merchant's free text. */
function verifyCommand(view: PaymentDetailView): string {
  const { verify, payment } = view;
  const at = new Date(Math.floor(payment.at.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return [
    `curl -o jwks.json ${verify.jwksUrl}`,
    `caisse voucher verify - --jwks jwks.json --issuer ${verify.issuer} --audience ${verify.audience} --at ${at}${verify.testMode ? ' --test' : ''} < ${payment.id}.jwt`,
  ].join('\n');
}

function voucherSection(view: PaymentDetailView, locale: Locale): Html {
  return h`<section aria-labelledby="voucher-heading">
<h2 id="voucher-heading">${t(locale, 'payment.voucher.title')}</h2>
<p>${t(locale, 'payment.voucher.intro')}</p>
<div class="actions">
<a class="button button-secondary" href="${localPath(view.links.voucher)}" download="${view.payment.id}.jwt">${t(locale, 'payment.voucher.download')}</a>
</div>
<p id="verify-intro">${t(locale, 'payment.voucher.how', { jwks: h`<code>${view.verify.jwksUrl}</code>` })}</p>
<div class="table-scroll" role="region" aria-labelledby="verify-intro" tabindex="0">
<pre><code>${verifyCommand(view)}</code></pre>
</div>
<p class="hint">${t(locale, 'payment.voucher.at')}</p>
</section>`;
}

/**
 * One payment of the signed-in customer: date, merchant, order, amount, means, status,
 * items and refunds; the voucher to download with the command that verifies it; a link
 * to dispute the payment. Works without script.
 */
export function paymentDetailPage(view: PaymentDetailView, locale: Locale): string {
  const ctx = context(view, locale);
  const title = text(locale, 'payment.title', { id: view.payment.id });
  const main = h`<h1>${title}</h1>
<p><a href="${localPath(view.links.back)}">${t(locale, 'payment.back')}</a></p>
${summary(view, ctx)}
${itemsTable(view, locale)}
${refundsSection(view, ctx)}
${voucherSection(view, locale)}
<section aria-labelledby="dispute-heading">
<h2 id="dispute-heading">${t(locale, 'payment.dispute.title')}</h2>
<p>${t(locale, 'payment.dispute.intro')}</p>
<p><a href="${localPath(view.links.dispute)}">${t(locale, 'payment.dispute.link')}</a></p>
</section>`;
  return layout(view, locale, { title, main });
}
