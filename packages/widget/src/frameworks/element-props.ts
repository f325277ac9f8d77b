/**
 * What `<caisse-checkout>` takes, described once for the JSX and template typings of
 * every framework (`@caisse/widget/react`, `/preact`, `/vue`, `/svelte`). Types only.
 */
import type { Locales, Messages } from '../messages.js';
import type { CheckoutEventMap } from '../types.js';

/**
 * The attributes, strings as in HTML, each the kebab-case name of a `CheckoutOptions`
 * member. `ticket` and `server` are required and popup mode needs `verify-url`: a button
 * that could only say "This payment button is not set up correctly." does not compile.
 */
export type CheckoutAttributes = {
  /** The ticket JWS from the merchant backend (`createTicket(...).token`). */
  ticket: string;
  /** The payment server's base URL; the ticket is posted to `<server>/pay`. */
  server: string;
  /** A BCP 47 language tag; default the browser's language. */
  lang?: string | undefined;
  /** A CSP nonce for the `<style>` fallback of browsers without constructed stylesheets. */
  nonce?: string | undefined;
} & (
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
