import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { importedSpecifiers, undeclaredImports, workspacePackages } from './declared-imports.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

describe('every import of the workspace is declared by its package', () => {
  it('no package imports a module its package.json does not declare (src: dependencies; tests: devDependencies too)', () => {
    const rootManifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const packages = workspacePackages(ROOT);
    expect(packages.map((dir) => dir.slice(ROOT.length + 1))).toEqual(expect.arrayContaining(['packages/payment-server', 'examples/e2e']));
    const problems = packages.flatMap((dir) => undeclaredImports(ROOT, dir, rootManifest.devDependencies));
    expect(problems.map(({ file, problem }) => `${file} ${problem}`)).toEqual([]);
  });
});

describe('undeclaredImports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'caisse-declared-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write(
    'package.json',
    JSON.stringify({ name: '@x/pkg', dependencies: { zod: '1' }, peerDependencies: { react: '19' }, devDependencies: { msw: '2' } }),
  );

  it('reports an undeclared module, a devDependency and a built-in without node: in shipped code, and nothing else', () => {
    write(
      'src/index.ts',
      [
        "import { z } from 'zod';",
        "import type { FC } from 'react';",
        "import { readFile } from 'node:fs/promises';",
        "import ky from 'ky';",
        "import { http } from 'msw';",
        "import { join } from 'path';",
        "import { self } from '@x/pkg/sub';",
        "import { sibling } from './sibling.js';",
      ].join('\n'),
    );
    write('src/index.test.ts', "import { http } from 'msw';\nimport { it } from 'vitest';\nimport left from 'left-pad';\n");
    write('src/__fixtures__/server.ts', "import { setupServer } from 'msw/node';\n");
    write('e2e/flow.ts', "import { chromium } from 'playwright-core';\n");
    const problems = undeclaredImports(dir, dir, { vitest: '4' });
    expect(problems.map(({ file, specifier }) => `${file} ${specifier}`).sort()).toEqual([
      'e2e/flow.ts playwright-core',
      'src/index.test.ts left-pad',
      'src/index.ts ky',
      'src/index.ts msw',
      'src/index.ts path',
    ]);
    expect(problems.find((problem) => problem.specifier === 'ky')?.problem).toBe(
      "imports 'ky', which its package.json does not declare: add 'ky' to dependencies (or peerDependencies)",
    );
    expect(problems.find((problem) => problem.specifier === 'msw')?.problem).toContain('a devDependency');
    expect(problems.find((problem) => problem.specifier === 'path')?.problem).toContain("write 'node:path'");
  });
});

describe('importedSpecifiers', () => {
  it('finds every kind of import and export-from, type imports included', () => {
    const source = `
      import a from 'a';
      import * as b from "b";
      import { c1,
        c2 } from '@scope/c/sub';
      import type { D } from 'd';
      import 'e';
      export { f } from 'f';
      export * from 'g';
      export type { H } from 'h';
      const i = await import('i');
      const j = require('j');
      import k = require('k');
      const l = await import('l', { with: { type: 'json' } });
    `;
    expect(importedSpecifiers(source).sort()).toEqual(['@scope/c/sub', 'a', 'b', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l']);
  });

  it('skips imports written in comments, strings, template literals and regular expressions', () => {
    const source = `
      // import x from 'comment';
      /* import y from 'block'; */
      /** @example import { z } from 'tsdoc' */
      const s = "import q from 'string'";
      const t = \`import r from 'template' \${value.map((v) => \`\${v}\`)} import('template-dynamic')\`;
      const re = /import s from 'regex'/;
      const half = total / 2; const other = 'x' + "import('quoted')";
      if (/['"]/.test(text)) done();
      const pick = (text) => { return /import\\('x'\\)/.exec(text) };
      const ratio = a / b / c; const q = "import('after-division')";
      import real from 'real';
    `;
    expect(importedSpecifiers(source)).toEqual(['real']);
  });

  it('is not fooled by a method called import or a property named from', () => {
    expect(importedSpecifiers("loader.import('x'); const from = 'y'; Buffer.from('z'); obj.require('w');")).toEqual([]);
  });
});
