// A TypeDoc plugin (typedoc.json, `npm run docs:api`): in packages mode, each package's
// entry points are the subpaths its package.json `exports` publishes with types, mapped
// back to their source (`./dist/client.d.ts` → `src/client/index.ts`), and each module is
// named by the specifier that imports it (`@caisse/server-kit/client`). The reference then
// documents exactly what an installed package offers, and a new subpath needs no edit here.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Converter, ReflectionKind } from 'typedoc';

/** Each subpath of an exports map with a `types` target (conditions nested at any depth): [subpath, target]. */
function typedExports(exports, subpath = '.') {
  if (typeof exports !== 'object' || exports === null) return [];
  return Object.entries(exports).flatMap(([key, value]) => {
    if (key === 'types' && typeof value === 'string') return [[subpath, value]];
    return typedExports(value, key.startsWith('.') ? key : subpath);
  });
}

/**
 * The source of a built declaration file, as the package's tsup config names it:
 * `./dist/locales/fr.d.ts` → `src/locales/fr.ts`, else `src/<name>/index.ts` (server-kit's
 * `client`), else the only `<name>.ts` one folder below `src/` (the widget's
 * `src/frameworks/react.ts`); `.tsx` alike.
 */
function sourceOf(dir, target) {
  const stem = target.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '');
  const existing = (stems) => stems.flatMap((path) => [`${path}.ts`, `${path}.tsx`]).filter((path) => existsSync(join(dir, path)));
  const [direct] = existing([`src/${stem}`, `src/${stem}/index`]);
  if (direct !== undefined) return direct;
  const folders = readdirSync(join(dir, 'src'), { withFileTypes: true }).filter((entry) => entry.isDirectory());
  const below = existing(folders.map((folder) => `src/${folder.name}/${stem}`));
  return below.length === 1 ? below[0] : undefined;
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  /** Absolute source file of each entry point → the specifier that imports it. */
  const specifiers = new Map();

  app.options.addReader({
    name: 'caisse-package-exports',
    // After typedoc.json (100), package.json (150) and tsconfig.json (200): a package that sets its own entry points keeps them.
    order: 300,
    supportsPackages: true,
    read(container, logger) {
      const dir = container.packageDir;
      if (dir === undefined || container.isSet('entryPoints')) return;
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const entryPoints = [];
      for (const [subpath, target] of typedExports(manifest.exports)) {
        const source = sourceOf(dir, target);
        if (source === undefined) {
          logger.warn(`${manifest.name}: no single source file for the export ${subpath} (${target})`);
          continue;
        }
        if (entryPoints.includes(source)) continue;
        entryPoints.push(source);
        specifiers.set(resolve(dir, source), subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`);
      }
      container.setValue('entryPoints', entryPoints, dir);
    },
  });

  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      const specifier = specifiers.get(resolve(module.sources?.[0]?.fullFileName ?? ''));
      if (specifier !== undefined) module.name = specifier;
    }
  });
}
