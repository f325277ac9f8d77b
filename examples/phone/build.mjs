// Builds the phone app into dist/: one ESM bundle (Preact, the SDK and zod inside), the
// stylesheet and the static files. `node build.mjs`.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('.', import.meta.url).pathname;
rmSync(`${root}dist`, { recursive: true, force: true });
mkdirSync(`${root}dist`, { recursive: true });
cpSync(`${root}public`, `${root}dist`, { recursive: true });
await build({
  entryPoints: { app: `${root}src/main.tsx` },
  outdir: `${root}dist`,
  bundle: true,
  format: 'esm',
  minify: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'browser',
  charset: 'utf8',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  logLevel: 'warning',
});
