import { type CheckoutHandle, type CheckoutOptions, createWidget } from './checkout.js';
import type { Locales, Messages } from './messages.js';
import type { CheckoutState } from './types.js';

/**
 * The attributes, each the kebab-case name of a {@link CheckoutOptions} member, and
 * `verifyurl`: `verifyUrl` as HTML lowercases it, which a Vue template may write (vue-tsc
 * checks `verify-url` as `verifyUrl`, so it accepts both spellings).
 */
const ATTRIBUTES = 'ticket merchant item quantity state server mode verify-url verifyurl lang nonce'.split(' ');

/** `verify-url` and `verifyurl` are `verifyUrl`; the others have the option's name. */
const option = (attribute: string) => attribute.replace(/-?ur/, 'Ur') as keyof CheckoutOptions;

/** The `<caisse-checkout>` element, as `defineCheckoutElement` registers it. */
export interface CaisseCheckoutElement extends HTMLElement {
  /** Replacements for any of the built-in texts (a property: attributes hold only strings). */
  messages: Partial<Messages> | undefined;
  /** Texts in other languages, by primary subtag; starts as the `locales` given to `defineCheckoutElement`. */
  locales: Locales | undefined;
  /** The checkout's current state (`idle`, `waiting`, `paid`, …). */
  get state(): CheckoutState;
  /**
   * Sets the `state` attribute's option, the browser binding of quote mode (frameworks
   * such as React set an attribute as a property when the element has one); reading
   * `state` still gives the checkout's state.
   */
  set state(binding: string | undefined);
}

/**
 * Registers `<caisse-checkout ticket merchant item quantity state server mode verify-url
 * lang nonce>`, whose elements start with `locales` (texts in other languages); a second
 * call is a no-op. The script-tag file calls it for you, with French. Where there is no
 * `customElements` (server rendering in Node, Deno or Bun) it does nothing: the same
 * module, run again in the browser, defines the element there. Call it before the first
 * render in the browser, so that frameworks find the `messages` and `locales` properties.
 * @example
 * import { defineCheckoutElement } from '@caisse/widget';
 * import { fr } from '@caisse/widget/locales/fr';
 * defineCheckoutElement('caisse-checkout', { fr });
 * // <caisse-checkout ticket="eyJ…" server="https://pay.example" mode="popup" verify-url="/caisse/return" lang="fr"></caisse-checkout>
 */
export function defineCheckoutElement(name = 'caisse-checkout', locales?: Locales): void {
  if (typeof customElements === 'undefined' || customElements.get(name)) return;
  customElements.define(
    name,
    class extends HTMLElement implements CaisseCheckoutElement {
      static observedAttributes = ATTRIBUTES;
      #handle: CheckoutHandle | undefined;
      /**
       * Every option so far. The attributes arrive through `attributeChangedCallback`,
       * which the browser calls for those already in the HTML too.
       */
      #options: CheckoutOptions = { locales };

      #set(next: CheckoutOptions) {
        Object.assign(this.#options, next);
        this.#handle?.update(next);
      }
      get messages() {
        return this.#options.messages;
      }
      set messages(messages) {
        this.#set({ messages });
      }
      get locales() {
        return this.#options.locales;
      }
      set locales(locales) {
        this.#set({ locales });
      }
      get state(): CheckoutState {
        return this.#handle?.state ?? 'idle';
      }
      set state(state: string | undefined) {
        this.#set({ state });
      }
      connectedCallback() {
        // A microtask later: frameworks often set attributes right after inserting the element.
        queueMicrotask(() => {
          // The nonce from the property too: React sets it so, and browsers empty the attribute
          // once the element is in the page.
          this.#options.nonce ||= this.nonce;
          if (this.isConnected && !this.#handle) this.#handle = createWidget(this, this.#options);
        });
      }
      disconnectedCallback() {
        this.#handle?.destroy();
        this.#handle = undefined;
      }
      attributeChangedCallback(attribute: string, _old: string | null, value: string | null) {
        this.#set({ [option(attribute)]: value ?? undefined });
      }
    },
  );
}
