import type { PaymentServer } from './urls.js';
import { isCode } from './verify.js';

/** The message the payment server's last page sends to `window.opener`. */
export interface ResultMessage {
  type: 'caisse:result';
  kind: 'voucher' | 'refusal';
  token: string;
}

/**
 * Exactly `{ type: 'caisse:result', kind: 'voucher' | 'refusal', token }`, the token a
 * compact JWS of at most 16 384 characters; nothing more, nothing less.
 * @example isResultMessage(event.data)
 */
export function isResultMessage(data: unknown): data is ResultMessage {
  const { type, kind, token } = (data ?? {}) as Partial<ResultMessage>;
  return (
    Object.keys(data ?? {}).length === 3 &&
    type === 'caisse:result' &&
    (kind === 'voucher' || kind === 'refusal') &&
    /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token as string) &&
    (token as string).length <= 16_384
  );
}

/**
 * The live status the payment server's page posts to `window.opener` while it runs:
 * `{ type: 'caisse:status', state: 'confirming', expiresAt }` when the customer's phone
 * is asked to confirm, then `{ type: 'caisse:status', state }` when the checkout moves on.
 */
export interface StatusMessage {
  type: 'caisse:status';
  /** The checkout session's state (`identifying`, `confirming`, `authorising`, …). */
  state: string;
  /** With `confirming` only: when the confirmation request expires (ISO 8601). */
  expiresAt?: string;
}

/**
 * Exactly `{ type: 'caisse:status', state: 'confirming', expiresAt }` with a date, or
 * `{ type: 'caisse:status', state }` for any other state code.
 * @example isStatusMessage({ type: 'caisse:status', state: 'confirming', expiresAt: '2026-01-15T12:05:00Z' }) // true
 */
export function isStatusMessage(data: unknown): data is StatusMessage {
  const { type, state, expiresAt } = (data ?? {}) as Partial<StatusMessage>;
  const confirming = state === 'confirming';
  return (
    Object.keys(data ?? {}).length === (confirming ? 3 : 2) &&
    type === 'caisse:status' &&
    isCode(state) &&
    (!confirming || (typeof expiresAt === 'string' && Date.parse(expiresAt) > 0))
  );
}

/**
 * Opens an empty, named popup for the form to post into; `null` when the browser blocked
 * it. No `noopener`: the widget needs the window to recognise its messages and see it close.
 */
export function openPaymentWindow(name: string): Window | null {
  return open('', name, 'popup,width=480,height=720');
}

/**
 * Listens to one payment window: its status while it runs, then its result. A message
 * counts only if it comes from the payment server's exact origin, from that very window,
 * and has exactly a status or result shape; anything else is ignored (another tab, an ad
 * frame, an extension).
 * `check` is called on the widget's timer: `closed()` fires when the window is seen
 * closed on two ticks in a row, because the payment server posts its message and then
 * closes the window, and the close can be visible before the message is delivered.
 * `stop` removes the listener.
 */
export function watchPaymentWindow(
  popup: Window,
  server: PaymentServer,
  on: { result(message: ResultMessage): void; status(message: StatusMessage): void; closed(): void },
): { check(): void; stop(): void } {
  let closedBefore = false;
  const stop = () => removeEventListener('message', listener);
  const listener = (event: MessageEvent) => {
    const { data } = event;
    if (event.origin !== server.origin || event.source !== popup) return;
    if (isStatusMessage(data)) on.status(data);
    if (!isResultMessage(data)) return;
    stop();
    on.result(data);
  };
  addEventListener('message', listener);
  return {
    check() {
      if (popup.closed && closedBefore) {
        stop();
        on.closed();
      }
      closedBefore = popup.closed;
    },
    stop,
  };
}
