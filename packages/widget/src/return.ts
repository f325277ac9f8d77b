import { createWidget } from './checkout.js';
import type { Locales, Messages } from './messages.js';
import { outcome } from './outcome.js';
import type { CheckoutResult } from './types.js';
import { verifyEndpoint } from './urls.js';
import { isCode, verifyToken } from './verify.js';

/** Options of {@link handleReturn}. */
export interface ReturnOptions {
  /** The merchant's return handler, which verifies the token (`POST { token }`). */
  verifyUrl: string;
  /** Where to show the outcome (in a shadow root); without it, only the promise tells. */
  element?: HTMLElement | undefined;
  lang?: string | undefined;
  locales?: Locales | undefined;
  messages?: Partial<Messages> | undefined;
  nonce?: string | undefined;
}

/** What {@link handleReturn} resolves with: a retryable error can be tried again with the same token. */
export type ReturnResult = CheckoutResult | { status: 'error'; code: string; retryable: true; retry(): Promise<ReturnResult> };

const PARAMS = ['caisse_voucher', 'caisse_refusal', 'caisse_error', 'caisse_reason'];

/**
 * For the merchant's return page: reads `caisse_voucher` or `caisse_refusal` (or the
 * `caisse_error` and `caisse_reason` the server-kit return handler adds after a failed
 * GET) from the address, and removes them from the address bar and the history entry at
 * once, before any request, so the token leaks neither through history nor `Referer`.
 * Then posts the token to `verifyUrl` and shows the outcome in `element`. Resolves with
 * the outcome, `{ status: 'none' }` when the address carried nothing.
 * @example
 * const result = await Caisse.handleReturn({ verifyUrl: '/caisse/return', element: document.querySelector('#result') });
 * if (result.status === 'paid') showOrder(result.voucher.serial);
 */
export async function handleReturn(options: ReturnOptions): Promise<ReturnResult> {
  const url = new URL(location.href);
  const query = url.searchParams;
  const [vouchers, refusals, [error] = [], [reason] = []] = PARAMS.map((name) => query.getAll(name));
  const tokens = [...(vouchers as string[]), ...(refusals as string[])];
  if (!PARAMS.some((name) => query.has(name))) return { status: 'none' };
  for (const name of PARAMS) query.delete(name);
  history.replaceState(history.state, '', url);

  const { element, verifyUrl } = options;
  const widget = element && createWidget(element, options, false);
  const show = (result: CheckoutResult) => widget?.conclude(result) ?? result;
  const endpoint = verifyEndpoint(verifyUrl);
  const settle = async (token: string, endpoint: string): Promise<ReturnResult> => {
    const result = widget ? await widget.settle(token, endpoint) : outcome(await verifyToken(endpoint, token));
    return result.status === 'error' && result.retryable ? { ...result, retryable: true, retry: () => settle(token, endpoint) } : result;
  };
  if (tokens.length > 1) return show({ status: 'error', code: 'token_malformed', retryable: false });
  if (tokens[0] && endpoint) return settle(tokens[0], endpoint);
  if (tokens[0]) {
    console.error('caisse: the verifyUrl is missing or invalid');
    return show({ status: 'error', code: 'config_invalid', retryable: false });
  }
  if (error === 'payment_refused' && isCode(reason)) return show(outcome({ status: 'refused', reason }));
  return show({ status: 'error', code: isCode(error) ? error : 'server_error', retryable: false });
}
