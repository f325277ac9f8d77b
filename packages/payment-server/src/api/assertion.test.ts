import { describe, expect, it } from 'vitest';
import type { ProblemError } from '../http/problem.js';
import { assertionFromHeader, bodySha256, expectedHtu } from './assertion.js';
import { periodic } from './periodic.js';

describe('assertionFromHeader', () => {
  it('reads the token of the Caisse-Assertion scheme, in any case', () => {
    expect(assertionFromHeader('Caisse-Assertion a.b.c')).toBe('a.b.c');
    expect(assertionFromHeader('CAISSE-ASSERTION   a.b.c ')).toBe('a.b.c');
  });

  it('answers assertion_missing for anything else', () => {
    for (const header of [
      undefined,
      '',
      'Caisse-Assertion',
      'Bearer a.b.c',
      'Caisse-Assertion a.b.c extra',
      'a.b.c',
      'Caisse-Assertion\ta.b.c',
    ]) {
      expect(() => assertionFromHeader(header)).toThrow(expect.objectContaining({ code: 'assertion_missing' }) as ProblemError);
    }
  });
});

describe('expectedHtu', () => {
  it("puts the request's path and query on the issuer's URL, whatever host the request reached", () => {
    expect(expectedHtu('https://pay.example', 'http://10.0.0.7:4000/v1/payments?from=a&to=b')).toBe(
      'https://pay.example/v1/payments?from=a&to=b',
    );
    expect(expectedHtu('https://pay.example/caisse/', 'http://internal/v1/payments/42')).toBe('https://pay.example/caisse/v1/payments/42');
  });

  it('serialises as the WHATWG parser does: default port dropped, host lower case, a bare ? is no query', () => {
    expect(expectedHtu('https://PAY.example:443', 'http://x/v1/payments?')).toBe('https://pay.example/v1/payments');
    expect(expectedHtu('https://pay.example', 'http://x/v1/a%20b?q=%2B')).toBe('https://pay.example/v1/a%20b?q=%2B');
  });
});

describe('bodySha256', () => {
  it('is the base64url SHA-256 of the exact bytes', () => {
    expect(bodySha256('')).toBe('47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU');
    expect(bodySha256(new TextEncoder().encode('{"a":1}'))).toBe(bodySha256('{"a":1}'));
    expect(bodySha256('{"a":1}')).not.toBe(bodySha256('{"a": 1}'));
  });
});

describe('periodic', () => {
  it('runs at most once per interval, never twice at once, and survives a failure', async () => {
    const clock = { now: new Date('2026-01-01T00:00:00Z') };
    const warnings: string[] = [];
    let runs = 0;
    let fail = false;
    const log = { debug() {}, info() {}, warn: (event: string) => warnings.push(event), error() {}, child: () => log };
    const task = periodic(
      async () => {
        runs++;
        if (fail) throw new Error('down');
      },
      { interval: 60_000, now: () => clock.now, log },
    );
    await Promise.all([task(), task()]);
    expect(runs).toBe(1);
    clock.now = new Date(clock.now.getTime() + 59_999);
    await task();
    expect(runs).toBe(1);
    clock.now = new Date(clock.now.getTime() + 1);
    fail = true;
    await expect(task()).resolves.toBeUndefined();
    expect(runs).toBe(2);
    expect(warnings).toEqual(['api.purge_failed']);
  });
});
