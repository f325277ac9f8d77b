/**
 * @caisse/widget: the Caisse checkout button for merchant pages.
 * - {@link mount} shows the button in an element (shadow DOM), in redirect or popup mode.
 * - `handleReturn` finishes the payment on the merchant's return page: its own entry,
 *   `@caisse/widget/return`, since the checkout page does not need it.
 * - {@link defineCheckoutElement} registers `<caisse-checkout>`.
 * - {@link en} holds the English texts; other languages are subpath entries
 *   (`@caisse/widget/locales/fr`) passed as `locales: { fr }`.
 * The script-tag file `dist/caisse.js` does the same through `window.Caisse`, French included.
 */
export { type CheckoutHandle, type CheckoutOptions, mount } from './checkout.js';
export { type CaisseCheckoutElement, defineCheckoutElement } from './element.js';
export { en, type Locales, type MessageKey, type Messages } from './messages.js';
export type { CheckoutEventMap, CheckoutResult, CheckoutState, RefusalReason, VoucherSummary } from './types.js';

import type { CaisseCheckoutElement } from './element.js';
import type { CheckoutEventMap } from './types.js';

declare global {
  interface HTMLElementTagNameMap {
    'caisse-checkout': CaisseCheckoutElement;
  }
  interface HTMLElementEventMap extends CheckoutEventMap {}
}
