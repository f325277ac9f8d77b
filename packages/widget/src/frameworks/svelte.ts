/**
 * `@caisse/widget/svelte`: `<caisse-checkout>` in Svelte 5 markup (`SvelteHTMLElements` of
 * `svelte/elements`, which `svelte-check` and the Svelte language tools read).
 * Types only; importing it at run time loads an empty module.
 * @example
 * // src/app.d.ts: import type {} from '@caisse/widget/svelte';
 * // <!-- svelte-ignore attribute_illegal_colon -->
 * // <caisse-checkout {ticket} server="https://pay.example" mode="popup" verify-url="/caisse/return"
 * //   oncaisse:paid={(event) => goto(`/orders/${event.detail.voucher.serial}`)}></caisse-checkout>
 */
import type { HTMLAttributes } from 'svelte/elements';
import type { CaisseCheckoutElement } from '../element.js';
import type { CheckoutEventMap } from '../types.js';
import type { CheckoutElementProps } from './element-props.js';

/** The listeners in Svelte 4's directive syntax (`on:caisse:paid`), still accepted outside runes mode. */
type Directives = {
  [Name in keyof CheckoutEventMap as `on:${Name}`]?: ((event: CheckoutEventMap[Name]) => void) | undefined;
};

/**
 * The attributes of `<caisse-checkout>` in Svelte 5, which sets `messages` and `locales`
 * as properties and adds `oncaisse:*` as event listeners. Also for an element registered
 * under another name: `'my-checkout': CaisseCheckoutAttributes` in `SvelteHTMLElements`.
 */
export type CaisseCheckoutAttributes = HTMLAttributes<CaisseCheckoutElement> & CheckoutElementProps & Directives;

declare module 'svelte/elements' {
  interface SvelteHTMLElements {
    'caisse-checkout': CaisseCheckoutAttributes;
  }
}
