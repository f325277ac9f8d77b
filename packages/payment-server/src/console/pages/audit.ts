import { bdi, h } from '../../pages/html.js';
import { type Locale, t, text } from '../../pages/i18n.js';
import type { OperatorAction } from '../activity.js';
import { type ConsoleView, consoleContext, consoleLayout, postForm, when } from './layout.js';

export interface AuditView extends ConsoleView {
  /** The latest `audit.verify` in the register: who ran it, when, and what it found (its details). */
  last: OperatorAction | undefined;
  /** The finance role may run it. */
  canVerify: boolean;
}

/** `audit verify` from the console: the latest run's result, and a button to run it again. */
export function auditPage(view: AuditView, locale: Locale): string {
  const ctx = consoleContext(view, locale);
  const title = text(locale, 'console.audit.title');
  const last = view.last;
  const details = last?.details ?? {};
  const findings = Object.entries(details)
    .filter(([name]) => /^finding_\d+$/.test(name))
    .map(([, detail]) => h`<li>${bdi(String(detail))}</li>`);
  const main = h`<h1>${title}</h1>
<p>${t(locale, 'console.audit.intro')}</p>
${
  last === undefined
    ? h`<p>${t(locale, 'console.audit.never')}</p>`
    : h`<div class="${details.ok === true ? 'notice' : 'error-summary'}" role="status">
<h2>${details.ok === true ? t(locale, 'console.audit.ok') : t(locale, 'console.audit.failed', { count: Number(details.findings ?? 0) })}</h2>
<p>${t(locale, 'console.audit.ranBy', { name: bdi(last.operatorId) })} ${when(last.at, ctx)}</p>
<p>${t(locale, 'console.audit.counts', {
        batches: String(details.batches ?? 0),
        sealed: String(details.sealedTransfers ?? 0),
        unsealed: String(details.unsealedTransfers ?? 0),
      })}</p>
${details.head === null || details.head === undefined ? '' : h`<p>${t(locale, 'console.audit.head')} <span class="secret">${String(details.head)}</span></p>`}
${findings.length === 0 ? '' : h`<ul>${findings}</ul>`}
</div>`
}
${view.canVerify ? postForm(ctx, '/console/audit/verify', '', t(locale, 'console.audit.run')) : ''}`;
  return consoleLayout({ ...view, section: 'audit' }, locale, { title, main });
}
