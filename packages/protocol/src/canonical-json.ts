/** A UTF-16 surrogate not part of a pair: it has no UTF-8 encoding, so other languages cannot reproduce it. */
const LONE_SURROGATE = /\p{Cs}/u;

function string(text: string): string {
  // RFC 8785 §3.2.2.2: lone surrogates must make canonicalisation fail, not be escaped.
  if (LONE_SURROGATE.test(text)) throw new TypeError('canonicalJson refuses strings holding a lone UTF-16 surrogate.');
  return JSON.stringify(text);
}

/**
 * JSON Canonicalization Scheme (RFC 8785) for the values messages contain: objects,
 * arrays, strings, safe integers, booleans and null. Members are sorted by UTF-16 code
 * units and written without white space; strings use ECMAScript `JSON.stringify`
 * escaping, which RFC 8785 §3.2.2.2 adopts.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'string') return string(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError('canonicalJson only takes safe integers.');
    return String(value);
  }
  // Array.from visits holes as `undefined`, which is refused; `map` would skip them and write "[,1]".
  if (Array.isArray(value)) return `[${Array.from(value, (element) => canonicalJson(element)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${string(key)}:${canonicalJson(member)}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson cannot encode a ${typeof value}.`);
}
