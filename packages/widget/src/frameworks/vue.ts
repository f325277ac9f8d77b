/**
 * `@caisse/widget/vue`: `<caisse-checkout>` in Vue 3 templates (`GlobalComponents`, so
 * that `vue-tsc` checks its attributes and `@caisse:*` listeners) and TSX
 * (`IntrinsicElementAttributes`), and
 * {@link isCustomElement} for the template compiler, so that Vue renders the tag as an
 * element instead of looking for a component of that name.
 * @example
 * // vite.config.ts
 * import vue from '@vitejs/plugin-vue';
 * import { isCustomElement } from '@caisse/widget/vue';
 * export default { plugins: [vue({ template: { compilerOptions: { isCustomElement } } })] };
 * // env.d.ts: import type {} from '@caisse/widget/vue';
 * // <caisse-checkout :ticket="ticket" server="https://pay.example" mode="popup" verify-url="/caisse/return" @caisse:paid="onPaid" />
 */
import type { EmitFn, HTMLAttributes } from 'vue';
import type { CaisseCheckoutElement } from '../element.js';
import type { CheckoutEventMap } from '../types.js';
import type { CheckoutAttributes, CheckoutProperties } from './element-props.js';

/**
 * The attributes as `vue-tsc` names them: it camelizes a component's attributes, so
 * `verify-url` is checked as `verifyUrl` (the element reads both spellings).
 */
type Attributes<T = CheckoutAttributes> = T extends unknown ? { [K in keyof T as K extends 'verify-url' ? 'verifyUrl' : K]: T[K] } : never;

/** The listeners as Vue names them: `@caisse:paid` is the prop `onCaisse:paid`. */
type Listeners = {
  [Name in keyof CheckoutEventMap as `on${Capitalize<Name>}`]?: ((event: CheckoutEventMap[Name]) => void) | undefined;
};

/**
 * `<caisse-checkout>` as a component type, the shape Vue's guide gives for custom
 * elements: the element (what a template ref holds), the props a template may give it
 * (attributes, the `messages` and `locales` properties, `@caisse:*` listeners) and the
 * events it emits. Also for an element registered under another name:
 * `'my-checkout': CaisseCheckoutComponent` in `GlobalComponents`.
 */
export type CaisseCheckoutComponent = new () => CaisseCheckoutElement & {
  /** @deprecated For template type checking only; not a property of the element. */
  $props: HTMLAttributes & Attributes & CheckoutProperties & Listeners;
  /** @deprecated For template type checking only; not a property of the element. */
  $emit: EmitFn<{ [Name in keyof CheckoutEventMap]: (event: CheckoutEventMap[Name]) => void }>;
};

/**
 * The props of `<caisse-checkout>` in Vue's TSX (`jsxImportSource: "vue"`), where nothing
 * is camelized: `verify-url`, and the listeners as `onCaisse:paid`.
 */
export type CaisseCheckoutJsxProps = HTMLAttributes & CheckoutAttributes & CheckoutProperties & Listeners;

declare module 'vue' {
  interface GlobalComponents {
    'caisse-checkout': CaisseCheckoutComponent;
  }
  interface IntrinsicElementAttributes {
    'caisse-checkout': CaisseCheckoutJsxProps;
  }
}

/**
 * `compilerOptions.isCustomElement` for `@vitejs/plugin-vue` (or `vue-loader`, or
 * `vue.compilerOptions` in `nuxt.config`): the Caisse tags are elements, not Vue
 * components. Without it Vue warns "Failed to resolve component: caisse-checkout" on
 * every render in development.
 * @example
 * vue({ template: { compilerOptions: { isCustomElement } } })
 * // with other custom elements too:
 * vue({ template: { compilerOptions: { isCustomElement: (tag) => isCustomElement(tag) || tag.startsWith('ion-') } } })
 */
export function isCustomElement(tag: string): boolean {
  return tag.startsWith('caisse-');
}
