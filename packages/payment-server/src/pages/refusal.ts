import type { RefusalReason } from '@caisse/protocol';
import { bdi, h, localPath, merchantUrl, supportHref } from './html.js';
import { formatAmount, type Locale, refusalKeys, t, text } from './i18n.js';
import { context, layout, type PageBase } from './layout.js';

/** Wrong access keys (or PINs) that lock an account (DESIGN.md). */
export const DEFAULT_LOCK_THRESHOLD = 5;

export interface RefusalView extends PageBase {
  /** The refusal's stable reason code; the page explains it in words. */
  reason: RefusalReason;
  /**
   * The merchant's registered display name, when the merchant is known. Leave it out
   * when the ticket could not be trusted (`merchant_unknown`, `ticket_invalid`…): a name
   * from an unverified ticket is the attacker's text.
   */
  merchantName?: string;
  /**
   * The merchant's cancel URL carrying the signed refusal, when the ticket was trusted
   * and the URL's origin is registered (the route checks). Shown only with
   * `merchantName`, and only if https (http on loopback); otherwise the page tells the
   * customer to go back with the browser.
   */
  returnUrl?: string;
  /** Wrong access keys that lock an account, for the `account_locked` text. Default 5. */
  lockThreshold?: number;
  /**
   * With `insufficient_funds`, for the session's own identified customer only: what their
   * wallet can pay now in the payment's currency (minor units), and the account page's
   * top-up form (a path on this server).
   */
  wallet?: { available: number; currency: string; topUpUrl: string };
  /**
   * With `ceiling_exceeded`, for the session's own identified customer only: the ceiling
   * the payment would pass and what is left of it (minor units).
   */
  ceiling?: { period: 'day' | 'month'; ceiling: number; left: number; currency: string };
}

/**
 * A refusal in words: what happened, what the customer can do, a link back to the
 * merchant when there is a trusted one (or "use your browser's Back button"), and the
 * reason code for support. `account_locked` is the locked-account page ("locked after 5
 * wrong access keys; contact <operator> to unlock it", with the help link when
 * configured). A short wallet shows its balance and the way to top it up; a ceiling, what is
 * left of it.
 */
export function refusalPage(view: RefusalView, locale: Locale): string {
  const ctx = context(view, locale);
  const keys = refusalKeys(view.reason);
  const params = { operator: ctx.operator, limit: String(view.lockThreshold ?? DEFAULT_LOCK_THRESHOLD) };
  const url = view.merchantName === undefined ? undefined : merchantUrl(view.returnUrl);
  const help = view.reason === 'account_locked' ? supportHref(view.supportUrl) : undefined;
  const wallet = view.reason === 'insufficient_funds' ? view.wallet : undefined;
  const ceiling = view.reason === 'ceiling_exceeded' ? view.ceiling : undefined;
  const main = h`<h1>${t(locale, keys.title, params)}</h1>
<p>${t(locale, keys.what, params)}</p>
${
  wallet === undefined
    ? ''
    : h`<p>${t(locale, 'refusal.walletBalance', { amount: formatAmount(wallet.available, wallet.currency, locale) })}</p>
<p><a href="${localPath(wallet.topUpUrl)}">${t(locale, 'refusal.topUp')}</a></p>`
}
${
  ceiling === undefined
    ? ''
    : h`<p>${t(locale, `refusal.ceilingLeft.${ceiling.period}`, {
        ceiling: formatAmount(ceiling.ceiling, ceiling.currency, locale),
        left: formatAmount(ceiling.left, ceiling.currency, locale),
      })}</p>`
}
<p>${help === undefined ? t(locale, keys.next, params) : h`<a href="${help}" rel="noreferrer">${t(locale, keys.next, params)}</a>`}</p>
${
  url === undefined || view.merchantName === undefined
    ? h`<p>${t(locale, 'refusal.backWithBrowser')}</p>`
    : h`<div class="actions">
<a class="button button-primary" href="${url}" rel="noreferrer">${t(locale, 'refusal.return', { merchant: bdi(view.merchantName) })}</a>
</div>`
}
<p class="muted">${t(locale, 'refusal.reference', { code: view.reason })}</p>`;
  return layout(view, locale, { title: text(locale, keys.title, params), error: true, main });
}
