import { bdi, h, localPath } from './html.js';
import { formatTime, type Locale, t, text } from './i18n.js';
import { buttonForm } from './identify.js';
import { context, layout, type PageBase } from './layout.js';

/**
 * After a paid checkout whose ticket names a digital good: the good's title, "Open"
 * (which releases it to this browser, once), and the way back to the merchant, which
 * may be down: the good does not depend on it.
 */
export interface DeliveryView extends PageBase {
  merchantName: string;
  /** The good's title, as the merchant stored it (escaped, in a bidi isolate). */
  title: string;
  /** When it was opened here; undefined while it waits. */
  releasedAt?: Date;
  csrfToken: string;
  actions: {
    /** POST `csrf`: answers the good itself. */
    open: string;
    /** GET: on to the merchant, with the voucher. */
    back: string;
  };
}

export function deliveryPage(view: DeliveryView, locale: Locale): string {
  const ctx = context(view, locale);
  const merchant = bdi(view.merchantName);
  const title = bdi(view.title);
  const released = view.releasedAt;
  const main = h`<h1>${t(locale, 'delivery.title', { title })}</h1>
${
  released === undefined
    ? h`<p>${t(locale, 'delivery.intro', { merchant })}</p>
<div class="actions">${buttonForm(view.actions.open, view.csrfToken, t(locale, 'delivery.open', { title }), 'primary')}</div>`
    : h`<p>${t(locale, 'delivery.released', {
        merchant,
        time: h`<time datetime="${released.toISOString()}">${formatTime(released, locale, ctx.timeZone)}</time>`,
      })}</p>`
}
<div class="actions">
<a class="button button-secondary" href="${localPath(view.actions.back)}">${t(locale, 'delivery.back', { merchant })}</a>
</div>`;
  return layout(view, locale, { title: text(locale, 'delivery.title', { title: view.title }), main });
}
