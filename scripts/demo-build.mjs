// Builds what the demo runs, JavaScript only: tsup without type declarations (which take
// most of a full build's time and which the demo never reads), in dependency order,
// skipping a package whose dist/ is newer than its sources. Once one package is rebuilt,
// the ones after it are too: some bundle their dependencies' output (the widget's script
// tag file, the phone app). `npm run build` (Turborepo) still makes the full build, with
// declarations, for the tests and the packages' users.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const ORDER = [
  'packages/protocol',
  'packages/server-kit',
  'packages/sdk',
  'packages/widget',
  'packages/acquirer',
  'packages/sandbox-bank',
  'packages/payment-server',
  'examples/store-support',
  'examples/bookshop',
  'examples/newsstand',
  'examples/phone',
];

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

// `clean: false` keeps the declarations a full build left in dist/, which editors and `tsc` read.
const TSUP_JS_ONLY = "import { build } from 'tsup'; await build({ dts: false, clean: false, silent: true });";

let rebuildRest = false;
for (const folder of ORDER) {
  const dir = join(ROOT, folder);
  if (!existsSync(join(dir, 'package.json'))) continue;
  const sources = Math.max(...['src', 'public', 'assets', 'package.json', 'tsup.config.ts', 'build.mjs'].map((p) => newest(join(dir, p))));
  const dist = existsSync(join(dir, 'dist'))
    ? Math.min(...readdirSync(join(dir, 'dist')).map((name) => statSync(join(dir, 'dist', name)).mtimeMs))
    : 0;
  if (!rebuildRest && dist > sources) continue;
  rebuildRest = true;
  const started = Date.now();
  // One process per package: tsup and esbuild resolve the entries against the working directory.
  const args = existsSync(join(dir, 'tsup.config.ts')) ? ['--input-type=module', '-e', TSUP_JS_ONLY] : ['build.mjs'];
  const result = spawnSync(process.execPath, args, { cwd: dir, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
  console.log(`demo build: ${folder} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
