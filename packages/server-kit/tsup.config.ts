import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node.ts', cli: 'src/cli.ts', client: 'src/client/index.ts', testing: 'src/testing/index.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts', node: 'src/node.ts', client: 'src/client/index.ts', testing: 'src/testing/index.ts' } },
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Keep `node:` on built-in imports: without it `timers/promises` reads as a package path to some bundlers and test runners (vitest 4).
  removeNodeProtocol: false,
});
