import { type Html, h, localPath } from './html.js';
import { formatAmount, t } from './i18n.js';
import type { PageContext } from './layout.js';

/** Why a top-up was refused, in words on the page. */
export type TopUpError = 'amount_invalid' | 'wallet_cap_exceeded' | 'customer_bank_account_missing' | 'bank_declined';

/** The id of the top-up section: the refusal page for a short wallet links to `/account#top-up`. */
export const TOP_UP_ANCHOR = 'top-up';

/** The "Top up your wallet" section of the account page. */
export interface TopUpView {
  /** POST: `csrf`, `amount` (decimal, e.g. `20.00`), `currency`, `request`. */
  action: string;
  /** The wallet's currency. */
  currency: string;
  /** A fresh id per form shown: the same form sent twice tops up once. */
  requestId: string;
  /** The amount as the customer typed it, when the form comes back with an error. */
  amount?: string;
  error?: TopUpError;
  /** What became of the top-up just made. */
  result?: { status: 'pending' | 'succeeded' | 'declined'; amount: number; currency: string };
}

/** The top-up form (amount in the wallet's currency), with the outcome of the last one. */
export function topUpSection(view: TopUpView, csrfToken: string, ctx: PageContext): Html {
  const { locale } = ctx;
  const result = view.result;
  const outcome =
    result === undefined
      ? ''
      : h`<div role="status"><p>${
          result.status === 'succeeded'
            ? t(locale, 'topUp.succeeded', { amount: formatAmount(result.amount, result.currency, locale) })
            : result.status === 'pending'
              ? t(locale, 'topUp.pending')
              : t(locale, 'topUp.declined')
        }</p></div>`;
  const invalid = view.error !== undefined;
  const described = invalid ? 'top-up-amount-hint top-up-amount-error' : 'top-up-amount-hint';
  return h`<section id="${TOP_UP_ANCHOR}" aria-labelledby="top-up-heading">
<h2 id="top-up-heading">${t(locale, 'topUp.title')}</h2>
<p>${t(locale, 'topUp.intro')}</p>
${outcome}
<form method="post" action="${localPath(view.action)}" novalidate>
<input type="hidden" name="csrf" value="${csrfToken}">
<input type="hidden" name="currency" value="${view.currency}">
<input type="hidden" name="request" value="${view.requestId}">
<div class="field">
<label for="top-up-amount">${t(locale, 'topUp.amount', { currency: view.currency })}</label>
<p class="hint" id="top-up-amount-hint">${t(locale, 'topUp.amountHint')}</p>
${view.error === undefined ? '' : h`<p class="field-error" id="top-up-amount-error" role="alert">${t(locale, `topUp.error.${view.error}`)}</p>`}
<input type="text" id="top-up-amount" name="amount" inputmode="decimal" autocomplete="off" value="${view.amount ?? ''}" required aria-describedby="${described}"${invalid ? h` aria-invalid="true"` : ''}>
</div>
<div class="actions"><button type="submit" class="button button-primary">${t(locale, 'topUp.submit')}</button></div>
</form>
</section>`;
}
