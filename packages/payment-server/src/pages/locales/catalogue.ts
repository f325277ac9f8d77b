import type { en } from './en.js';

/** Every key of the hosted pages' texts; the English catalogue is the reference. */
export type MessageKey = keyof typeof en;

/** A language's texts: every key of the English catalogue, no other. */
export type Catalogue = { readonly [K in MessageKey]: string };

/** The `{placeholder}` names in a text, as a union: `'merchant' | 'amount'`. */
export type Placeholders<S extends string> = S extends `${string}{${infer Name}}${infer Rest}` ? Name | Placeholders<Rest> : never;

/** The placeholders of one key, taken from the English text. */
export type ParamsOf<K extends MessageKey> = Placeholders<(typeof en)[K]>;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Keys whose text in `C` has other placeholders than the English text: must be `never`. */
export type MismatchedKeys<C extends Catalogue> = {
  [K in MessageKey]: Same<Placeholders<C[K]>, ParamsOf<K>> extends true ? never : K;
}[MessageKey];
