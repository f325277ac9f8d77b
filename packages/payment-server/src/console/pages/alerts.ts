import type { Alert } from '../../alerts/model.js';
import { bdi, h } from '../../pages/html.js';
import { type Locale, t, text } from '../../pages/i18n.js';
import { type ConsoleView, consoleContext, consoleLayout, doneNotice, hidden, postForm, table, when } from './layout.js';

export interface AlertsView extends ConsoleView {
  /** Open alerts, oldest first. */
  alerts: readonly Alert[];
  canAcknowledge: boolean;
  done?: 'acknowledged';
}

/** Open operator alerts (a locked account, a locked operator, …), with what each is about. */
export function alertsPage(view: AlertsView, locale: Locale): string {
  const ctx = consoleContext(view, locale);
  const title = text(locale, 'console.alerts.title');
  const rows = view.alerts.map(
    (alert) => h`<tr>
<td>${when(alert.createdAt, ctx)}</td>
<td>${bdi(alert.kind)}</td>
<td>${bdi(alert.subject)}</td>
<td>${Object.entries(alert.details).map(([name, value], index) => h`${index > 0 ? ', ' : ''}${bdi(`${name}: ${String(value)}`)}`)}</td>
<td>${view.canAcknowledge ? postForm(ctx, '/console/alerts/acknowledge', hidden('id', alert.id), t(locale, 'console.alerts.acknowledge'), { inline: true }) : ''}</td>
</tr>`,
  );
  const main = h`<h1>${title}</h1>
${doneNotice(view.done === undefined ? undefined : t(locale, 'console.alerts.done'))}
${
  rows.length === 0
    ? h`<p>${t(locale, 'console.alerts.none')}</p>`
    : table(
        'alerts-caption',
        t(locale, 'console.alerts.caption'),
        [
          t(locale, 'console.col.at'),
          t(locale, 'console.alerts.col.kind'),
          t(locale, 'console.alerts.col.subject'),
          t(locale, 'console.alerts.col.details'),
          h`<span class="visually-hidden">${t(locale, 'console.col.actions')}</span>`,
        ],
        rows,
      )
}`;
  return consoleLayout({ ...view, section: 'alerts' }, locale, { title, main });
}
