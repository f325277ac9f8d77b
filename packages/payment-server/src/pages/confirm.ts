import type { AllowanceTerms, TicketClaims } from '@caisse/protocol';
import { allowanceOf, allowanceTermsLines, deadline } from './checkout.js';
import { bdi, h, localPath } from './html.js';
import { formatAmount, type Locale, t, text } from './i18n.js';
import { buttonForm } from './identify.js';
import { context, layout, type PageBase } from './layout.js';

/** Shown while the customer's phone is asked to confirm; the page works without its script, which only adds live status. */
export interface ConfirmOnPhoneView extends PageBase {
  kind: TicketClaims['kind'];
  /** The terms of an `allowance` ticket (required for that kind): the page says what is granted, as the phone does. */
  allowance?: AllowanceTerms;
  merchantName: string;
  /** Minor units; not shown for an authentication; the maximum of an allowance. */
  amount: number;
  currency: string;
  /** When the confirmation request expires: shown as a time, the countdown target. */
  expiresAt: Date;
  csrfToken: string;
  actions: {
    /** GET: shows the session as it now stands (this page again, or a redirect to the result). */
    refresh: string;
    /** POST: `csrf`. */
    cancel: string;
  };
  /**
   * Live status: the page loads {@link CONFIRM_LIVE_SCRIPT_PATH}, which follows `events`
   * (the session's `text/event-stream`), counts down from `secondsLeft` (measured on the
   * server, so a wrong clock on the customer's device does not matter) and reloads
   * `actions.refresh` when the session leaves `confirming` or the time is up. Without it
   * (or without script) the page says it does not update and offers "Check again".
   */
  live?: {
    events: string;
    secondsLeft: number;
    /**
     * In a popup checkout, the merchant's return origin: the script tells the widget on the
     * opener what is happening (`caisse:status`), only at that exact origin, so its button
     * can show the phone step and the time left.
     */
    openerOrigin?: string;
  };
}

export const CONFIRM_LIVE_SCRIPT_PATH = '/assets/confirm-live.js';

/**
 * Served at {@link CONFIRM_LIVE_SCRIPT_PATH} (CSP `script-src 'self'; connect-src 'self'`:
 * no inline script). Reads only the `data-` attributes the server wrote; follows nothing
 * but same-origin paths.
 */
export const CONFIRM_LIVE_SCRIPT = `(function () {
  var data = document.getElementById('caisse-live');
  if (!data || typeof EventSource === 'undefined') return;
  var refresh = data.getAttribute('data-refresh');
  if (!refresh || refresh.charAt(0) !== '/' || refresh.charAt(1) === '/') return;
  var deadline = Date.now() + Number(data.getAttribute('data-seconds-left')) * 1000;
  var clock = document.getElementById('caisse-countdown');
  var status = document.getElementById('caisse-status');
  var source = new EventSource(data.getAttribute('data-events'));
  var done = false;
  var openerOrigin = data.getAttribute('data-opener-origin');
  function tellOpener(message) {
    var opener = window.opener;
    if (openerOrigin && opener && !opener.closed) opener.postMessage(message, openerOrigin);
  }
  function leave(state) {
    if (done) return;
    done = true;
    source.close();
    if (state) tellOpener({ type: 'caisse:status', state: state });
    status.textContent = data.getAttribute('data-updating');
    window.location.replace(refresh);
  }
  function tick() {
    var left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    clock.textContent = Math.floor(left / 60) + ':' + String(left % 60).padStart(2, '0');
    // At zero the server refuses the session on the next look: that look is the reload.
    if (left === 0) setTimeout(leave, 1000);
    else setTimeout(tick, 500);
  }
  source.onmessage = function (event) {
    var message;
    try { message = JSON.parse(event.data); } catch (error) { return; }
    if (message && typeof message.state === 'string' && message.state !== 'confirming') leave(message.state);
  };
  tellOpener({ type: 'caisse:status', state: 'confirming', expiresAt: data.getAttribute('data-expires-at') });
  document.getElementById('caisse-no-update').hidden = true;
  document.getElementById('caisse-live-note').hidden = false;
  document.getElementById('caisse-countdown-line').hidden = false;
  tick();
})();
`;

function countdown(seconds: number): string {
  const left = Math.max(0, Math.floor(seconds));
  return `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
}

/**
 * "Confirm on your phone": who is paid and how much (what the phone shows too), or for an
 * allowance what the merchant may charge and until when, the time to confirm by, a
 * "Check again" link and the cancel form. There is no live update without a script: the
 * page says so and offers the link.
 */
export function confirmOnPhonePage(view: ConfirmOnPhoneView, locale: Locale): string {
  const ctx = context(view, locale);
  const merchant = bdi(view.merchantName);
  const signIn = view.kind === 'authentication';
  const terms = allowanceOf(view);
  const intro = signIn
    ? t(locale, 'confirm.introSignIn', { operator: ctx.operator, merchant })
    : t(locale, terms ? 'confirm.introAllowance' : 'confirm.intro', { operator: ctx.operator });
  const main = h`<h1>${t(locale, 'confirm.title')}</h1>
<div class="status">
<span class="spinner" aria-hidden="true"></span>
<p>${intro}</p>
</div>
${
  terms
    ? h`<div class="card">${allowanceTermsLines(terms, view, merchant, ctx)}</div>`
    : h`<dl class="totals card">
<dt>${signIn ? t(locale, 'confirm.signInTo') : t(locale, 'confirm.payee')}</dt>
<dd>${merchant}</dd>
${
  signIn
    ? ''
    : h`<dt class="grand">${t(locale, 'confirm.amount')}</dt>
<dd class="grand num">${formatAmount(view.amount, view.currency, locale)}</dd>`
}
</dl>`
}
<p>${t(locale, 'confirm.deadline', { time: deadline(view.expiresAt, ctx) })}</p>
${
  view.live === undefined
    ? h`<p class="muted">${t(locale, 'confirm.noUpdate')}</p>`
    : h`<p id="caisse-countdown-line" hidden>${t(locale, 'confirm.timeLeft')} <span id="caisse-countdown" role="timer" class="num">${countdown(view.live.secondsLeft)}</span></p>
<p class="muted" id="caisse-status" role="status"><span id="caisse-live-note" hidden>${t(locale, 'confirm.live')}</span><span id="caisse-no-update">${t(locale, 'confirm.noUpdate')}</span></p>`
}
<div class="actions">
<a class="button button-primary" href="${localPath(view.actions.refresh)}">${t(locale, 'confirm.refresh')}</a>
</div>
${buttonForm(view.actions.cancel, view.csrfToken, t(locale, 'checkout.cancelButton', { merchant }))}
${
  view.live === undefined
    ? ''
    : h`<div id="caisse-live" hidden data-events="${localPath(view.live.events)}" data-refresh="${localPath(view.actions.refresh)}" data-seconds-left="${String(Math.max(0, Math.floor(view.live.secondsLeft)))}" data-updating="${text(locale, 'confirm.updating')}" data-expires-at="${view.expiresAt.toISOString()}"${
        view.live.openerOrigin === undefined ? '' : h` data-opener-origin="${view.live.openerOrigin}"`
      }></div>
<script src="${CONFIRM_LIVE_SCRIPT_PATH}" defer></script>`
}`;
  return layout(view, locale, { title: text(locale, 'confirm.title'), main });
}
