import { defineConfig } from 'tsup';

/**
 * ESM for browsers and Node. `@caisse/protocol` (and zod through it) stays external: the
 * app's bundler resolves it once. `file-store` is its own entry so that browser bundles
 * never see `node:fs`.
 */
export default defineConfig({
  entry: ['src/index.ts', 'src/file-store.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
