import { render } from 'preact';
import { type Locales, type Messages, translator } from './messages.js';
import { outcome } from './outcome.js';
import { openPaymentWindow, watchPaymentWindow } from './popup.js';
import { postForm } from './post-form.js';
import { applyStyles } from './styles.js';
import { readTicket } from './ticket.js';
import type { CheckoutResult, CheckoutState } from './types.js';
import { type PaymentServer, paymentServer, verifyEndpoint } from './urls.js';
import { verifyToken } from './verify.js';
import { type Model, payable, View } from './view.js';

/**
 * Options of {@link mount}; the custom element takes the same as attributes
 * (`verify-url`) and the `messages` and `locales` properties. Give a `ticket`, or, for
 * quote mode, a `merchant` and an `item` (and `quantity`, `state`): the payment server
 * then asks the merchant's quote endpoint for the price when the customer presses the button.
 */
export interface CheckoutOptions {
  /** The ticket JWS from the merchant backend (`createTicket(...).token`). */
  ticket?: string | undefined;
  /** Quote mode (no ticket): the merchant's id at the payment server. */
  merchant?: string | undefined;
  /** Quote mode: the merchant's reference of the item, as its quote endpoint knows it. */
  item?: string | undefined;
  /** Quote mode: how many, a whole number from 1; default 1. */
  quantity?: number | string | undefined;
  /** Quote mode: the browser binding from the merchant page (`ensureState`), sent to its quote endpoint. */
  state?: string | undefined;
  /** The payment server's base URL; the ticket is posted to `<server>/pay`, a quote request to `<server>/quote`. */
  server?: string | undefined;
  /** `redirect` (default): the page goes to the payment server. `popup`: it opens in a window and the result comes back by `postMessage`. */
  mode?: 'redirect' | 'popup' | undefined;
  /** The merchant's return handler, which verifies the result token (`POST { token }`). Required in popup mode. */
  verifyUrl?: string | undefined;
  /** A BCP 47 language tag; default the browser's language. Its primary subtag picks the texts in `locales`; English otherwise. */
  lang?: string | undefined;
  /** Texts in other languages, by primary subtag: `{ fr }` from `@caisse/widget/locales/fr`. */
  locales?: Locales | undefined;
  /** Replacements for any of the built-in texts. */
  messages?: Partial<Messages> | undefined;
  /** A CSP nonce for the `<style>` fallback of browsers without constructed stylesheets. */
  nonce?: string | undefined;
}

/** What {@link mount} returns. */
export interface CheckoutHandle {
  /** The current state. */
  readonly state: CheckoutState;
  /** Changes options; a new ticket, server, mode, merchant or item starts over from `idle` (unless a payment is under way). */
  update(options: Partial<CheckoutOptions>): void;
  /** Removes the widget, its listeners and its timer; an open payment window is left alone. */
  destroy(): void;
}

/** The controller behind both the checkout button and the return page. */
export interface Widget extends CheckoutHandle {
  /** Verifies a result token with the merchant backend and shows the outcome. */
  settle(token: string, verifyUrl: string): Promise<CheckoutResult>;
  /** Shows an outcome. */
  conclude(result: CheckoutResult): CheckoutResult;
}

const OVERLAY = /^(waiting|confirming)$/;
/** States in which the ticket's expiry matters: nothing was sent yet, or it may be sent again. */
const EXPIRING = /^(idle|cancelled|offline)$/;
/** States that end with an event of their own name (`caisse:paid`, …). */
const REPORTED = /^(paid|refused|cancelled|error)$/;

/** The options that start over from `idle` when they change (and `merchant` and `item` can change the mode). */
const RESTART = ['ticket', 'server', 'mode', 'merchant', 'item'] as const;

/** The option a merchant got wrong, if any. With no ticket, a merchant and an item make quote mode. */
function misconfigured(options: CheckoutOptions, server: PaymentServer | undefined): string | undefined {
  const { mode, ticket } = options;
  if (!(ticket ? readTicket(ticket) : options.merchant && options.item)) return 'ticket';
  if (!server) return 'server';
  if (mode && mode !== 'redirect' && mode !== 'popup') return 'mode';
  if (mode === 'popup' && !verifyEndpoint(options.verifyUrl)) return 'verify-url';
}

/**
 * Builds the widget in `host`'s shadow root. `checkout` false makes a result-only widget
 * (the return page), which needs no ticket.
 */
