import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node.ts', cli: 'src/cli.ts', client: 'src/client/index.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts', node: 'src/node.ts', client: 'src/client/index.ts' } },
  clean: true,
  sourcemap: true,
  target: 'node20',
});
