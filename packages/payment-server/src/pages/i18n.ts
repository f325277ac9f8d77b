import { formatMoney, type RefusalReason, type RequestedData } from '@caisse/protocol';
import { cleanText, type Fragment, type Html, h } from './html.js';
import type { Catalogue, MessageKey, MismatchedKeys, ParamsOf } from './locales/catalogue.js';
import { en } from './locales/en.js';
import { fr } from './locales/fr.js';

export type { Catalogue, MessageKey } from './locales/catalogue.js';

/** The languages of the hosted pages. Adding one: see README-section.md. */
export const LOCALES = ['en', 'fr'] as const;
export type Locale = (typeof LOCALES)[number];

/**
 * `?lang=fr` when the request chose a language by its `?lang=` (exactly one of ours), else
 * nothing: appended to the links and form actions of a page, the next step keeps it.
 * @example `/account/payments/${id}/dispute${keptLanguage(c.req.query('lang'))}`
 */
export function keptLanguage(lang: string | undefined): string {
  return (LOCALES as readonly string[]).includes(lang ?? '') ? `?lang=${lang}` : '';
}
export const DEFAULT_LOCALE: Locale = 'en';

/**
 * The BCP 47 tag each language formats amounts and dates with (`Intl`). British English
 * writes dates day-first and times on 24 hours, like the French pages.
 */
export const LOCALE_TAGS: Readonly<Record<Locale, string>> = { en: 'en-GB', fr: 'fr-FR' };

/** Writing direction of each language (the `dir` of `<html>`). */
export const LOCALE_DIRECTION: Readonly<Record<Locale, 'ltr' | 'rtl'>> = { en: 'ltr', fr: 'ltr' };

/**
 * Accepts a catalogue only if every text has the same `{placeholders}` as the English
 * one; a key whose placeholders differ fails to compile, named in the error.
 */
function checked<C extends Catalogue>(
  catalogue: {
    [K in keyof C]: K extends MismatchedKeys<C> ? 'placeholders must be exactly those of the English text' : C[K];
  },
): Catalogue {
  return catalogue as Catalogue;
}

/**
 * Every text of every language. The compiler checks that each language has exactly the
 * English keys (`satisfies Catalogue` in its file), the same placeholders in each text
 * (`checked`), and that every language of {@link LOCALES} is here (the `Record`).
 */
export const MESSAGES: Readonly<Record<Locale, Catalogue>> = { en: checked(en), fr: checked(fr) };

/** Parameters of a text: exactly its placeholders (for a union of keys, all of theirs; extra ones are ignored). */
type ParamArgs<K extends MessageKey, V> = [ParamsOf<K>] extends [never]
  ? [params?: Readonly<Record<string, V>>]
  : [params: Readonly<Record<ParamsOf<K>, V>>];

const PLACEHOLDER = /\{(\w+)\}/g;

function interpolate<V>(template: string, params: Readonly<Record<string, V>> | undefined, literal: (text: string) => V): V[] {
  const parts: V[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] as string;
    if (params === undefined || !Object.hasOwn(params, name)) continue;
    parts.push(literal(template.slice(last, match.index)), params[name] as V);
    last = match.index + match[0].length;
  }
  parts.push(literal(template.slice(last)));
  return parts;
}

/**
 * A text as markup: the text is escaped, the parameters are escaped text or markup made
 * with `h` (for example a merchant name in a `<bdi>`).
 * @example t('fr', 'checkout.payButton', { amount: '12,90 €' })
 */
export function t<K extends MessageKey>(locale: Locale, key: K, ...args: ParamArgs<K, Fragment>): Html {
  const params = args[0] as Readonly<Record<string, Fragment>> | undefined;
  return h`${interpolate<Fragment>(MESSAGES[locale][key], params, (part) => part)}`;
}

/** A text as plain text (for `<title>`, which holds no markup; still escaped when rendered). */
export function text<K extends MessageKey>(locale: Locale, key: K, ...args: ParamArgs<K, string | number>): string {
  const params = args[0] as Readonly<Record<string, string | number>> | undefined;
  return interpolate<string | number>(MESSAGES[locale][key], params, (part) => part).join('');
}

/** Bases `b` of the plural pairs `b_one` / `b_other` in the catalogue. */
export type PluralKey = PluralBase<MessageKey>;
type PluralBase<K extends MessageKey> = K extends `${infer Base}_one` ? (`${Base}_other` extends MessageKey ? Base : never) : never;

/**
 * The plural form for `count`, with `{count}` filled in, locale-formatted. Languages with
 * more plural categories than one/other (few, many…) fall back to `_other`; add keys and
 * extend this when such a language arrives.
 */
export function plural(locale: Locale, base: PluralKey, count: number): Html {
  const category = new Intl.PluralRules(LOCALE_TAGS[locale]).select(count) === 'one' ? 'one' : 'other';
  const key = `${base}_${category}` as const;
  return t(locale, key, { count: formatNumber(count, locale) });
}

