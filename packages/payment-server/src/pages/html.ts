import { isAllowedUrl, LIMITS } from '@caisse/protocol';
import { html, type raw } from 'hono/html';

/** Markup that is already escaped: the only thing a page may interpolate without escaping. */
export type Html = ReturnType<typeof raw>;

/**
 * What a page may interpolate: text (escaped by hono/html), numbers, markup made by
 * {@link h}, lists of those, and nothing (`false`, `null`, `undefined` render as nothing).
 * Dates and other objects are refused by the compiler: format them first.
 */
export type Fragment = string | number | Html | null | undefined | false | readonly Fragment[];

/**
 * hono/html's tagged template, held to synchronous output: every page renders to a plain
 * string, and an interpolated Promise would otherwise turn the page into one silently.
 * @example h`<p>${label}</p>` // label escaped
 */
export function h(strings: TemplateStringsArray, ...values: Fragment[]): Html {
  const out = html(strings, ...values);
  if (out instanceof Promise) throw new TypeError('Hosted pages render synchronously; a Promise was interpolated.');
  return out;
}

/**
 * Bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069).
 * In merchant text they could flip the order of what the customer reads (an amount, a
 * name); the marks U+200E/U+200F/U+061C are kept: they cannot reorder anything outside
 * the isolate {@link bdi} puts around the text.
 */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;
/** Control characters (C0, DEL, C1): the protocol refuses them in labels; names from storage could still hold some. */
const CONTROLS = /\p{Cc}/gu;

/** Text from a merchant or from storage, made inert for display: controls and bidi overrides removed. */
export function cleanText(text: string): string {
  return text.replace(CONTROLS, '').replace(BIDI_CONTROLS, '');
}

/**
 * Merchant-controlled text (names, labels, serials) in a `<bdi>` isolate, escaped and
 * cleaned: whatever direction it is written in, it cannot reorder the page text around it.
 */
export function bdi(text: string): Html {
  return h`<bdi>${cleanText(text)}</bdi>`;
}

/**
 * A URL on this server (a form action, a refresh link): path-absolute, printable ASCII,
 * no backslash, and not `//host` (which would leave the origin). A wrong one is a bug in
 * the route, so it throws rather than rendering a form that posts elsewhere.
 */
export function localPath(url: string): string {
  if (!/^\/(?![/\\])[\x21-\x7e]*$/.test(url) || url.includes('\\')) {
    throw new TypeError(`Hosted pages only link to path-absolute URLs on this server; got ${JSON.stringify(url.slice(0, 80))}.`);
  }
  return url;
}

/** Printable ASCII without backslash, two slashes before the host (the protocol's URL text rule). */
const URL_TEXT = /^https?:\/\/(?!\/)[\x21-\x5b\x5d-\x7e]+$/;
/** A return URL may carry a whole voucher or refusal token in its query. */
const MAX_RESULT_URL = LIMITS.urlLength + LIMITS.tokenLength + 64;

/**
 * A merchant URL (return or cancel, possibly carrying a voucher or refusal token): an
 * absolute https URL without credentials (http on loopback in development), by the
 * protocol's rule for its origin. Anything else, `javascript:` included, is refused:
 * `undefined` here, so the caller can fall back to words. Whether the origin is one the
 * merchant registered is the route's check, made before it builds the view.
 */
export function merchantUrl(url: string | undefined): string | undefined {
  if (url === undefined || url.length > MAX_RESULT_URL || !URL_TEXT.test(url)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.username !== '' || parsed.password !== '') return undefined;
  return isAllowedUrl(`${parsed.origin}/`) ? url : undefined;
}

/** The operator's help address: https (or http on loopback) or `mailto:`; anything else is dropped. */
export function supportHref(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  if (/^mailto:[^\s"'<>\\]+@[^\s"'<>\\]+$/.test(url)) return url;
  return merchantUrl(url);
}
