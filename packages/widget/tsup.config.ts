import { readFileSync, writeFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

/** What both builds share. UTF-8 output is smaller than \u escapes. */
const shared = {
  sourcemap: true,
  minify: true,
  target: 'es2022',
  platform: 'browser',
  define: { __VERSION__: JSON.stringify(version) },
  esbuildOptions: (options) => {
    options.charset = 'utf8';
  },
} satisfies Options;

/**
 * Two builds from one source:
 * - `dist/index.js` (the button), `dist/return.js` (the return page) and
 *   `dist/locales/fr.js`: ESM for bundlers, sharing one chunk; Preact and
 *   `@caisse/protocol` stay external, as dependencies the merchant's bundler resolves
 *   once. French is its own entry so that pages in English do not carry it.
 * - `dist/caisse.js`: the script-tag file, an IIFE with everything inside (Preact
 *   included), defining `<caisse-checkout>` and `window.Caisse`.
 * Each build cleans only its own files: tsup runs the two in parallel on one folder.
 */
export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      return: 'src/return.ts',
      'locales/fr': 'src/locales/fr.ts',
      react: 'src/frameworks/react.ts',
      preact: 'src/frameworks/preact.ts',
      vue: 'src/frameworks/vue.ts',
      svelte: 'src/frameworks/svelte.ts',
    },
    format: ['esm'],
    dts: true,
    clean: ['index.*', 'return.*', 'locales', 'chunk-*', 'react.*', 'preact.*', 'vue.*', 'svelte.*'],
    ...shared,
  },
  {
    entry: { caisse: 'src/global.ts' },
    format: ['iife'],
    noExternal: [/.*/],
    clean: ['caisse.*'],
    ...shared,
    // The byte order mark makes browsers decode the file as UTF-8 whatever the page's
    // encoding or Content-Type says.
    onSuccess: async () => {
      const file = new URL('./dist/caisse.js', import.meta.url);
      const code = readFileSync(file, 'utf8');
      if (!code.startsWith('\uFEFF')) writeFileSync(file, `\uFEFF${code}`);
    },
    outExtension: () => ({ js: '.js' }),
  },
]);
