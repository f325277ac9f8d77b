import { CHECKOUT_CSS_HREF, CHECKOUT_CSS_INTEGRITY } from './css.js';
import { cleanText, type Html, h, localPath, supportHref } from './html.js';
import { LOCALE_DIRECTION, LOCALES, type Locale, MESSAGES, t, text } from './i18n.js';

/** Fields every page's view model has. All optional. */
export interface PageBase {
  /** The payment operator's name, shown in the header, the title and the footer. Default `Caisse`. */
  operatorName?: string;
  /**
   * Where customers get help: an https URL or a `mailto:` address (operator
   * configuration). Shown in the footer and on the locked-account page; anything else is
   * not shown.
   */
  supportUrl?: string;
  /**
   * IANA time zone for every date and time on the page, e.g. `Europe/Paris`. Default
   * `UTC`. The zone is always written next to a time, so no time is ambiguous.
   */
  timeZone?: string;
  /** The current time, for "in 5 minutes" texts. Default: the clock. Tests pin it. */
  now?: Date;
  /**
   * This same page in other languages, as path-absolute GET URLs on this server (e.g.
   * `/checkout/abc?lang=fr`), for the language switch. Languages without a URL get no
   * link. Leave it out on pages that are the answer to a POST.
   */
  languageLinks?: Partial<Record<Locale, string>>;
  /**
   * The payment server runs in test mode (`CAISSE_MODE=test`): every page says, above
   * everything else, that no real money moves, so nobody takes a test payment for a real one.
   */
  testMode?: boolean;
}

export const DEFAULT_OPERATOR = 'Caisse';
export const DEFAULT_TIME_ZONE = 'UTC';

/** Resolved common settings. */
export interface PageContext {
  locale: Locale;
  operator: string;
  timeZone: string;
  now: Date;
}

export function context(view: PageBase, locale: Locale): PageContext {
  return {
    locale,
    operator: cleanText(view.operatorName ?? '').trim() || DEFAULT_OPERATOR,
    timeZone: view.timeZone ?? DEFAULT_TIME_ZONE,
    now: view.now ?? new Date(),
  };
}

export interface LayoutOptions {
  /** The page's title: its `<h1>` in plain text. */
  title: string;
  /** The page reports an error: the `<title>` starts with "Error:", as screen readers read it first. */
  error?: boolean;
  /** The content of `<main>`, starting with its one `<h1>`. */
  main: Html;
}

/** The links to this page in the other languages (`languageLinks`), or nothing; the console's pages use it too. */
export function languageSwitch(view: Pick<PageBase, 'languageLinks'>, locale: Locale): Html | undefined {
  const links = LOCALES.filter((other) => other !== locale && view.languageLinks?.[other] !== undefined).map((other) => {
    const href = localPath(view.languageLinks?.[other] as string);
    return h`<a href="${href}" lang="${other}" hreflang="${other}">${MESSAGES[other]['language.name']}</a>`;
  });
  if (links.length === 0) return undefined;
  return h`<nav class="lang-switch" aria-label="${text(locale, 'language.switch')}">${links}</nav>`;
}

/** The shared page shell: head, skip link, header with the operator's name, `<main>`, footer. */
export function layout(view: PageBase, locale: Locale, options: LayoutOptions): string {
  const { operator } = context(view, locale);
  const title = options.error ? text(locale, 'layout.errorTitle', { title: options.title }) : options.title;
  const help = supportHref(view.supportUrl);
  const page = h`<!doctype html>
<html lang="${locale}" dir="${LOCALE_DIRECTION[locale]}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<meta name="color-scheme" content="light dark">
<title>${title} – ${operator}</title>
<link rel="stylesheet" href="${CHECKOUT_CSS_HREF}" integrity="${CHECKOUT_CSS_INTEGRITY}">
<link rel="icon" href="data:,">
</head>
<body>
<a class="skip-link" href="#main">${t(locale, 'layout.skip')}</a>
<header class="site-header">
${view.testMode ? h`<p class="test-mode" role="note">${t(locale, 'layout.testMode')}</p>` : ''}
<p class="operator">${operator}</p>
${languageSwitch(view, locale)}
</header>
<main id="main" tabindex="-1">
${options.main}
</main>
<footer class="site-footer">
<p>${t(locale, 'layout.operatedBy', { operator })}</p>
${help === undefined ? '' : h`<p><a href="${help}" rel="noreferrer">${t(locale, 'layout.help', { operator })}</a></p>`}
</footer>
</body>
</html>
`;
  return page.toString();
}
