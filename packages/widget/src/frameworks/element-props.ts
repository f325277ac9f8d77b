/**
 * What `<caisse-checkout>` takes, described once for the JSX and template typings of
 * every framework (`@caisse/widget/react`, `/preact`, `/vue`, `/svelte`). Types only.
 */
import type { Locales, Messages } from '../messages.js';
import type { CheckoutEventMap } from '../types.js';

/**
 * The attributes, strings as in HTML, each the kebab-case name of a `CheckoutOptions`
 * member. `server` is required, and a `ticket` or, for quote mode, a `merchant` and an
 * `item`; popup mode needs `verify-url`: a button that could only say "This payment
 * button is not set up correctly." does not compile.
 */
export type CheckoutAttributes = {
  /** The payment server's base URL; the ticket is posted to `<server>/pay`, a quote request to `<server>/quote`. */
  server: string;
  /** A BCP 47 language tag; default the browser's language. */
  lang?: string | undefined;
  /** A CSP nonce for the `<style>` fallback of browsers without constructed stylesheets. */
  nonce?: string | undefined;
} & (
  | {
      /** The ticket JWS from the merchant backend (`createTicket(...).token`). */
      ticket: string;
      merchant?: undefined;
      item?: undefined;
      quantity?: undefined;
      state?: undefined;
    }
  | {
      ticket?: undefined;
      /** Quote mode: the merchant's id at the payment server, which asks its quote endpoint for the price. */
      merchant: string;
      /** Quote mode: the merchant's reference of the item. */
      item: string;
      /** Quote mode: how many, a whole number from 1; default 1. */
      quantity?: number | string | undefined;
      /** Quote mode: the browser binding from the merchant page (`ensureState`). */
      state?: string | undefined;
    }
) &
  (
    | {
        /** `redirect` (default): the whole page goes to the payment server and comes back to the return URL. */
        mode?: 'redirect' | undefined;
        /** The merchant's return handler (`POST { token }`). */
        'verify-url'?: string | undefined;
      }
    | {
        /** `popup`: the payment server opens in a window; the result comes back to this page. */
        mode: 'popup';
        /** The merchant's return handler (`POST { token }`), which verifies the result: required in popup mode. */
        'verify-url': string;
      }
  );

/** The properties: objects, which frameworks set as properties of the element, not as attributes. */
export interface CheckoutProperties {
  /** Replacements for any of the built-in texts, e.g. `{ pay: 'Buy for {amount}' }`. */
  messages?: Partial<Messages> | undefined;
  /** Texts in other languages, by primary subtag: `{ fr }` from `@caisse/widget/locales/fr`. */
  locales?: Locales | undefined;
}

/**
 * The event handlers, named `on` + the event's name (`oncaisse:paid`): React 19, Preact
 * and Svelte 5 add a listener for the name that follows `on`, as it is written.
 */
export type CheckoutEventHandlers = {
  [Name in keyof CheckoutEventMap as `on${Name}`]?: ((event: CheckoutEventMap[Name]) => void) | undefined;
};

/** Everything `<caisse-checkout>` takes, before each framework adds its own (`class`, `ref`, `key`, `style`…). */
export type CheckoutElementProps = CheckoutAttributes & CheckoutProperties & CheckoutEventHandlers;
