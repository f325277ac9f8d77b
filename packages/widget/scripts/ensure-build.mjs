// Builds dist/ when it is missing or older than the sources, so that `npm test` in this
// package (whose size and built-output tests read dist/) works on its own. Under turbo
// the build task has already run and this does nothing.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const mtime = (path) => {
  try {
    return statSync(join(root, path)).mtimeMs;
  } catch {
    return 0;
  }
};
const sources = [
  'package.json',
  'tsup.config.ts',
  'tsconfig.json',
  ...readdirSync(join(root, 'src'), { recursive: true }).map((file) => join('src', String(file))),
];
const built = Math.min(...['caisse.js', 'index.js', 'index.d.ts', 'return.js', 'locales/fr.js'].map((file) => mtime(`dist/${file}`)));
if (sources.some((file) => mtime(file) > built)) {
  const result = spawnSync('npx', ['--no-install', 'tsup'], { cwd: root, stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
