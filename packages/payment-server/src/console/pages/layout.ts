import { cleanText, type Fragment, type Html, h, localPath } from '../../pages/html.js';
import { formatDateTime, LOCALE_DIRECTION, type Locale, t, text } from '../../pages/i18n.js';
import { DEFAULT_OPERATOR, DEFAULT_TIME_ZONE, languageSwitch } from '../../pages/layout.js';
import type { Role } from '../roles.js';
import { CONSOLE_CSS_HREF, CONSOLE_CSS_INTEGRITY } from './css.js';

/** The console's sections, in the order of its menu. */
export const CONSOLE_SECTIONS = [
  'payments',
  'merchants',
  'customers',
  'escrow',
  'settlement',
  'notifications',
  'alerts',
  'audit',
  'activity',
  'operators',
] as const;
export type ConsoleSection = (typeof CONSOLE_SECTIONS)[number];

/** What every console page's view model has. */
export interface ConsoleView {
  /** The payment operator's name, in the header and the title. Default `Caisse`. */
  operatorName?: string;
  /** CAISSE_MODE=test: every page says so first. */
  testMode?: boolean;
  /** IANA zone of every date shown (CAISSE_TIME_ZONE). Default UTC. */
  timeZone?: string;
  /** The language the operator chose with `?lang=`, kept on every link and form; none: the browser's. */
  lang?: Locale;
  /** This page in each language (GET URLs on this server), for the language switch. */
  languageLinks?: Partial<Record<Locale, string>>;
  /** The operator signed in: the menu, their name and role, and the sign-out button. None on the sign-in pages. */
  signedIn?: { id: string; displayName: string; role: Role; csrf: string };
  /** The menu entry this page belongs to (`aria-current`). */
  section?: ConsoleSection;
}

/** Resolved settings a page's parts need. */
export interface ConsoleContext {
  locale: Locale;
  timeZone: string;
  lang: Locale | undefined;
  /** The CSRF token of the signed-in operator's forms ('' on pages with no form of theirs). */
  csrf: string;
}

export function consoleContext(view: ConsoleView, locale: Locale): ConsoleContext {
  return { locale, timeZone: view.timeZone ?? DEFAULT_TIME_ZONE, lang: view.lang, csrf: view.signedIn?.csrf ?? '' };
}

/**
 * A console path with the chosen language kept (`/console/merchants?lang=fr`), checked to
 * stay on this server.
 * @example withLang('/console/payments?q=order-42', 'fr') // '/console/payments?q=order-42&lang=fr'
 */
