import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('writes members sorted by name, without white space', () => {
    expect(canonicalJson({ b: 1, a: 'x', c: [true, false, null] })).toBe('{"a":"x","b":1,"c":[true,false,null]}');
  });

  it('sorts nested objects and keeps array order', () => {
    const value = { z: [{ y: 2, x: 1 }, { b: { d: 4, c: 3 } }], a: {} };
    expect(canonicalJson(value)).toBe('{"a":{},"z":[{"x":1,"y":2},{"b":{"c":3,"d":4}}]}');
  });

  it('sorts by UTF-16 code units, not by code points or locale', () => {
    // RFC 8785 §3.2.3: U+20AC < U+1F600 (as D83D DE00) < U+FB33 in UTF-16 order, while code point order puts U+FB33 first.
    const value = { '\ufb33': 3, '\u{1f600}': 2, '\u20ac': 1, a: 0, B: 0, '10': 0, '9': 0, '': 0 };
    expect(canonicalJson(value)).toBe('{"":0,"10":0,"9":0,"B":0,"a":0,"\u20ac":1,"\u{1f600}":2,"\ufb33":3}');
  });

  it('gives the same text whatever the insertion order', () => {
    expect(canonicalJson({ quantity: 2, id: 'b1', vatRate: 550 })).toBe(canonicalJson({ id: 'b1', vatRate: 550, quantity: 2 }));
  });

  it('escapes strings as RFC 8785 does: short escapes, lower-case \\u00xx for other controls, nothing else', () => {
    expect(canonicalJson('\u0000\u0001\u001f')).toBe('"\\u0000\\u0001\\u001f"');
    expect(canonicalJson('\b\t\n\f\r')).toBe('"\\b\\t\\n\\f\\r"');
    expect(canonicalJson('say "hi" \\ back')).toBe('"say \\"hi\\" \\\\ back"');
    expect(canonicalJson('a/b')).toBe('"a/b"');
    expect(canonicalJson('\u007f')).toBe('"\u007f"');
    expect(canonicalJson('L’Étranger — 12 € 😀')).toBe('"L’Étranger — 12 € 😀"');
    expect(canonicalJson('\u2028\u2029')).toBe('"\u2028\u2029"');
    expect(canonicalJson({ 'tab\there': 1 })).toBe('{"tab\\there":1}');
  });

  it('writes integers in plain decimal, and -0 as 0', () => {
    expect(canonicalJson([0, -0, 1, -5, 1_000_000_000_000, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER])).toBe(
      '[0,0,1,-5,1000000000000,9007199254740991,-9007199254740991]',
    );
  });

  it('refuses floats, unsafe integers and non-finite numbers', () => {
    for (const value of [1.5, 0.1, 2 ** 53, -(2 ** 53), Number.NaN, Number.POSITIVE_INFINITY, { amount: 12.5 }, [1e21]]) {
      expect(() => canonicalJson(value)).toThrow(TypeError);
    }
  });

  it('leaves out object members whose value is undefined, as JSON.stringify does', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it('refuses undefined where it cannot be left out, and array holes', () => {
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
    expect(() => canonicalJson([1, undefined])).toThrow(TypeError);
    // biome-ignore lint/suspicious/noSparseArray: the hole is what is being tested.
    expect(() => canonicalJson([, 1])).toThrow(TypeError);
    expect(() => canonicalJson(new Array(2))).toThrow(TypeError);
  });

  it('refuses values JSON cannot hold', () => {
    for (const value of [10n, () => 1, Symbol('s'), { f: () => 1 }]) expect(() => canonicalJson(value)).toThrow(TypeError);
  });

  it('refuses lone surrogates in values and names (RFC 8785 §3.2.2.2)', () => {
    expect(() => canonicalJson('\ud800')).toThrow(TypeError);
    expect(() => canonicalJson('a\udc00b')).toThrow(TypeError);
    expect(() => canonicalJson({ '\ud83d': 1 })).toThrow(TypeError);
    expect(canonicalJson('\ud83d\ude00')).toBe('"😀"');
  });

  it('gives back the same value when parsed', () => {
    const value = { items: [{ id: 'a', label: 'Café "crème"\n', quantity: 3 }], ok: true, none: null };
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
  });
});
