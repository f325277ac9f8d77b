import type { OutboxNotification } from '../../notifications/model.js';
import { bdi, h } from '../../pages/html.js';
import { type Locale, t, text } from '../../pages/i18n.js';
import { type ConsoleView, consoleContext, consoleLayout, doneNotice, hidden, postForm, table, when, withLang } from './layout.js';

export interface NotificationsView extends ConsoleView {
  /** Parked notifications (retried for days without an acknowledgement), oldest first. */
  notifications: readonly OutboxNotification[];
  /** The support role may resend. */
  canResend: boolean;
  /** The notification just put back in the queue (`?done=`). */
  resent?: string;
}

/** Parked notifications, each with why it failed, and a resend button for support. */
export function notificationsPage(view: NotificationsView, locale: Locale): string {
  const ctx = consoleContext(view, locale);
  const title = text(locale, 'console.notifications.title');
  const rows = view.notifications.map((notification) => {
    const payment = 'payment' in notification.payload ? notification.payload.payment : undefined;
    return h`<tr>
<td>${bdi(notification.id)}</td>
<td><a href="${withLang(`/console/merchants/${encodeURIComponent(notification.merchantId)}`, ctx.lang)}">${bdi(notification.merchantId)}</a></td>
<td>${bdi(notification.event)}${payment === undefined ? '' : h` · <a href="${withLang(`/console/payments/${payment.id}`, ctx.lang)}">${payment.id}</a>`}</td>
<td>${notification.parkedAt === null ? '' : when(notification.parkedAt, ctx)}</td>
<td class="num">${notification.attempts}</td>
<td>${notification.lastError === null ? '' : bdi(notification.lastError)}</td>
<td>${
      view.canResend
        ? postForm(ctx, '/console/notifications/resend', hidden('id', notification.id), t(locale, 'console.notifications.resend'), {
            inline: true,
          })
        : ''
    }</td>
</tr>`;
  });
  const main = h`<h1>${title}</h1>
<p>${t(locale, 'console.notifications.intro')}</p>
${doneNotice(view.resent === undefined ? undefined : t(locale, 'console.notifications.done', { id: bdi(view.resent) }))}
${
  rows.length === 0
    ? h`<p>${t(locale, 'console.notifications.none')}</p>`
    : table(
        'notifications-caption',
        t(locale, 'console.notifications.caption'),
        [
          t(locale, 'console.col.id'),
          t(locale, 'console.payment.col.merchant'),
          t(locale, 'console.notification.col.event'),
          t(locale, 'console.notifications.col.parked'),
          t(locale, 'console.notification.col.attempts'),
          t(locale, 'console.notifications.col.error'),
          h`<span class="visually-hidden">${t(locale, 'console.col.actions')}</span>`,
        ],
        rows,
      )
}`;
  return consoleLayout({ ...view, section: 'notifications' }, locale, { title, main });
}
