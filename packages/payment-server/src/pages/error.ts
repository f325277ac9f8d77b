import { cleanText, h, localPath, merchantUrl } from './html.js';
import { type Locale, t, text } from './i18n.js';
import { layout, type PageBase } from './layout.js';

/**
 * Problem codes (from the HTTP layer's `SERVER_ERROR_CODES`) that have their own words
 * on the error page. Any other code gets the generic text, with the code shown for support.
 */
export const ERROR_PAGE_CODES = [
  'not_found',
  'request_invalid',
  'body_too_large',
  'csrf_invalid',
  'session_unknown',
  'internal_error',
  'too_many_requests',
  'service_unavailable',
  'quote_failed',
  'quote_unavailable',
  'quote_endpoint_missing',
  'content_released',
  'content_withheld',
  'merchant_pending',
  'merchant_suspended',
] as const;
export type ErrorPageCode = (typeof ERROR_PAGE_CODES)[number];

export function isErrorPageCode(code: string): code is ErrorPageCode {
  return (ERROR_PAGE_CODES as readonly string[]).includes(code);
}

export interface ErrorView extends PageBase {
  /** The HTTP status the route answers with (404, 410, 403…). Shown as "Error 404". */
  status: number;
  /**
   * The stable problem code, e.g. `session_unknown` (404), `csrf_invalid` (403: "the
   * form expired, reload the page"), `not_found` (404). Shown for support.
   */
  code: string;
  /**
   * Extra words for the customer, shown as given (escaped). Never a token, an access key
   * or an internal error message; it is not translated, so prefer leaving it out.
   */
  detail?: string;
  /** GET URL of the page to reload (path-absolute), for `csrf_invalid`… */
  retryUrl?: string;
  /** A trusted merchant URL to go back to (https), when there is one. */
  backUrl?: string;
}

const SAFE_CODE = /^[a-z][a-z0-9_]{0,63}$/;

/** A generic problem page: what happened in words, what to do, the status and the code. */
export function errorPage(view: ErrorView, locale: Locale): string {
  const key = isErrorPageCode(view.code) ? view.code : 'generic';
  const title = text(locale, `error.${key}.title`);
  const back = merchantUrl(view.backUrl);
  const code = SAFE_CODE.test(view.code) ? view.code : undefined;
  const main = h`<h1>${title}</h1>
<p>${t(locale, `error.${key}.body`)}</p>
${view.detail === undefined || view.detail.trim() === '' ? '' : h`<p>${t(locale, 'error.detail', { detail: cleanText(view.detail).slice(0, 500) })}</p>`}
${
  view.retryUrl === undefined && back === undefined
    ? ''
    : h`<div class="actions">
${view.retryUrl === undefined ? '' : h`<a class="button button-primary" href="${localPath(view.retryUrl)}">${t(locale, 'error.retry')}</a>`}
${back === undefined ? '' : h`<a class="button button-secondary" href="${back}" rel="noreferrer">${t(locale, 'error.back')}</a>`}
</div>`
}
<p class="muted">${t(locale, 'error.status', { status: String(view.status) })}${
    code === undefined ? '' : h` · ${t(locale, 'error.reference', { code })}`
  }</p>`;
  return layout(view, locale, { title, error: true, main });
}
