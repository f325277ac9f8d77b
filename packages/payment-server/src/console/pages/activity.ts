import { bdi, cleanText, h } from '../../pages/html.js';
import { type Locale, t, text } from '../../pages/i18n.js';
import type { OperatorAction } from '../activity.js';
import { type ConsoleView, consoleContext, consoleLayout, hidden, table, when, withLang } from './layout.js';

export interface ActivityView extends ConsoleView {
  /** Filters typed, kept in their fields. */
  filter: { operator: string; subject: string };
  /** Newest first. */
  actions: readonly OperatorAction[];
  /** The next older page, when there is one. */
  older?: string;
}

/** The register of what operators did (and tried): who, what, on what, from where, when. */
export function activityPage(view: ActivityView, locale: Locale): string {
  const ctx = consoleContext(view, locale);
  const title = text(locale, 'console.activity.title');
  const rows = view.actions.map(
    (action) => h`<tr>
<td class="num">${action.seq.toString()}</td>
<td>${when(action.at, ctx)}</td>
<td>${bdi(action.operatorId)}</td>
<td>${bdi(action.action)}</td>
<td>${bdi(action.subject)}</td>
<td>${Object.entries(action.details).map(([name, value], index) => h`${index > 0 ? ', ' : ''}${bdi(`${name}: ${String(value)}`)}`)}</td>
<td>${bdi(action.client)}</td>
</tr>`,
  );
  const main = h`<h1>${title}</h1>
<p>${t(locale, 'console.activity.intro')}</p>
<form method="get" action="/console/activity" class="search" role="search">
${ctx.lang === undefined ? '' : hidden('lang', ctx.lang)}
<div class="field">
<label for="activity-operator">${t(locale, 'console.activity.operator')}</label>
<input type="text" id="activity-operator" name="operator" value="${cleanText(view.filter.operator)}" maxlength="64" autocapitalize="none" spellcheck="false">
</div>
<div class="field">
<label for="activity-subject">${t(locale, 'console.activity.subject')}</label>
<input type="text" id="activity-subject" name="subject" value="${cleanText(view.filter.subject)}" maxlength="200" autocapitalize="none" spellcheck="false">
</div>
<button type="submit" class="button button-primary button-inline">${t(locale, 'console.search')}</button>
</form>
${
  rows.length === 0
    ? h`<p>${t(locale, 'console.activity.none')}</p>`
    : table(
        'activity-caption',
        t(locale, 'console.activity.caption'),
        [
          t(locale, 'console.activity.col.seq'),
          t(locale, 'console.col.at'),
          t(locale, 'console.activity.operator'),
          t(locale, 'console.activity.col.action'),
          t(locale, 'console.activity.subject'),
          t(locale, 'console.alerts.col.details'),
          t(locale, 'console.activity.col.client'),
        ],
        rows,
      )
}
${view.older === undefined ? '' : h`<p><a href="${withLang(view.older, ctx.lang)}">${t(locale, 'console.activity.older')}</a></p>`}`;
  return consoleLayout({ ...view, section: 'activity' }, locale, { title, main });
}
