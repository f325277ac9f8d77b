import { deadline } from './checkout.js';
import { bdi, h, localPath } from './html.js';
import { formatAmount, type Locale, t, text } from './i18n.js';
import { buttonForm } from './identify.js';
import { context, layout, type PageBase } from './layout.js';

/** Shown while the customer's phone is asked to confirm (issue 4); the page itself needs no script. */
export interface ConfirmOnPhoneView extends PageBase {
  kind: 'purchase' | 'authentication';
  merchantName: string;
  /** Minor units; not shown for an authentication. */
  amount: number;
  currency: string;
  /** When the confirmation request expires: shown as a time, the countdown target. */
  expiresAt: Date;
  csrfToken: string;
  actions: {
    /** GET: shows the session as it now stands (this page again, or a redirect to the result). */
    refresh: string;
    /** POST: `csrf`. */
    cancel: string;
  };
}

/**
 * "Confirm on your phone": who is paid and how much (what the phone shows too), the time
 * to confirm by, a "Check again" link and the cancel form. There is no live update
 * without a script: the page says so and offers the link.
 */
export function confirmOnPhonePage(view: ConfirmOnPhoneView, locale: Locale): string {
  const ctx = context(view, locale);
  const merchant = bdi(view.merchantName);
  const signIn = view.kind === 'authentication';
  const main = h`<h1>${t(locale, 'confirm.title')}</h1>
<div class="status">
<span class="spinner" aria-hidden="true"></span>
<p>${signIn ? t(locale, 'confirm.introSignIn', { operator: ctx.operator, merchant }) : t(locale, 'confirm.intro', { operator: ctx.operator })}</p>
</div>
<dl class="totals card">
<dt>${signIn ? t(locale, 'confirm.signInTo') : t(locale, 'confirm.payee')}</dt>
<dd>${merchant}</dd>
${
  signIn
    ? ''
    : h`<dt class="grand">${t(locale, 'confirm.amount')}</dt>
<dd class="grand num">${formatAmount(view.amount, view.currency, locale)}</dd>`
}
</dl>
<p>${t(locale, 'confirm.deadline', { time: deadline(view.expiresAt, ctx) })}</p>
<p class="muted">${t(locale, 'confirm.noUpdate')}</p>
<div class="actions">
<a class="button button-primary" href="${localPath(view.actions.refresh)}">${t(locale, 'confirm.refresh')}</a>
</div>
${buttonForm(view.actions.cancel, view.csrfToken, t(locale, 'checkout.cancelButton', { merchant }))}`;
  return layout(view, locale, { title: text(locale, 'confirm.title'), main });
}
