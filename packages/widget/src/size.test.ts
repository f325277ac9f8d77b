// @vitest-environment node
/**
 * The size budget and the content checks of the built files (dist/, built by `npm test`
 * first): what a merchant page downloads must stay small and must not carry the
 * server-side libraries.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const KB = 1024;
const read = (file: string) => readFileSync(new URL(`../dist/${file}`, import.meta.url), 'utf8');
const gzipped = (text: string) => gzipSync(text, { level: 9 }).length;

const FILES = {
  /** The script-tag file: Preact and everything else included. */
  'caisse.js': 12 * KB,
  /** The ESM entry; Preact stays with the merchant's bundler. */
  'index.js': 7 * KB,
};

describe.each(Object.entries(FILES))('dist/%s', (file, budget) => {
  const code = read(file);

  it(`is at most ${budget / KB} KB gzipped (level 9)`, () => {
    const size = gzipped(code);
    console.info(`dist/${file}: ${code.length} bytes, ${size} bytes gzipped (budget ${budget})`);
    expect(size).toBeLessThanOrEqual(budget);
  });

  it('carries no zod and no jose', () => {
    for (const mark of ['ZodError', '_zod', 'safeParse', 'compactVerify', 'jwtVerify', 'importJWK', 'createRemoteJWKSet', 'JOSEError']) {
      expect(code, mark).not.toContain(mark);
    }
  });

  it('needs no eval and names no host to talk to', () => {
    expect(code).not.toMatch(/\beval\(|new Function\(|\bFunction\(/);
    const hosts = [...code.matchAll(/https?:\/\/[\w.-]+/g)].map((match) => match[0]);
    expect(hosts.filter((host) => host !== 'http://www.w3.org')).toEqual([]);
  });
});

describe('dist/index.js', () => {
  it('imports nothing but Preact and the protocol base64url subpath', () => {
    const imports = [...read('index.js').matchAll(/from\s*"([^"]+)"/g)].map((match) => match[1]);
    expect(new Set(imports)).toEqual(new Set(['preact', 'preact/jsx-runtime', '@caisse/protocol/base64url']));
  });
});

describe('dist/caisse.js', () => {
  it('is one self-contained classic script, decoded as UTF-8 whatever the page', () => {
    const code = read('caisse.js');
    expect(code.startsWith('\uFEFF')).toBe(true);
    expect(code).not.toMatch(/\bimport\s*[{("]|\bexport\s*\{|\brequire\(/);
  });
});