export function createWidget(host: HTMLElement, initial: CheckoutOptions, checkout = true): Widget {
  let options: CheckoutOptions = {};
  let tr = translator(undefined, undefined);
  let server: PaymentServer | undefined;
  let model: Model = { state: 'idle' };
  let popup: Window | undefined;
  let watch: ReturnType<typeof watchPaymentWindow> | undefined;
  /** The one timer: the countdown, and the payment window's `closed` poll. */
  let timer: ReturnType<typeof setInterval> | undefined;
  /** When the phone confirmation expires, from the payment window's `confirming` status. */
  let phoneDeadline = 0;
  let beforeOffline: CheckoutState = 'idle';
  /** The result token, kept for "Try again" until the merchant backend has answered. */
  let pending: [token: string, verifyUrl: string] | undefined;
  let destroyed = false;
  /** A new ticket, server, mode, merchant or item arrived during a payment: applied once the button can be pressed again. */
  let stale = false;
  const windowName = `caisse${Math.random()}`.replace('.', '');

  const shadow = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
  applyStyles(shadow, initial.nonce);
  const root = shadow.appendChild(document.createElement('div'));

  function draw(): void {
    const { state, ticket } = model;
    model.remaining = state === 'confirming' ? phoneDeadline - Date.now() : ticket && ticket.exp * 1000 - Date.now();
    // View is a plain function of the model (no hooks): called directly, it needs no JSX runtime here.
    if (!destroyed) render(View({ model, tr, actions }), root);
  }

  function focusTarget(): void {
    (root.querySelector<HTMLElement>('[data-autofocus]') ?? root.querySelector<HTMLElement>('[role=status]'))?.focus();
  }

  /**
   * Moves to `state` with `detail` (also the detail of its event), renders, and reports:
   * `caisse:state` on every change, and `caisse:<state>` for outcomes.
   */
  function go(state: CheckoutState, detail: Partial<Model> = {}): void {
    if (destroyed) return;
    const previous = model.state;
    const active = shadow.activeElement as HTMLButtonElement | null;
    const { expanded, ticket, spent, quote } = model;
    // What a state was given (a reason, a deadline) goes with it; only these carry over.
    model = { state, expanded, ticket, spent, quote, ...detail };
    draw();
    // Focus moves only when the overlay opens or closes, when the focused control went away
    // or was disabled, or from the status line where it waited: never away from where the
    // customer is on the page.
    if (OVERLAY.test(state) !== OVERLAY.test(previous) || (active && (!active.isConnected || active.disabled || active.tabIndex < 0)))
      focusTarget();
    // The timer runs only while something needs it: a countdown on screen or a window to watch.
    const needed = watch || (ticket && EXPIRING.test(state));
    if (needed) timer ??= setInterval(tick, 500);
    else timer = void clearInterval(timer);
    const emit = (type: string, eventDetail: object) =>
      host.dispatchEvent(new CustomEvent(`caisse:${type}`, { detail: eventDetail, bubbles: true, composed: true }));
    if (state !== previous) emit('state', { state, previous });
    if (REPORTED.test(state)) emit(state, detail);
    if (stale && payable(model)) configure({}, true);
  }

  function tick(): void {
    watch?.check();
    const { state, ticket } = model;
    if (ticket && EXPIRING.test(state) && ticket.exp * 1000 <= Date.now()) go('expired');
    else draw();
  }

  /** Stops watching the payment window; closes it too when `close`. */
  function endWindow(close?: boolean): void {
    if (close) popup?.close();
    watch?.stop();
    watch = popup = undefined;
  }

  const actions = {
    pay() {
      const { ticket, mode, verifyUrl, merchant, item, quantity = 1, state, lang } = options;
      if (!server || !payable(model)) return;
      if (!navigator.onLine) return go('offline');
      // A quote has no expiry here: the payment server asks for a new price when one runs out.
      if ((model.ticket?.exp ?? 1 / 0) * 1000 <= Date.now()) return go('expired');
      go('opening');
      // The ticket to `/pay`; in quote mode, what to quote (and the page's language) to `/quote`.
      const [action, fields] = model.quote ? [server.quote, { merchant, item, quantity, state, lang }] : [server.pay, { ticket }];
      const opened = mode === 'popup' && openPaymentWindow(windowName);
      // A blocked popup (null) falls back to redirect mode: the same form, the whole page.
      if (!opened) return postForm(action, fields);
      popup = opened;
      postForm(action, fields, windowName);
      watch = watchPaymentWindow(opened, server, {
        result(message) {
          endWindow(true);
          void settle(message.token, verifyEndpoint(verifyUrl) as string);
        },
        // Only `confirming` changes what the customer is asked to do. Any other state,
        // `paid` included, is back to `waiting`: only the result token, verified by the
        // merchant backend, says a payment was made.
        status({ state, expiresAt }) {
          phoneDeadline = Date.parse(expiresAt as string);
          go(state === 'confirming' ? state : 'waiting');
        },
        closed() {
          endWindow();
          go('cancelled');
        },
      });
      go('waiting');
    },
    toggle() {
      model.expanded = !model.expanded;
      draw();
    },
    showWindow() {
      popup?.focus();
    },
    cancel() {
      endWindow(true);
      go('cancelled');
    },
    retry() {
      if (pending) void settle(...pending);
    },
    reload() {
      location.reload();
    },
  };

  async function settle(token: string, verifyUrl: string): Promise<CheckoutResult> {
    pending = [token, verifyUrl];
    go('verifying', { spent: true });
    return conclude(outcome(await verifyToken(verifyUrl, token)));
  }

  function conclude(result: CheckoutResult): CheckoutResult {
    const { status, ...detail } = result;
    if (status !== 'error' || !result.retryable) pending = undefined;
    model.spent = true;
    if (status !== 'none') go(status, detail);
    return result;
  }

  /** Applies options; `restart` (forced at creation) when the ticket, server, mode, merchant or item changed. */
  function configure(next: CheckoutOptions, restart?: boolean): void {
    const before = options;
    options = { ...options, ...next };
    const { ticket } = options;
    tr = translator(options.lang, options.messages, options.locales);
    restart ||= RESTART.some((key) => options[key] !== before[key]);
    stale = restart && /^(opening|waiting|confirming|verifying)$/.test(model.state);
    if (!checkout || !restart || stale) {
      draw();
      return;
    }
    server = paymentServer(options.server);
    const wrong = misconfigured(options, server);
    model = { state: model.state, ticket: wrong ? undefined : readTicket(ticket ?? ''), quote: !(wrong || ticket) };
    if (!wrong) {
      go(navigator.onLine ? 'idle' : 'offline');
      tick();
      return;
    }
    const message = `caisse: the ${wrong} is missing or invalid`;
    console.error(message);
    go('error', { code: 'config_invalid', retryable: false, message });
  }

  const listeners: Record<string, (event: Event) => void> = {
    online() {
      if (model.state === 'offline') go(beforeOffline);
    },
    offline() {
      const { state } = model;
      if (state !== 'idle' && state !== 'cancelled') return;
      beforeOffline = state;
      go('offline');
    },
    /** Back from the back-forward cache after a redirect: the page is live again, so is the button. */
    pageshow(event) {
      if ((event as PageTransitionEvent).persisted && model.state === 'opening') go('idle');
    },
  };
  for (const type in listeners) addEventListener(type, listeners[type] as EventListener);
  /** Tab and Shift+Tab stay in the overlay: with its two buttons, either key goes to the other one. */
  root.addEventListener('keydown', (event) => {
    if (event.key !== 'Tab' || !OVERLAY.test(model.state)) return;
    const buttons = [...root.querySelectorAll<HTMLElement>('[role=dialog] button')];
    event.preventDefault();
    buttons[(buttons.indexOf(shadow.activeElement as HTMLElement) + 1) % 2]?.focus();
  });

  configure(initial, true);
  return {
    get state() {
      return model.state;
    },
    update: (next) => configure(next),
    settle,
    conclude,
    destroy() {
      endWindow();
      clearInterval(timer);
      for (const type in listeners) removeEventListener(type, listeners[type] as EventListener);
      render(null, root);
      root.remove();
      destroyed = true;
    },
  };
}

/**
 * Shows the checkout button in `element`, inside a shadow root it creates. Setup
 * mistakes (no ticket, a bad server URL, popup mode without `verifyUrl`) show as the
 * `error` state, with a `caisse:error` event of code `config_invalid` and a console
 * error naming the option. Call `destroy()` before mounting again in the same element.
 * @example
 * import { mount } from '@caisse/widget';
 * const element = document.querySelector('#pay')!;
 * mount(element, { ticket, server: 'https://pay.example', mode: 'popup', verifyUrl: '/caisse/return' });
 * element.addEventListener('caisse:paid', (event) => location.assign(`/orders/${event.detail.voucher.serial}`));
 */
export function mount(element: HTMLElement, options: CheckoutOptions): CheckoutHandle {
  return createWidget(element, options);
}