/**
 * The text keys of a refusal reason. `t` only takes catalogue keys, so a reason of
 * `REFUSAL_REASONS` without its three texts makes `refusalPage` fail to compile.
 */
export function refusalKeys(reason: RefusalReason): {
  title: `refusal.${RefusalReason}.title`;
  what: `refusal.${RefusalReason}.what`;
  next: `refusal.${RefusalReason}.next`;
} {
  return { title: `refusal.${reason}.title`, what: `refusal.${reason}.what`, next: `refusal.${reason}.next` };
}

/** The text key of a kind of customer data a merchant may request (a kind without its text makes `checkoutPage` fail to compile). */
export function requestedKey(data: RequestedData): `checkout.requested.${RequestedData}` {
  return `checkout.requested.${data}`;
}

const LANGUAGE_TAG = /^\s*([A-Za-z]{1,8})(?:[-_][A-Za-z0-9]{1,8})*\s*$/;

function matchLocale(tag: string | null | undefined): Locale | undefined {
  if (typeof tag !== 'string' || tag.length > 64) return undefined;
  const primary = LANGUAGE_TAG.exec(tag)?.[1]?.toLowerCase();
  return LOCALES.find((locale) => locale === primary);
}

/**
 * The page language: an explicit `?lang=` choice first (`fr`, `fr-CA`, `EN`…), then the
 * browser's `Accept-Language` by quality (ties: first listed), then English. Only the
 * first 1,000 characters and 32 entries of the header are read.
 * @example pickLocale('fr-CH, fr;q=0.9, en;q=0.8') // 'fr'
 */
export function pickLocale(acceptLanguage: string | null | undefined, queryLang?: string | null): Locale {
  const chosen = matchLocale(queryLang);
  if (chosen) return chosen;
  if (typeof acceptLanguage !== 'string') return DEFAULT_LOCALE;
  let best: Locale | undefined;
  let bestQuality = 0;
  for (const entry of acceptLanguage.slice(0, 1000).split(',').slice(0, 32)) {
    const [tag, ...params] = entry.split(';');
    let quality = 1;
    for (const param of params) {
      const [name, value] = param.split('=').map((part) => part.trim());
      if (name?.toLowerCase() !== 'q') continue;
      quality = value !== undefined && /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(value) ? Number(value) : 0;
    }
    const locale = matchLocale(tag);
    if (locale && quality > bestQuality) {
      best = locale;
      bestQuality = quality;
    }
  }
  return best ?? DEFAULT_LOCALE;
}

/** An amount in minor units, for people: `€12.90` in English, `12,90 €` in French. */
export function formatAmount(amount: number, currency: string, locale: Locale): string {
  return formatMoney({ amount, currency }, LOCALE_TAGS[locale]);
}

export function formatNumber(value: number, locale: Locale): string {
  return new Intl.NumberFormat(LOCALE_TAGS[locale]).format(value);
}

/** A time of day with its zone, e.g. `14:35 UTC`. */
export function formatTime(date: Date, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(LOCALE_TAGS[locale], { hour: '2-digit', minute: '2-digit', timeZoneName: 'short', timeZone }).format(date);
}

/** A date and time with its zone, e.g. `3 Mar 2025, 14:35 UTC` / `3 mars 2025, 14:35 UTC`. */
export function formatDateTime(date: Date, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(LOCALE_TAGS[locale], {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
    timeZone,
  }).format(date);
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date: `YYYY-MM-DD`. Returns the parts, or undefined when it is no real date. */
export function parseIsoDate(value: string): Date | undefined {
  const match = ISO_DATE.exec(value);
  if (!match) return undefined;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().startsWith(value) ? date : undefined;
}

/** A calendar date given as `YYYY-MM-DD`, written out (`3 March 2025`); anything else is shown as given. */
export function formatIsoDate(value: string, locale: Locale): string {
  const date = parseIsoDate(value);
  if (!date) return cleanText(value);
  return new Intl.DateTimeFormat(LOCALE_TAGS[locale], { dateStyle: 'long', timeZone: 'UTC' }).format(date);
}

/** How far off `target` is, in words (`in 5 minutes`, `dans 5 minutes`); undefined once it has passed. */
export function formatRelative(target: Date, now: Date, locale: Locale): string | undefined {
  const minutes = Math.ceil((target.getTime() - now.getTime()) / 60_000);
  if (!Number.isFinite(minutes) || minutes <= 0) return undefined;
  const format = new Intl.RelativeTimeFormat(LOCALE_TAGS[locale], { numeric: 'always' });
  return minutes < 120 ? format.format(minutes, 'minute') : format.format(Math.round(minutes / 60), 'hour');
}

/** A currency's name in the page language (`euro`, `US dollar`), or its code when unknown. */
export function currencyName(code: string, locale: Locale): string {
  return new Intl.DisplayNames(LOCALE_TAGS[locale], { type: 'currency', fallback: 'code' }).of(code) ?? code;
}
