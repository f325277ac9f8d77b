/**
 * The script-tag entry (`dist/caisse.js`): registers `<caisse-checkout>` and exposes
 * `window.Caisse = { mount, handleReturn, version }`. Loading it twice changes nothing.
 */
import { mount } from './checkout.js';
import { defineCheckoutElement } from './element.js';
import { handleReturn } from './return.js';

declare const __VERSION__: string;

defineCheckoutElement();
const global = globalThis as { Caisse?: unknown };
global.Caisse ??= Object.freeze({ mount, handleReturn, version: __VERSION__ });
