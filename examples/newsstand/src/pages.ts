import type { Article } from './articles.js';
import { esc, layout, money } from './html.js';
import type { Purchase } from './readings.js';

export function frontPage(articles: readonly Article[], read: (id: string) => boolean, spentToday: number): string {
  const items = articles
    .map(
      (
        article,
      ) => `<li><p class="section">${esc(article.section)}</p><h2><a href="/articles/${esc(article.id)}">${esc(article.title)}</a></h2>
<p>${esc(article.teaser)}</p><p class="price">${read(article.id) ? 'Yours to read' : money(article.price)}</p></li>`,
    )
    .join('');
  return layout('Today', `<h1>Today’s articles</h1><ul class="articles">${items}</ul>`, spentToday);
}

/** Optional: the reader's Caisse account, so that paying takes one click on the payment page. */
function accountForm(articleId: string, account: string | undefined): string {
  const back = `<input type="hidden" name="article" value="${esc(articleId)}">`;
  if (account)
    return `<form class="account" method="post" action="/account">${back}<p>Paying as <strong>${esc(account)}</strong>: one click on the payment page. <button class="link" type="submit" name="forget" value="1">Not you?</button></p></form>`;
  return `<form class="account" method="post" action="/account">${back}<label for="account">Your Caisse account (optional: then paying takes one click)</label>
<input id="account" name="account" autocomplete="username" maxlength="64"> <button type="submit">Remember</button></form>`;
}

export function articlePage(
  article: Article,
  access: { read: true } | { ticket: string; server: string; account: string | undefined },
  spentToday: number,
): string {
  const content =
    'read' in access
      ? `<div class="body" id="article-body">${article.body.map((p) => `<p>${esc(p)}</p>`).join('')}</div>`
      : `<div class="paywall"><p>Read the whole article for ${money(article.price)}, paid from your Caisse wallet. Confirm on your phone and it opens here.</p>
<caisse-checkout ticket="${esc(access.ticket)}" server="${esc(access.server)}" mode="popup" verify-url="/caisse/return" lang="en"></caisse-checkout>
${accountForm(article.id, access.account)}</div>`;
  return layout(
    article.title,
    `<article><p class="section">${esc(article.section)}</p><h1>${esc(article.title)}</h1><p class="teaser">${esc(article.teaser)}</p>${content}</article>`,
    spentToday,
  );
}

export function historyPage(purchases: Purchase[], titleOf: (id: string) => string, spentToday: number): string {
  const rows = purchases
    .map(
      (purchase) =>
        `<tr><td><time>${esc(purchase.paidAt.slice(0, 16).replace('T', ' '))}</time></td><td><a href="/articles/${esc(purchase.articleId)}">${esc(titleOf(purchase.articleId))}</a></td><td class="amount">${money(purchase.amount, purchase.currency)}</td></tr>`,
    )
    .join('');
  return layout(
    'Reading history',
    `<h1>Reading history</h1><p id="today">Spent today: <strong>${money(spentToday)}</strong></p>
<table><thead><tr><th>Paid (UTC)</th><th>Article</th><th>Price</th></tr></thead><tbody>${rows || '<tr><td colspan="3">Nothing yet.</td></tr>'}</tbody></table>`,
    spentToday,
  );
}
