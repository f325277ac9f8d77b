import { h } from '../../pages/html.js';
import { type Locale, t, text } from '../../pages/i18n.js';
import type { ConsolePayment } from '../queries.js';
import { type ConsoleView, consoleContext, consoleLayout, doneNotice, postForm } from './layout.js';
import { paymentPath, paymentsTable } from './payments.js';

export interface EscrowView extends ConsoleView {
  /** Payments held until delivery, oldest first. */
  held: readonly ConsolePayment[];
  /** The finance role may release or void. */
  canResolve: boolean;
  done?: 'released' | 'voided';
}

/** Payments held in escrow, each with "release to the merchant" and "return to the customer" for finance. */
export function escrowPage(view: EscrowView, locale: Locale): string {
  const ctx = consoleContext(view, locale);
  const title = text(locale, 'console.escrow.title');
  const actions = (payment: ConsolePayment) =>
    h`${postForm(ctx, `${paymentPath(payment)}/release`, '', t(locale, 'console.escrow.release'), { inline: true })}
${postForm(ctx, `${paymentPath(payment)}/void`, '', t(locale, 'console.escrow.void'), { inline: true })}`;
  const main = h`<h1>${title}</h1>
<p>${t(locale, 'console.escrow.intro')}</p>
${doneNotice(view.done === undefined ? undefined : t(locale, `console.escrow.done.${view.done}`))}
${
  view.held.length === 0
    ? h`<p>${t(locale, 'console.escrow.none')}</p>`
    : paymentsTable(ctx, 'escrow-caption', t(locale, 'console.escrow.caption'), view.held, view.canResolve ? actions : undefined)
}`;
  return consoleLayout({ ...view, section: 'escrow' }, locale, { title, main });
}
