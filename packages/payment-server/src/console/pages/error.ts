import { h } from '../../pages/html.js';
import { type Locale, t, text } from '../../pages/i18n.js';
import { type ConsoleView, consoleLayout, withLang } from './layout.js';

/** Codes with words of their own; any other is shown with the generic words and its code. */
export const CONSOLE_ERROR_CODES = ['not_found', 'csrf_invalid', 'operator_role_forbidden', 'body_too_large', 'internal_error'] as const;
type ConsoleErrorCode = (typeof CONSOLE_ERROR_CODES)[number];

export interface ConsoleErrorView extends ConsoleView {
  status: number;
  /** The stable code of the refusal (`operator_role_forbidden`, `refund_exceeds_payment`, …). */
  code: string;
  /** What the service said, in English (never a secret): shown for codes without words of their own. */
  detail?: string;
  /** Where to go back to: the page the form was on. */
  back: string;
}

const SAFE_CODE = /^[a-z][a-z0-9_]{0,63}$/;

function known(code: string): code is ConsoleErrorCode {
  return (CONSOLE_ERROR_CODES as readonly string[]).includes(code);
}

/** What went wrong, in words and by its code, and the way back. */
export function consoleErrorPage(view: ConsoleErrorView, locale: Locale): string {
  const key = known(view.code) ? view.code : 'generic';
  const title = text(locale, `console.error.${key}.title`);
  const code = SAFE_CODE.test(view.code) ? view.code : 'internal_error';
  const main = h`<h1>${title}</h1>
<p>${t(locale, `console.error.${key}.body`)}</p>
${key === 'generic' && view.detail ? h`<p>${view.detail.slice(0, 500)}</p>` : ''}
<p class="muted">${t(locale, 'error.status', { status: String(view.status) })} · ${t(locale, 'error.reference', { code })}</p>
<p><a href="${withLang(view.back, view.lang)}">${t(locale, 'console.back')}</a></p>`;
  return consoleLayout(view, locale, { title, error: true, main });
}
