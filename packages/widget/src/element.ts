import { type CheckoutHandle, type CheckoutOptions, createWidget } from './checkout.js';
import type { Messages } from './messages.js';
import type { CheckoutState } from './types.js';

/** The attributes, each the kebab-case name of a {@link CheckoutOptions} member. */
const ATTRIBUTES = ['ticket', 'server', 'mode', 'verify-url', 'status-url', 'lang', 'nonce'];

const option = (attribute: string) => attribute.replace(/-u/, 'U') as keyof CheckoutOptions;

/** The `<caisse-checkout>` element, as `defineCheckoutElement` registers it. */
export interface CaisseCheckoutElement extends HTMLElement {
  /** Replacements for any of the built-in texts (a property: attributes hold only strings). */
  messages: Partial<Messages> | undefined;
  /** The current state. */
  readonly state: CheckoutState;
}

/**
 * Registers `<caisse-checkout ticket server mode verify-url status-url lang nonce>`; a
 * second call is a no-op. The script-tag file calls it for you.
 * @example
 * import { defineCheckoutElement } from '@caisse/widget';
 * defineCheckoutElement();
 * // <caisse-checkout ticket="eyJ…" server="https://pay.example" mode="popup" verify-url="/caisse/return"></caisse-checkout>
 */
export function defineCheckoutElement(name = 'caisse-checkout'): void {
  if (customElements.get(name)) return;
  customElements.define(
    name,
    class extends HTMLElement implements CaisseCheckoutElement {
      static observedAttributes = ATTRIBUTES;
      #handle: CheckoutHandle | undefined;
      #messages: Partial<Messages> | undefined;

      get messages() {
        return this.#messages;
      }
      set messages(messages) {
        this.#messages = messages;
        this.#handle?.update({ messages });
      }
      get state(): CheckoutState {
        return this.#handle?.state ?? 'idle';
      }
      connectedCallback() {
        // A microtask later: frameworks often set attributes right after inserting the element.
        queueMicrotask(() => {
          if (!this.isConnected || this.#handle) return;
          const options: Record<string, unknown> = { messages: this.#messages };
          for (const attribute of ATTRIBUTES) options[option(attribute)] = this.getAttribute(attribute) ?? undefined;
          this.#handle = createWidget(this, options);
        });
      }
      disconnectedCallback() {
        this.#handle?.destroy();
        this.#handle = undefined;
      }
      attributeChangedCallback(attribute: string, _old: string | null, value: string | null) {
        this.#handle?.update({ [option(attribute)]: value ?? undefined });
      }
    },
  );
}
