/**
 * The script-tag entry (`dist/caisse.js`): registers `<caisse-checkout>` and exposes
 * `window.Caisse = { mount, handleReturn, version }`, all with French built in (a page
 * that loads one file cannot import a locale). Loading it twice changes nothing.
 */
import { type CheckoutOptions, mount } from './checkout.js';
import { defineCheckoutElement } from './element.js';
import { fr } from './locales/fr.js';
import { handleReturn, type ReturnOptions } from './return.js';

declare const __VERSION__: string;

const withFrench = <T extends CheckoutOptions | ReturnOptions>(options: T): T => ({ ...options, locales: { fr, ...options?.locales } });

defineCheckoutElement('caisse-checkout', { fr });
const global = globalThis as { Caisse?: unknown };
global.Caisse ??= Object.freeze({
  mount: (element: HTMLElement, options: CheckoutOptions) => mount(element, withFrench(options)),
  handleReturn: (options: ReturnOptions) => handleReturn(withFrench(options)),
  version: __VERSION__,
});
