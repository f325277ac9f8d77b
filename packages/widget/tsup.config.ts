import { readFileSync, writeFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };
const define = { __VERSION__: JSON.stringify(version) };

/**
 * Two builds from one source:
 * - `dist/index.js`: ESM for bundlers; Preact and `@caisse/protocol` stay external, as
 *   dependencies the merchant's bundler resolves once.
 * - `dist/caisse.js`: the script-tag file, an IIFE with everything inside (Preact
 *   included), defining `<caisse-checkout>` and `window.Caisse`.
 * Each build cleans only its own files: tsup runs the two in parallel on one folder.
 */
export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    dts: true,
    clean: ['index.*'],
    sourcemap: true,
    minify: true,
    target: 'es2022',
    platform: 'browser',
    define,
    esbuildOptions: (options) => {
      options.charset = 'utf8';
    },
  },
  {
    entry: { caisse: 'src/global.ts' },
    format: ['iife'],
    noExternal: [/.*/],
    clean: ['caisse.*'],
    sourcemap: true,
    minify: true,
    target: 'es2022',
    platform: 'browser',
    define,
    // UTF-8 output is smaller than \u escapes; the byte order mark added below makes
    // browsers decode the file as UTF-8 whatever the page's encoding or Content-Type says.
    esbuildOptions: (options) => {
      options.charset = 'utf8';
    },
    onSuccess: async () => {
      const file = new URL('./dist/caisse.js', import.meta.url);
      const code = readFileSync(file, 'utf8');
      if (!code.startsWith('\uFEFF')) writeFileSync(file, `\uFEFF${code}`);
    },
    outExtension: () => ({ js: '.js' }),
  },
]);
