import { bdi, h, localPath } from './html.js';
import { formatAmount, type Locale, t, text } from './i18n.js';
import { layout, type PageBase } from './layout.js';

/** Shown while the acquirer has not answered (session state `pending_bank`). */
export interface PendingBankView extends PageBase {
  merchantName: string;
  /** Minor units. */
  amount: number;
  currency: string;
  actions: {
    /** GET: shows the session as it now stands. */
    refresh: string;
  };
}

/**
 * "Waiting for your bank": says the customer is charged at most once, and offers a
 * "Check again" link. No cancel: the bank operation is under way and is settled by
 * reconciliation either way.
 */
export function pendingBankPage(view: PendingBankView, locale: Locale): string {
  const merchant = bdi(view.merchantName);
  const amount = formatAmount(view.amount, view.currency, locale);
  const main = h`<h1>${t(locale, 'pending.title')}</h1>
<div class="status">
<span class="spinner" aria-hidden="true"></span>
<p>${t(locale, 'pending.intro', { amount, merchant })}</p>
</div>
<p>${t(locale, 'pending.once')}</p>
<p class="muted">${t(locale, 'pending.noUpdate')}</p>
<div class="actions">
<a class="button button-primary" href="${localPath(view.actions.refresh)}">${t(locale, 'pending.refresh')}</a>
</div>`;
  return layout(view, locale, { title: text(locale, 'pending.title'), main });
}
