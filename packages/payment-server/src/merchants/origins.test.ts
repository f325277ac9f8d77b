import { describe, expect, it } from 'vitest';
import { ProblemError } from '../http/problem.js';
import { isOriginIn, originOf, parseReturnOrigin, parseReturnOrigins } from './origins.js';

function refusal(text: unknown): string {
  try {
    parseReturnOrigin(text);
  } catch (error) {
    if (error instanceof ProblemError && error.code === 'origin_invalid') return error.message;
    throw error;
  }
  throw new Error(`${String(text)} was accepted`);
}

describe('parseReturnOrigin', () => {
  it.each([
    'https://shop.example',
    'https://shop.example:8443',
    'https://pay.shop.example',
    'https://xn--bcher-kva.example',
    'https://192.0.2.10',
    'https://[2001:db8::1]:8443',
    'http://localhost:3000',
    'http://127.0.0.1:8080',
    'http://[::1]:3000',
    'http://shop.localhost:3000',
  ])('accepts %s as it is', (origin) => {
    expect(parseReturnOrigin(origin)).toBe(origin);
  });

  it.each([
    ['http://shop.example', 'plain http is allowed only for localhost'],
    ['http://localhost.evil.com', 'plain http is allowed only for localhost'],
    ['https://shop.example/', 'write it exactly as its origin, https://shop.example'],
    ['https://shop.example/paid', 'write it exactly as its origin, https://shop.example'],
    ['https://shop.example?x=1', 'write it exactly as its origin'],
    ['https://shop.example#top', 'write it exactly as its origin'],
    ['https://SHOP.example', 'write it exactly as its origin, https://shop.example'],
    ['HTTPS://shop.example', 'write it exactly as its origin, https://shop.example'],
    ['https://shop.example:443', 'write it exactly as its origin, https://shop.example,'],
    ['https://bücher.example', 'write it exactly as its origin, https://xn--bcher-kva.example'],
    ['https://0x7f.1', 'write it exactly as its origin, https://127.0.0.1'],
    ['https://shop.example.', 'no trailing dot'],
    ['https://*.shop.example', 'no wildcard'],
    ['https://user@shop.example', 'must not carry a user name or password'],
    ['https://shop.example@evil.com', 'must not carry a user name or password'],
    ['https://@shop.example', 'must not carry a user name or password'],
    ['javascript:alert(1)', 'only https'],
    ['data:text/html,hi', 'only https'],
    ['ftp://shop.example', 'only https'],
    ['shop.example', 'not an absolute URL'],
    ['//shop.example', 'not an absolute URL'],
    ['/paid', 'not an absolute URL'],
    ['', 'not an absolute URL'],
  ])('refuses %s (%s)', (text, why) => {
    expect(refusal(text)).toContain(why);
  });

  it('refuses what is not a string', () => {
    expect(refusal(42)).toContain('is a string');
  });

  it('takes a list of 1 to 32 distinct origins', () => {
    expect(parseReturnOrigins(['https://shop.example', 'http://localhost:3000'])).toEqual([
      'https://shop.example',
      'http://localhost:3000',
    ]);
    expect(() => parseReturnOrigins([])).toThrow(ProblemError);
    expect(() => parseReturnOrigins('https://shop.example')).toThrow(ProblemError);
    expect(() => parseReturnOrigins(['https://shop.example', 'https://shop.example'])).toThrow('listed twice');
    expect(() => parseReturnOrigins(Array.from({ length: 33 }, (_, i) => `https://s${i}.example`))).toThrow('at most 32');
  });
});

describe('isOriginIn', () => {
  const registered = ['https://shop.example', 'https://shop.example:8443', 'http://localhost:3000'];

  it.each([
    ['https://shop.example/paid?order=42', true],
    ['https://shop.example', true],
    ['https://SHOP.EXAMPLE/paid', true],
    ['https://shop.example:443/paid', true],
    ['https://shop.example:8443/paid', true],
    ['http://localhost:3000/return', true],
    ['https://shop.example.evil.com/paid', false],
    ['https://shop.example@evil.com/paid', false],
    ['https://user:pass@shop.example/paid', false],
    ['https://@shop.example/paid', false],
    ['https://evil.com#@shop.example', false],
    ['https://evil.com?https://shop.example', false],
    ['https://shop.example./paid', false],
    ['https://shop.example:9443/paid', false],
    ['https://shop.example:80/paid', false],
    ['http://shop.example/paid', false],
    ['http://localhost:3001/return', false],
    ['https://localhost:3000/return', false],
    ['https://pay.shop.example/paid', false],
    ['https://example/paid', false],
    ['javascript:alert(document.cookie)', false],
    ['javascript://shop.example/%0aalert(1)', false],
    ['data:text/html,<script>alert(1)</script>', false],
    ['/paid', false],
    ['//evil.com/paid', false],
    ['paid', false],
    ['HTTPS://shop.example/paid', false],
    ['https:shop.example/paid', false],
    ['https:///shop.example/paid', false],
    ['https://shop.example\\@evil.com/paid', false],
    ['https://evil.com\\.shop.example/paid', false],
    [' https://shop.example/paid', false],
    ['https://shop.exa\tmple/paid', false],
    ['https://shop.example%2eevil.com/paid', false],
    [`https://shop.example/${'a'.repeat(2100)}`, false],
  ])('%s → %s', (url, expected) => {
    expect(isOriginIn(registered, url)).toBe(expected);
  });

  it('refuses what is not a string', () => {
    expect(originOf(undefined)).toBeUndefined();
    expect(originOf({ toString: () => 'https://shop.example' })).toBeUndefined();
  });
});
