import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base64urlDecode, base64urlEncode } from './base64url.js';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('base64urlEncode', () => {
  it('matches the RFC 4648 test vectors, without padding', () => {
    const vectors = { '': '', f: 'Zg', fo: 'Zm8', foo: 'Zm9v', foob: 'Zm9vYg', fooba: 'Zm9vYmE', foobar: 'Zm9vYmFy' };
    for (const [text, encoded] of Object.entries(vectors)) expect(base64urlEncode(text)).toBe(encoded);
  });

  it('uses - and _ instead of + and /', () => {
    expect(base64urlEncode(bytes(0xfb, 0xff))).toBe('-_8');
    expect(base64urlEncode(bytes(0xfb, 0xef, 0xbe))).toBe('----');
    expect(base64urlEncode(bytes(0xff, 0xff, 0xff))).toBe('____');
  });

  it('encodes strings as UTF-8', () => {
    expect(base64urlEncode('€')).toBe(Buffer.from('€', 'utf8').toString('base64url'));
    expect(base64urlEncode('{"alg":"EdDSA"}')).toBe('eyJhbGciOiJFZERTQSJ9');
  });
});

describe('base64urlDecode', () => {
  it('round-trips random bytes of every length up to 100 and large inputs', () => {
    for (let length = 0; length <= 100; length++) {
      const data = new Uint8Array(randomBytes(length));
      const encoded = base64urlEncode(data);
      expect(encoded).toBe(Buffer.from(data).toString('base64url'));
      expect(base64urlDecode(encoded)).toEqual(data);
    }
    // Larger than the 32 KiB chunk the encoder works in.
    const large = new Uint8Array(randomBytes(100_003));
    // Compared as one buffer: toEqual walks 100 003 elements one by one, seconds on a busy machine.
    expect(Buffer.compare(base64urlDecode(base64urlEncode(large)) ?? new Uint8Array(0), large)).toBe(0);
  });

  it('decodes the empty string to no bytes', () => {
    expect(base64urlDecode('')).toEqual(new Uint8Array(0));
  });

  it('refuses padding', () => {
    for (const text of ['Zg==', 'Zg=', 'Zm8=', 'Zm9v=', '=']) expect(base64urlDecode(text)).toBeUndefined();
  });

  it('refuses the standard alphabet characters + and /', () => {
    for (const text of ['-_8'.replace('-', '+'), '-_8'.replace('_', '/'), '++++', '////']) expect(base64urlDecode(text)).toBeUndefined();
  });

  it('refuses non-zero trailing bits, so each byte string has one encoding', () => {
    expect(base64urlDecode('Zg')).toEqual(bytes(0x66));
    for (const text of ['Zh', 'Zv', 'Zm9', 'Zm-', 'Zm8'.replace('8', '9')]) expect(base64urlDecode(text)).toBeUndefined();
    expect(base64urlDecode('Zm8')).toEqual(bytes(0x66, 0x6f));
  });

  it('refuses a length of 1 modulo 4', () => {
    for (const text of ['Z', 'Zm9vY', 'Zm9vYmFyZ']) expect(base64urlDecode(text)).toBeUndefined();
  });

  it('refuses white space and characters outside the alphabet', () => {
    for (const text of [' Zg', 'Zg ', 'Z g', 'Zg\n', '\tZg', 'Zé', 'Z.g', 'Zm9v!']) expect(base64urlDecode(text)).toBeUndefined();
  });
});
