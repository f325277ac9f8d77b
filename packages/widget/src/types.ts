/**
 * The reasons a payment server gives when it refuses (DESIGN.md, "Refusal"). A newer
 * server may send a reason this version does not know; it is passed on as it came and
 * shown as "No reason was given."
 */
export type RefusalReason =
  | 'insufficient_funds'
  | 'ceiling_exceeded'
  | 'authentication_failed'
  | 'account_locked'
  | 'customer_declined'
  | 'confirmation_expired'
  | 'bank_declined'
  | 'ticket_expired'
  | 'ticket_invalid'
  | 'ticket_replayed'
  | 'merchant_unknown';

/**
 * Where a checkout stands. Each state has its own text, announced politely to screen readers.
 * - `idle`: the button is ready.
 * - `opening`: the ticket is on its way to the payment server (redirect mode stays here while the page leaves).
 * - `waiting`: the payment window is open; an overlay keeps focus.
 * - `confirming`: the payment server says the customer's phone is asked to confirm.
 * - `verifying`: the result came back and is being checked by the merchant's `verifyUrl`.
 * - `paid`, `refused`, `cancelled`: the outcome.
 * - `expired`: the ticket's `exp` has passed; a new ticket (page reload) is needed.
 * - `offline`: the browser has no network; paying waits for it.
 * - `error`: something failed; `retryable` errors offer "Try again".
 */
export type CheckoutState =
  | 'idle'
  | 'opening'
  | 'waiting'
  | 'confirming'
  | 'verifying'
  | 'paid'
  | 'refused'
  | 'cancelled'
  | 'expired'
  | 'offline'
  | 'error';

/**
 * The voucher as the merchant's `verifyUrl` returns it after verifying it (the server-kit
 * return handler sends every claim but `state`).
 */
export interface VoucherSummary {
  /** The payment server's register serial. */
  jti: string;
  /** The merchant's order serial. */
  serial: string;
  amount: number;
  currency: string;
  /** `authorised`, `authenticated`, `held` or, for an allowance ticket, `granted`. */
  status: string;
  [claim: string]: unknown;
}

/**
 * The outcome of a checkout, as `handleReturn` resolves it.
 * - `paid`: the merchant's backend verified the voucher; `redirectTo` if its `onPaid` hook named a page.
 * - `refused`: the payment server refused, with its `reason`.
 * - `cancelled`: the customer cancelled (a `customer_declined` refusal, or the payment window closed).
 * - `expired`: the ticket expired (a `ticket_expired` refusal).
 * - `error`: `code` is a Caisse error code from the merchant backend (`token_replayed`, …) or
 *   `network_error`, `server_error`, `response_invalid`, `config_invalid`, `token_malformed`
 *   (two tokens in the return URL); `retryable` when sending the same token again may help.
 * - `none`: the page address carried no result.
 */
export type CheckoutResult =
  | { status: 'paid'; voucher: VoucherSummary; redirectTo?: string | undefined }
  | { status: 'refused'; reason: RefusalReason | (string & {}); redirectTo?: string | undefined }
  | { status: 'cancelled'; reason?: RefusalReason | (string & {}) | undefined; redirectTo?: string | undefined }
  | { status: 'expired'; reason?: RefusalReason | (string & {}) | undefined; redirectTo?: string | undefined }
  | { status: 'error'; code: string; retryable: boolean }
  | { status: 'none' };

/**
 * The events the element (or the element given to `mount`) dispatches. All bubble and
 * cross the shadow boundary (`composed`).
 * @example el.addEventListener('caisse:paid', (event) => showOrder(event.detail.voucher.serial))
 */
export interface CheckoutEventMap {
  /** Every change of state. */
  'caisse:state': CustomEvent<{ state: CheckoutState; previous: CheckoutState }>;
  /** The merchant backend verified the voucher. */
  'caisse:paid': CustomEvent<{ voucher: VoucherSummary; redirectTo?: string | undefined }>;
  /** The payment server refused, for `reason`. */
  'caisse:refused': CustomEvent<{ reason: string; redirectTo?: string | undefined }>;
  /** The customer cancelled: closed the window or pressed Cancel (`{}`), or declined on the payment server (`reason: 'customer_declined'`). */
  'caisse:cancelled': CustomEvent<{ reason?: string | undefined; redirectTo?: string | undefined }>;
  /** Something failed; see `CheckoutResult` for the codes. `message` is for developers. */
  'caisse:error': CustomEvent<{ code: string; retryable: boolean; message?: string | undefined }>;
}
