/**
 * Every bare module a package's code imports must be declared in its own package.json.
 * In the workspace an undeclared import still resolves (npm hoists every package to the
 * root `node_modules`), so nothing fails until a stranger installs the published tarball:
 * this check makes it fail here first.
 *
 * Source files (`src/`, not tests) may import their `dependencies` and `peerDependencies`;
 * test files (`*.test.*`, `test-support.*`, `__fixtures__/`, `__examples__/`, `e2e/`) may also import their
 * `devDependencies` and the root's. `node:` built-ins are always allowed; a built-in
 * without `node:` is reported, as the tree writes them with it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative } from 'node:path';

const SOURCE = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const TEST_FILE =
  /(?:^|\/)(?:[^/]*\.(?:test|spec)\.[^/]+|test-support\.[^/]+|__fixtures__\/.*|__examples__\/.*|__tests__\/.*|__mocks__\/.*)$/;
const REGEX_BEFORE = new Set(['', '(', ',', '=', ':', '[', '!', '&', '|', '?', '{', '}', ';', '+', '-', '*', '%', '<', '>', '~', '^']);
const WORD_CHAR = /[\w$]/;
const SPACE = /\s/;
/** A run of characters that open nothing: no comment, string, template, regular expression or brace. */
const PLAIN = /[^/'"`{}]+/y;
const REGEX_AFTER_WORD = new Set([
  'return',
  'typeof',
  'case',
  'in',
  'of',
  'delete',
  'void',
  'throw',
  'new',
  'yield',
  'await',
  'instanceof',
  'else',
  'do',
]);

/**
 * The module specifiers a JavaScript or TypeScript source imports: `import … from`,
 * `import '…'`, `export … from`, `import('…')` and `require('…')` with a literal, type
 * imports included (a declaration file may keep them). Comments, the text of strings and
 * template literals, and regular expressions are skipped, so code quoted in them is not
 * taken for an import.
 * @example importedSpecifiers("import { z } from 'zod'; // import 'x'") // ['zod']
 */
export function importedSpecifiers(source: string): string[] {
  // Each string literal becomes `'<index>'`, its text kept aside: what the patterns below
  // see is code only, and a specifier is read back from the table.
  const strings: string[] = [];
  const out: string[] = [];
  // The last character emitted that is not a space, and the word it ends (`return` in `return /re/`).
  let last = '';
  let word = '';
  const emit = (text: string): void => {
    out.push(text);
    let k = text.length - 1;
    while (k >= 0 && SPACE.test(text[k] as string)) k--;
    if (k < 0) return;
    last = text[k] as string;
    let start = k;
    while (start >= 0 && WORD_CHAR.test(text[start] as string)) start--;
    word = text.slice(start + 1, k + 1);
  };
  const templates: number[] = []; // open `${` per template literal being read, innermost last
  let i = 0;
  const n = source.length;

  const skipTemplateText = (): void => {
    // From inside a template literal to its end (`) or to a `${` (pushed).
    while (i < n) {
      const c = source[i];
      if (c === '\\') i += 2;
      else if (c === '`') {
        i++;
        emit('``');
        return;
      } else if (c === '$' && source[i + 1] === '{') {
        i += 2;
        emit('`${');
        templates.push(0);
        return;
      } else i++;
    }
  };

  while (i < n) {
    // Most of a file needs no look: taken in one piece.
    PLAIN.lastIndex = i;
    const plain = PLAIN.exec(source);
    if (plain !== null) {
      emit(plain[0]);
      i += plain[0].length;
      continue;
    }
    const c = source[i] as string;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      i = end === -1 ? n : end;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
      emit(' ');
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let text = '';
      while (j < n && source[j] !== c && source[j] !== '\n') {
        if (source[j] === '\\') {
          text += source.slice(j, j + 2);
          j += 2;
        } else text += source[j++];
      }
      strings.push(text);
      emit(`'${strings.length - 1}'`);
      i = j + 1;
    } else if (c === '`') {
      i++;
      skipTemplateText();
    } else if (c === '{' && templates.length > 0) {
      templates[templates.length - 1] = (templates.at(-1) as number) + 1;
      emit(c);
      i++;
    } else if (c === '}' && templates.length > 0) {
      i++;
      if (templates.at(-1) === 0) {
        templates.pop();
        emit('}');
        skipTemplateText();
      } else {
        templates[templates.length - 1] = (templates.at(-1) as number) - 1;
        emit(c);
      }
    } else if (c === '/' && (REGEX_BEFORE.has(last) || REGEX_AFTER_WORD.has(word))) {
      let j = i + 1;
      let inClass = false;
      while (j < n && source[j] !== '\n') {
        const r = source[j];
        if (r === '\\') j++;
        else if (r === '[') inClass = true;
        else if (r === ']') inClass = false;
        else if (r === '/' && !inClass) break;
        j++;
      }
      i = j + 1;
      while (i < n && /[a-z]/.test(source[i] as string)) i++;
      emit('/r/');
    } else {
      emit(c);
      i++;
    }
  }

  const code = out.join('');
  const found: string[] = [];
  const literal = "'(\\d+)'";
  const patterns = [
    // import x from '…', import type { X } from '…', export { x } from '…', export * from '…'
    new RegExp(`(?<![\\w$.])(?:import|export)(?![\\w$])[^;'=()]*?(?<![\\w$.])from\\s*${literal}`, 'g'),
    // import '…' (for its side effects)
    new RegExp(`(?<![\\w$.])import\\s*${literal}`, 'g'),
    // import('…'), require('…'), import x = require('…')
    new RegExp(`(?<![\\w$.])(?:import|require)\\s*\\(\\s*${literal}\\s*[,)]`, 'g'),
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) found.push(strings[Number(match[1])] as string);
  }
  return found;
}

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or `undefined` for a relative path, a URL or a `node:` built-in. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export interface PackageManifest {
  name?: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** One import a package's manifest does not allow. */
export interface UndeclaredImport {
  /** The file, relative to the directory given to {@link undeclaredImports}'s caller (or absolute). */
  file: string;
  specifier: string;
  /** What is wrong, in words, with what to do. */
  problem: string;
}

/**
 * The imports of one file its package does not declare: `file` is read, `test` says
 * whether devDependencies count, `rootDevDependencies` are the workspace root's (tests
 * may use them).
 * @example undeclaredIn('packages/x/src/a.ts', source, manifest, false, {})
 */
export function undeclaredIn(
  file: string,
  source: string,
  manifest: PackageManifest,
  test: boolean,
  rootDevDependencies: Record<string, string> = {},
): UndeclaredImport[] {
  const runtime = { ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies };
  const allowed = test ? { ...rootDevDependencies, ...manifest.devDependencies, ...runtime } : runtime;
  const problems: UndeclaredImport[] = [];
  for (const specifier of importedSpecifiers(source)) {
    if (specifier.startsWith('node:')) continue;
    const name = packageOf(specifier);
    if (name === undefined || name === manifest.name || Object.hasOwn(allowed, name)) continue;
    if (isBuiltin(specifier)) {
      problems.push({ file, specifier, problem: `imports the built-in '${specifier}' without its prefix: write 'node:${specifier}'` });
    } else if (!test && Object.hasOwn(manifest.devDependencies ?? {}, name)) {
      problems.push({
        file,
        specifier,
        problem: `imports '${specifier}', a devDependency: code that ships needs '${name}' in dependencies (or peerDependencies)`,
      });
    } else {
      problems.push({
        file,
        specifier,
        problem: `imports '${specifier}', which its package.json does not declare: add '${name}' to ${test ? 'devDependencies' : 'dependencies (or peerDependencies)'}`,
      });
    }
  }
  return problems;
}

function* filesUnder(directory: string): Generator<string> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(directory, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/**
 * The undeclared imports of one workspace package: its `src/` (test files by their name
 * or folder) and its `e2e/` (all tests). Paths are relative to `root`.
 * @example expect(undeclaredImports('/repo', '/repo/packages/sdk', rootManifest.devDependencies)).toEqual([])
 */
export function undeclaredImports(root: string, packageDir: string, rootDevDependencies: Record<string, string> = {}): UndeclaredImport[] {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as PackageManifest;
  const problems: UndeclaredImport[] = [];
  for (const [folder, allTests] of [
    ['src', false],
    ['e2e', true],
  ] as const) {
    const base = join(packageDir, folder);
    for (const file of filesUnder(base)) {
      const test = allTests || TEST_FILE.test(relative(base, file).replaceAll('\\', '/'));
      problems.push(...undeclaredIn(relative(root, file), readFileSync(file, 'utf8'), manifest, test, rootDevDependencies));
    }
  }
  return problems;
}

/**
 * The directories of the workspace's packages, from the root package.json's `workspaces`
 * (entries ending in `/*` list a folder's subfolders that hold a package.json).
 * @example for (const dir of workspacePackages('/repo')) …
 */
export function workspacePackages(root: string): string[] {
  const { workspaces = [] } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces?: string[] };
  const dirs: string[] = [];
  for (const pattern of workspaces) {
    if (pattern.endsWith('/*')) {
      const parent = join(root, pattern.slice(0, -2));
      for (const entry of readdirSync(parent, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const dir = join(parent, entry.name);
        if (readdirSync(dir).includes('package.json')) dirs.push(dir);
      }
    } else dirs.push(join(root, pattern));
  }
  return dirs.sort();
}
