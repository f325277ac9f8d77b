import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/acquirer.ts', 'src/cli.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Keeps `node:timers/promises` as written: vitest, which inlines this workspace package
  // into the payment server's tests, resolves a bare `timers/promises` as a relative file.
  removeNodeProtocol: false,
});
