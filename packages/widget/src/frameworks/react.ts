/**
 * `@caisse/widget/react`: `<caisse-checkout>` in React's JSX (React 19:
 * `React.JSX.IntrinsicElements`, which the global `JSX` of `@types/react` 18 extends too).
 * Types only; importing it at run time loads an empty module.
 * @example
 * import type {} from '@caisse/widget/react';
 * <caisse-checkout ticket={ticket} server="https://pay.example" mode="popup" verify-url="/caisse/return"
 *   oncaisse:paid={(event) => navigate(`/orders/${event.detail.voucher.serial}`)} />
 */
import type { DetailedHTMLProps, HTMLAttributes } from 'react';
import type { CaisseCheckoutElement } from '../element.js';
import type { CheckoutElementProps } from './element-props.js';

/**
 * The props of `<caisse-checkout>` in React 19, which sets `messages` and `locales` as
 * properties (once the element is defined) and adds `oncaisse:*` as event listeners.
 * Also for an element registered under another name: `'my-checkout': CaisseCheckoutProps`.
 */
export type CaisseCheckoutProps = DetailedHTMLProps<HTMLAttributes<CaisseCheckoutElement>, CaisseCheckoutElement> & CheckoutElementProps;

declare module 'react' {
  namespace JSX {
    interface IntrinsicElements {
      'caisse-checkout': CaisseCheckoutProps;
    }
  }
}
