import { bdi, h, localPath } from './html.js';
import { formatAmount, formatTime, type Locale, t, text } from './i18n.js';
import { buttonForm } from './identify.js';
import { context, layout, type PageBase } from './layout.js';

/** Shown while a checkout whose wallet was short offers the bank (session state `choosing`). */
export interface OfferView extends PageBase {
  merchantName: string;
  /** Minor units. */
  amount: number;
  currency: string;
  /** What the customer's wallet holds in the currency, minor units. */
  balance: bigint;
  /** When the offer lapses and the payment is refused. */
  expiresAt: Date;
  csrfToken: string;
  actions: {
    /** POST `csrf`: pays from the bank, with the confirmation already given. */
    payFromBank: string;
    /** POST `csrf`: gives up; the merchant gets the refusal. */
    cancel: string;
    /** GET: the account page, whose form tops the wallet up. */
    topUp: string;
  };
}

/**
 * "Your wallet is short": what it holds against the amount, and the way on the
 * customer's plan still has, in one step: pay from the bank without confirming again. A
 * top-up link and a cancel button are the other ways out.
 */
export function offerPage(view: OfferView, locale: Locale): string {
  const ctx = context(view, locale);
  const amount = formatAmount(view.amount, view.currency, locale);
  const balance = formatAmount(Number(view.balance), view.currency, locale);
  const main = h`<h1>${t(locale, 'offer.title')}</h1>
<p>${t(locale, 'offer.what', { balance, amount, merchant: bdi(view.merchantName) })}</p>
<p>${t(locale, 'offer.bank')}</p>
<div class="actions">
${buttonForm(view.actions.payFromBank, view.csrfToken, t(locale, 'offer.pay', { amount }), 'primary')}
${buttonForm(view.actions.cancel, view.csrfToken, t(locale, 'offer.cancel'))}
</div>
<p><a href="${localPath(view.actions.topUp)}">${t(locale, 'offer.topUp')}</a></p>
<p class="muted">${t(locale, 'offer.deadline', { time: formatTime(view.expiresAt, locale, ctx.timeZone) })}</p>`;
  return layout(view, locale, { title: text(locale, 'offer.title'), main });
}
