import { bdi, h } from '../../pages/html.js';
import { type Locale, t, text } from '../../pages/i18n.js';
import { type Operator, operatorState, type TotpEnrollment } from '../model.js';
import { type ConsoleView, consoleContext, consoleLayout, doneNotice, hidden, postForm, table, when } from './layout.js';

export interface OperatorsView extends ConsoleView {
  operators: readonly Operator[];
  /** The admin role manages operators. */
  canManage: boolean;
  done?: 'disabled' | 'unlocked';
  /** A TOTP secret just reset: shown on this answer only, never stored in clear nor shown again. */
  enrollment?: { operatorId: string; totp: TotpEnrollment };
}

/** The operators, their role and state; admins disable, unlock and reset second factors. */
export function operatorsPage(view: OperatorsView, locale: Locale): string {
  const ctx = consoleContext(view, locale);
  const title = text(locale, 'console.operators.title');
  const rows = view.operators.map((operator) => {
    const subject = hidden('operator', operator.id);
    return h`<tr>
<td>${bdi(operator.id)}</td>
<td>${bdi(operator.displayName)}</td>
<td>${t(locale, `console.role.${operator.role}`)}</td>
<td>${t(locale, `console.operators.${operatorState(operator)}`)}</td>
<td>${when(operator.createdAt, ctx)}</td>
<td>${
      view.canManage && operator.disabledAt === null
        ? h`${operator.lockedAt === null ? '' : postForm(ctx, '/console/operators/unlock', subject, t(locale, 'console.operators.unlock'), { inline: true })}
${postForm(ctx, '/console/operators/reset-totp', subject, t(locale, 'console.operators.resetTotp'), { inline: true })}
${postForm(ctx, '/console/operators/disable', subject, t(locale, 'console.operators.disable'), { inline: true })}`
        : ''
    }</td>
</tr>`;
  });
  const enrollment = view.enrollment;
  const main = h`<h1>${title}</h1>
<p>${t(locale, 'console.operators.intro')}</p>
${doneNotice(view.done === undefined ? undefined : t(locale, `console.operators.done.${view.done}`))}
${
  enrollment === undefined
    ? ''
    : h`<div class="notice" role="status">
<p>${t(locale, 'console.operators.newSecret', { id: bdi(enrollment.operatorId) })}</p>
<p class="secret">${enrollment.totp.secret}</p>
<p class="secret">${enrollment.totp.uri}</p>
</div>`
}
${table(
  'operators-caption',
  t(locale, 'console.operators.caption'),
  [
    t(locale, 'console.col.id'),
    t(locale, 'console.col.name'),
    t(locale, 'console.operators.col.role'),
    t(locale, 'console.col.status'),
    t(locale, 'console.col.created'),
    h`<span class="visually-hidden">${t(locale, 'console.col.actions')}</span>`,
  ],
  rows,
)}`;
  return consoleLayout({ ...view, section: 'operators' }, locale, { title, main });
}
