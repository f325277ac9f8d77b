/**
 * `@caisse/widget/preact`: `<caisse-checkout>` in Preact's JSX (`preact.JSX.IntrinsicElements`).
 * Types only; importing it at run time loads an empty module.
 * @example
 * import type {} from '@caisse/widget/preact';
 * <caisse-checkout ticket={ticket} server="https://pay.example" mode="popup" verify-url="/caisse/return"
 *   oncaisse:paid={(event) => route(`/orders/${event.detail.voucher.serial}`)} />
 */
import type { JSX } from 'preact';
import type { CaisseCheckoutElement } from '../element.js';
import type { CheckoutElementProps } from './element-props.js';

/**
 * The props of `<caisse-checkout>` in Preact, which sets `messages` and `locales` as
 * properties (once the element is defined) and adds `oncaisse:*` as event listeners.
 * Also for an element registered under another name: `'my-checkout': CaisseCheckoutProps`.
 */
export type CaisseCheckoutProps = JSX.HTMLAttributes<CaisseCheckoutElement> & CheckoutElementProps;

declare module 'preact' {
  namespace JSX {
    interface IntrinsicElements {
      'caisse-checkout': CaisseCheckoutProps;
    }
  }
}
