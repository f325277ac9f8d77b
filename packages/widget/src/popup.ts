import type { PaymentServer } from './urls.js';

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
 * Opens an empty, named popup for the form to post into; `null` when the browser blocked
 * it. No `noopener`: the widget needs the window to recognise its messages and see it close.
 */
export function openPaymentWindow(name: string): Window | null {
  return open('', name, 'popup,width=480,height=720');
}

/**
 * Listens for the result of one payment window. A message counts only if it comes from
 * the payment server's exact origin, from that very window, and has exactly the result
 * shape; anything else is ignored (another tab, an ad frame, an extension).
 * `check` is called on the widget's timer: `closed()` fires when the window is seen
 * closed on two ticks in a row, because the payment server posts its message and then
 * closes the window, and the close can be visible before the message is delivered.
 * `stop` removes the listener.
 */
export function watchPaymentWindow(
  popup: Window,
  server: PaymentServer,
  on: { result(message: ResultMessage): void; closed(): void },
): { check(): void; stop(): void } {
  let closedBefore = false;
  const stop = () => removeEventListener('message', listener);
  const listener = (event: MessageEvent) => {
    if (event.origin !== server.origin || event.source !== popup || !isResultMessage(event.data)) return;
    stop();
    on.result(event.data);
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
