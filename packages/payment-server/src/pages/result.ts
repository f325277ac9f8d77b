import { bdi, h, merchantUrl } from './html.js';
import { type Locale, t, text } from './i18n.js';
import { layout, type PageBase } from './layout.js';

/** How the checkout ended, as the result page words it. */
export type ResultOutcome = 'paid' | 'held' | 'authenticated' | 'refused' | 'cancelled';

export interface ResultRedirectView extends PageBase {
  outcome: ResultOutcome;
  merchantName: string;
  /**
   * Where to go: the merchant's return URL with the voucher, or its cancel URL with the
   * refusal. The route has checked its origin against the merchant's registered origins;
   * this page also insists on https (http on loopback) and throws otherwise.
   */
  url: string;
  /**
   * Popup checkout: the page hands the result to the merchant page that opened it
   * (`postMessage` to exactly `targetOrigin`, by the external script at
   * {@link POPUP_RESULT_SCRIPT_PATH}) and closes; the link stays as the way back if the
   * opener is gone or scripts are off.
   */
  popup?: { kind: 'voucher' | 'refusal'; token: string; targetOrigin: string };
}

export const POPUP_RESULT_SCRIPT_PATH = '/assets/popup-result.js';

/**
 * Served at {@link POPUP_RESULT_SCRIPT_PATH}. Sends the result only to the origin the
 * server wrote in the page (the ticket's return or cancel origin), never `*`, then closes
 * the popup; without an opener it goes to the merchant URL itself.
 */
export const POPUP_RESULT_SCRIPT = `(function () {
  var data = document.getElementById('caisse-result');
  if (!data) return;
  var opener = window.opener;
  if (opener && !opener.closed) {
    opener.postMessage({ type: 'caisse:result', kind: data.getAttribute('data-kind'), token: data.getAttribute('data-token') }, data.getAttribute('data-origin'));
    window.close();
  } else {
    window.location.replace(data.getAttribute('data-url'));
  }
})();
`;

/**
 * The result as a page with one "Return to <merchant>" button, for when the route cannot
 * answer `303 See Other` to the merchant URL itself (which it should do whenever it can).
 *
 * Deliberately no `<meta http-equiv="refresh">` and no script: a timed refresh takes the
 * move away from the customer (WCAG 2.2.1, 3.2.5) and cannot be paused; it leaves this
 * page, with the token in its link, in the history so Back replays the redirect; and
 * referrer handling of meta refresh varies between browsers. A plain link, followed by
 * the customer, with `rel="noreferrer"` (and the page's `Referrer-Policy: no-referrer`),
 * is predictable. The page must be served `Cache-Control: no-store` (it holds a token).
 */
export function resultRedirectPage(view: ResultRedirectView, locale: Locale): string {
  const url = merchantUrl(view.url);
  if (url === undefined) throw new TypeError('resultRedirectPage needs an https merchant URL (http only on loopback).');
  const merchant = bdi(view.merchantName);
  const key = `result.title.${view.outcome}` as const;
  const main = h`<h1>${t(locale, key)}</h1>
<p>${t(locale, 'result.intro', { merchant })}</p>
<div class="actions">
<a class="button button-primary" href="${url}" rel="noreferrer">${t(locale, 'result.button', { merchant })}</a>
</div>
<p class="muted">${t(locale, 'result.validity', { merchant })}</p>
${
  view.popup === undefined
    ? ''
    : h`<div id="caisse-result" hidden data-kind="${view.popup.kind}" data-token="${view.popup.token}" data-origin="${view.popup.targetOrigin}" data-url="${url}"></div>
<script src="${POPUP_RESULT_SCRIPT_PATH}" defer></script>`
}`;
  return layout(view, locale, { title: text(locale, key), main });
}
