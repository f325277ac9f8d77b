/**
 * @caisse/widget: the Caisse checkout button for merchant pages.
 * - {@link mount} shows the button in an element (shadow DOM), in redirect or popup mode.
 * - {@link handleReturn} finishes the payment on the merchant's return page.
 * - {@link defineCheckoutElement} registers `<caisse-checkout>`.
 * The script-tag file `dist/caisse.js` does the same through `window.Caisse`.
 */
export { type CheckoutHandle, type CheckoutOptions, mount } from './checkout.js';
export { type CaisseCheckoutElement, defineCheckoutElement } from './element.js';
export { MESSAGES, type MessageKey, type Messages } from './messages.js';
export { handleReturn, type ReturnOptions, type ReturnResult } from './return.js';
export type { CheckoutEventMap, CheckoutResult, CheckoutState, RefusalReason, VoucherSummary } from './types.js';

import type { CaisseCheckoutElement } from './element.js';
import type { CheckoutEventMap } from './types.js';

declare global {
  interface HTMLElementTagNameMap {
    'caisse-checkout': CaisseCheckoutElement;
  }
  interface HTMLElementEventMap extends CheckoutEventMap {}
}
