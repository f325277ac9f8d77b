import { refusalWords } from '@caisse/example-store-support';
import type { RefusalReason } from '@caisse/protocol';
import type { Article } from './articles.js';
import { esc, layout, money, type ReaderBar } from './html.js';
import { HOUR, type HourEnd } from './payments.js';
import type { Hour, Purchase } from './readings.js';

/** The front page: each article with its price now (fresh articles cost more), or "Yours to read". */
export function frontPage(
  articles: readonly Article[],
  read: (id: string) => boolean,
  priceOf: (article: Article) => number,
  bar: ReaderBar,
): string {
  const items = articles
    .map(
      (
        article,
      ) => `<li><p class="section">${esc(article.section)}</p><h2><a href="/articles/${esc(article.id)}">${esc(article.title)}</a></h2>
<p>${esc(article.teaser)}</p><p class="price">${read(article.id) ? 'Yours to read' : money(priceOf(article))}</p></li>`,
    )
    .join('');
  return layout('Today', `<h1>Today’s articles</h1><ul class="articles">${items}</ul>`, bar);
}

/**
 * Optional: the reader's Caisse account, so that an hour of reading takes one click on the
 * payment page (its ticket names them). A quoted article's ticket cannot name a customer:
 * there, the reader types their account on the payment page.
 */
function accountForm(articleId: string, account: string | undefined): string {
  const back = `<input type="hidden" name="article" value="${esc(articleId)}">`;
  if (account)
    return `<form class="account" method="post" action="/account">${back}<p>Paying as <strong>${esc(account)}</strong>: an hour of reading takes one click on the payment page. <button class="link" type="submit" name="forget" value="1">Not you?</button></p></form>`;
  return `<form class="account" method="post" action="/account">${back}<label for="account">Your Caisse account (optional: then an hour of reading takes one click)</label>
<input id="account" name="account" autocomplete="username" maxlength="64"> <button type="submit">Remember</button></form>`;
}

/** Why the hour of reading did not open this article (at `price`, its price now), in plain words; the article is then paid on its own. */
const HOUR_ENDS: Readonly<Record<HourEnd, (price: number, hour: Hour | undefined) => string>> = {
  short: (price, hour) =>
    `Your hour has ${money(hour?.remaining ?? 0)} left, not enough for this article (${money(price)}). Pay for it on its own, or start a new hour.`,
  exhausted: () => 'Your hour of reading is used up. Pay for this article on its own, or start a new hour.',
  expired: () => 'Your hour of reading is over. Pay for this article on its own, or start a new hour.',
  revoked: () => 'You stopped your hour of reading from your phone. Pay for this article on its own, or start a new hour.',
  ended: () => 'Your hour of reading can no longer pay. Pay for this article on its own, or start a new hour.',
};

/**
 * How the reader can read the article: it is theirs, or their hour of reading opens it in
 * one click, or they ask the payment server for its price (quote mode: `merchant`, the
 * article as `item`, and `state`, this browser's binding, which the quoted ticket carries).
 */
export type Access =
  | { read: true }
  | { hour: Hour }
  | {
      merchant: string;
      state: string;
      hourTicket: string;
      server: string;
      account: string | undefined;
      why?: HourEnd | undefined;
      hour?: Hour | undefined;
      refused?: RefusalReason | undefined;
    };

function paywall(article: Article, access: Exclude<Access, { read: true }>, price: number): string {
  if (!('state' in access)) {
    const until = new Date(access.hour.expiresAt * 1000).toISOString().slice(11, 16);
    return `<div class="paywall"><form method="post" action="/articles/${esc(article.id)}/read">
<button class="read" type="submit">Read it: ${money(price)} from your hour</button></form>
<p class="muted">${money(access.hour.remaining)} left of your hour, until ${until} (UTC). No confirmation needed.</p></div>`;
  }
  const why = access.why === undefined ? '' : `<p class="notice" id="hour-why">${HOUR_ENDS[access.why](price, access.hour)}</p>`;
  const refused =
    access.refused === undefined
      ? ''
      : `<p class="notice" role="alert" id="refusal">Payment refused. ${refusalWords(access.refused, 'the newsstand')} Nothing was charged: you can pay again.</p>`;
  // Quote mode, in the whole window: the payment server asks our quote endpoint for the price
  // when the reader presses the button, and once paid, hands them the article (Open) itself.
  return `<div class="paywall">${refused}${why}<p>Read the whole article for ${money(price)} (the price now: a fresh article costs more), paid from your Caisse wallet. Confirm on your phone, then open it on the payment page; it stays in your history here.</p>
<caisse-checkout server="${esc(access.server)}" merchant="${esc(access.merchant)}" item="${esc(article.id)}" state="${esc(access.state)}" lang="en"></caisse-checkout>
<section class="hour" aria-labelledby="hour-offer"><h2 id="hour-offer">Read for an hour, up to ${money(HOUR.maximum)}</h2>
<p>Confirm once on your phone; for the next hour every article opens in one click, with no phone step, and what you do not read stays in your wallet.</p>
<caisse-checkout ticket="${esc(access.hourTicket)}" server="${esc(access.server)}" mode="popup" verify-url="/caisse/return" lang="en"></caisse-checkout></section>
${accountForm(article.id, access.account)}</div>`;
}

/** The article page; `price` is the article's price now. */
export function articlePage(article: Article, access: Access, price: number, bar: ReaderBar): string {
  const content =
    'read' in access
      ? `<div class="body" id="article-body">${article.body.map((p) => `<p>${esc(p)}</p>`).join('')}</div>`
      : paywall(article, access, price);
  return layout(
    article.title,
    `<article><p class="section">${esc(article.section)}</p><h1>${esc(article.title)}</h1><p class="teaser">${esc(article.teaser)}</p>${content}</article>`,
    bar,
  );
}

export function historyPage(purchases: Purchase[], titleOf: (id: string) => string, bar: ReaderBar): string {
  const rows = purchases
    .map(
      (purchase) =>
        `<tr><td><time>${esc(purchase.paidAt.slice(0, 16).replace('T', ' '))}</time></td><td><a href="/articles/${esc(purchase.articleId)}">${esc(titleOf(purchase.articleId))}</a></td><td class="amount">${money(purchase.amount, purchase.currency)}</td></tr>`,
    )
    .join('');
  return layout(
    'Reading history',
    `<h1>Reading history</h1><p id="today">Spent today: <strong>${money(bar.spentToday)}</strong></p>
<table><thead><tr><th>Paid (UTC)</th><th>Article</th><th>Price</th></tr></thead><tbody>${rows || '<tr><td colspan="3">Nothing yet.</td></tr>'}</tbody></table>`,
    bar,
  );
}
