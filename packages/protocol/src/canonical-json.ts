/**
 * JSON Canonicalization Scheme (RFC 8785) for the values messages contain: objects,
 * arrays, strings, safe integers, booleans and null. Members are sorted by UTF-16 code
 * units and written without white space; strings use ECMAScript `JSON.stringify`
 * escaping, which RFC 8785 §3.2.2.2 adopts.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError('canonicalJson only takes safe integers.');
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson cannot encode a ${typeof value}.`);
}
