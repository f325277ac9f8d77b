import { existsSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/** What a browser app gets when it imports the built SDK. */
const DIST = new URL('../dist/', import.meta.url).pathname;

describe('the built SDK', () => {
  it('keeps Node out of the main entry: only @caisse/sdk/file-store touches node:fs', async () => {
    expect(existsSync(`${DIST}index.js`)).toBe(true);
    const browser = await build({
      entryPoints: [`${DIST}index.js`],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      metafile: true,
    });
    const inputs = Object.keys(browser.metafile.inputs);
    // A browser build fails on a Node built-in, so getting here is most of the proof.
    expect(inputs.filter((input) => /^(node:)?(fs|path|os|crypto)\b/.test(input))).toEqual([]);
    expect(inputs.some((input) => input.includes('zod'))).toBe(true);
    expect(readFileSync(`${DIST}file-store.js`, 'utf8')).toMatch(/from "(node:)?fs\/promises"/);
  });
});
