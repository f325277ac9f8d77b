// Builds dist/ when it is missing or older than the sources, so that the tests reading it
// (the size budget, the built output, the end-to-end shop serving dist/caisse.js) work on
// their own too: `vitest run` in this package, or one file. It is the vitest global setup
// (vitest.config.ts): it runs once, before any suite and with no time-out, rather than in
// a `beforeAll`, which raced its hook time-out on a busy machine. Under `npm test` turbo's
// build task has already run and this does nothing. `node scripts/ensure-build.mjs` runs it
// by hand.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const mtime = (path) => {
  try {
    return statSync(join(root, path)).mtimeMs;
  } catch {
    return 0;
  }
};

export default function ensureBuild() {
  const sources = [
    'package.json',
    'tsup.config.ts',
    'tsconfig.json',
    ...readdirSync(join(root, 'src'), { recursive: true }).map((file) => join('src', String(file))),
  ];
  const built = Math.min(
    ...[
      'caisse.js',
      'index.js',
      'index.d.ts',
      'return.js',
      'locales/fr.js',
      'react.d.ts',
      'preact.d.ts',
      'vue.js',
      'vue.d.ts',
      'svelte.d.ts',
    ].map((file) => mtime(`dist/${file}`)),
  );
  if (!sources.some((file) => mtime(file) > built)) return;
  console.log('widget: building dist/ before the tests');
  const result = spawnSync('npx', ['--no-install', 'tsup'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`tsup failed (${result.status ?? result.signal}): the widget's dist/ is not built`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureBuild();