export function withLang(path: string, lang: Locale | undefined): string {
  if (lang === undefined) return localPath(path);
  return localPath(`${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
}

/** A date and time with its zone, in a `<time>`. */
export function when(date: Date, ctx: ConsoleContext): Html {
  return h`<time datetime="${date.toISOString()}">${formatDateTime(date, ctx.locale, ctx.timeZone)}</time>`;
}

/** A POST form of the signed-in operator: CSRF token, the language kept in its action, its fields and one button. */
export function postForm(ctx: ConsoleContext, action: string, fields: Fragment, button: Html, options: { inline?: boolean } = {}): Html {
  return h`<form method="post" action="${withLang(action, ctx.lang)}"${options.inline ? h` class="inline-form"` : ''}>
<input type="hidden" name="csrf" value="${ctx.csrf}">
${fields}
<button type="submit" class="button ${options.inline ? 'button-secondary button-inline' : 'button-primary'}">${button}</button>
</form>`;
}

/**
 * A field with its label, its hint and, after a refused post, its error: `control` (an
 * input or a textarea with this `id`) gets the attributes that tie the hint and the error
 * to it.
 * @example hintedField({ id: 'lock-reason', label, hint, error }, (aria) => h`<input type="text" id="lock-reason" name="reason" required${aria}>`)
 */
export function hintedField(
  field: { id: string; label: Html; hint: Html; error: string | undefined },
  control: (aria: Html) => Html,
): Html {
  const { id, error } = field;
  const aria = h` aria-describedby="${id}-hint${error === undefined ? '' : ` ${id}-error`}"${error === undefined ? '' : h` aria-invalid="true"`}`;
  return h`<div class="field">
<label for="${id}">${field.label}</label>
<p class="hint" id="${id}-hint">${field.hint}</p>
${error === undefined ? '' : h`<p class="field-error" id="${id}-error">${error}</p>`}
${control(aria)}
</div>`;
}

/** A hidden field. */
export function hidden(name: string, value: string): Html {
  return h`<input type="hidden" name="${name}" value="${value}">`;
}

/** A table in a region that scrolls on a phone (focusable, named by its caption's heading). */
export function table(id: string, caption: Html, head: readonly Html[], rows: readonly Html[]): Html {
  return h`<div class="table-scroll" role="region" aria-labelledby="${id}" tabindex="0">
<table>
<caption id="${id}">${caption}</caption>
<thead><tr>${head.map((cell) => h`<th scope="col">${cell}</th>`)}</tr></thead>
<tbody>
${rows}
</tbody>
</table>
</div>`;
}

/** A GET search form: one field named `q`, the language kept as a hidden field. */
export function searchForm(ctx: ConsoleContext, action: string, id: string, label: Html, value: string): Html {
  return h`<form method="get" action="${localPath(action)}" class="search" role="search">
${ctx.lang === undefined ? '' : hidden('lang', ctx.lang)}
<div class="field">
<label for="${id}">${label}</label>
<input type="text" id="${id}" name="q" value="${cleanText(value)}" maxlength="255" autocapitalize="none" spellcheck="false">
</div>
<button type="submit" class="button button-primary button-inline">${t(ctx.locale, 'console.search')}</button>
</form>`;
}

/** Errors of a form just posted, as an alert the page starts with. */
export function errorSummary(locale: Locale, messages: readonly Html[]): Html {
  if (messages.length === 0) return h``;
  return h`<div class="error-summary" role="alert" tabindex="-1">
<h2>${t(locale, 'console.error.heading')}</h2>
<ul>${messages.map((message) => h`<li>${message}</li>`)}</ul>
</div>`;
}

/** What a POST just did, said once on the page it redirected to (`?done=`). */
export function doneNotice(message: Html | undefined): Html {
  return message === undefined ? h`` : h`<div class="notice" role="status"><p>${message}</p></div>`;
}

function menu(view: ConsoleView, locale: Locale): Html {
  return h`<nav class="console-nav" aria-label="${text(locale, 'console.nav.label')}">
<ul>${CONSOLE_SECTIONS.map(
    (section) =>
      h`<li><a href="${withLang(`/console/${section}`, view.lang)}"${section === view.section ? h` aria-current="page"` : ''}>${t(locale, `console.nav.${section}`)}</a></li>`,
  )}</ul>
</nav>`;
}

/** The console's page shell: head, skip link, header (menu, who is signed in, sign-out), `<main>`. */
export function consoleLayout(view: ConsoleView, locale: Locale, options: { title: string; error?: boolean; main: Html }): string {
  const operator = cleanText(view.operatorName ?? '').trim() || DEFAULT_OPERATOR;
  const title = options.error ? text(locale, 'layout.errorTitle', { title: options.title }) : options.title;
  const who = view.signedIn;
  const ctx = consoleContext(view, locale);
  return h`<!doctype html>
<html lang="${locale}" dir="${LOCALE_DIRECTION[locale]}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<meta name="color-scheme" content="light dark">
<title>${title} – ${text(locale, 'console.name', { operator })}</title>
<link rel="stylesheet" href="${CONSOLE_CSS_HREF}" integrity="${CONSOLE_CSS_INTEGRITY}">
<link rel="icon" href="data:,">
</head>
<body class="console">
<a class="skip-link" href="#main">${t(locale, 'layout.skip')}</a>
<header class="site-header">
${view.testMode ? h`<p class="test-mode" role="note">${t(locale, 'console.testMode')}</p>` : ''}
<p class="operator">${t(locale, 'console.name', { operator })}</p>
${
  who === undefined
    ? ''
    : h`<div class="signed-in">
<p>${t(locale, 'console.signedInAs', { name: who.displayName, role: text(locale, `console.role.${who.role}`) })}</p>
${postForm(ctx, '/console/sign-out', '', t(locale, 'console.signOut'), { inline: true })}
</div>`
}
${languageSwitch(view, locale)}
${who === undefined ? '' : menu(view, locale)}
</header>
<main id="main" tabindex="-1">
${options.main}
</main>
</body>
</html>
`.toString();
}
