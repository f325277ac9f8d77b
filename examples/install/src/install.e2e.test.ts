/**
 * What a stranger gets from npm: the public packages packed as they would be published,
 * installed into an empty project outside the monorepo (nothing of the workspace can be
 * reached from there), and used as the READMEs show: `import` and `require`, types, the
 * CLIs, and a payment taken in at most 15 lines of merchant code.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { importedSpecifiers, packageOf } from '@caisse/testing/declared-imports';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Background, background, freePort } from './process.js';
import {
  codeLines,
  installTarballs,
  type Manifest,
  manifest,
  type PackedPackage,
  PUBLIC_PACKAGES,
  packPublicPackages,
  ROOT,
  run,
} from './project.js';

const HERE = resolve(ROOT, 'examples/install');
const MERCHANT_LINES = 15;

let temp: string;
let shop: string;
let server: Background | undefined;
let phone: Background | undefined;
/**
 * The packages packed and installed, then the slow parts started together (two cores: one
 * waits on I/O while the other computes). Each test awaits what it needs, so a failure
 * here fails every test (with its cause) rather than skipping them.
 */
let setup: Promise<{
  packed: PackedPackage[];
  load: ReturnType<typeof loadAll>;
  types: ReturnType<typeof typecheck>;
  clis: ReturnType<typeof clis>;
  payments: ReturnType<typeof startPayments>;
}>;

beforeAll(() => {
  temp = mkdtempSync(join(tmpdir(), 'caisse-install-'));
  shop = join(temp, 'tea-shop');
  setup = (async () => {
    // Outside the monorepo: no node_modules above it can lend a package what its tarball forgot.
    if (!relative(ROOT, temp).startsWith('..')) throw new Error(`${temp} is inside the monorepo`);
    const packed = await packPublicPackages(join(temp, 'tarballs'));
    await installTarballs(shop, packed);
    const started = { payments: startPayments(), types: typecheck(), load: loadAll(), clis: clis() };
    // Each is awaited by its test; until then a failure must not count as unhandled.
    for (const promise of Object.values(started)) promise.catch(() => undefined);
    return { packed, ...started };
  })();
  setup.catch(() => undefined);
});

afterAll(async () => {
  // Whatever failed, the processes started are stopped (and none is still being started).
  await setup?.then((started) => started.payments).catch(() => undefined);
  await phone?.stop();
  await server?.stop();
  if (temp) rmSync(temp, { recursive: true, force: true });
});

/** The installed copy of a package. */
function installed(name: string): { dir: string; manifest: Manifest } {
  const dir = join(shop, 'node_modules', name);
  return { dir, manifest: manifest(dir) };
}

/** The JavaScript subpaths of a package's export map (not `./package.json`, not the widget's script-tag file). */
function moduleSubpaths(entry: Manifest): string[] {
  return Object.entries(entry.exports ?? {})
    .filter(([, target]) => typeof target === 'object')
    .map(([subpath]) => (subpath === '.' ? entry.name : `${entry.name}/${subpath.slice(2)}`));
}

function* filesUnder(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else yield path;
  }
}

describe('each public package, packed', () => {
  it('is every non-private package of packages/', async () => {
    const { packed } = await setup;
    const all = readdirSync(join(ROOT, 'packages')).filter((name) => !manifest(join(ROOT, 'packages', name)).private);
    expect(all.sort()).toEqual([...PUBLIC_PACKAGES]);
    expect(packed.map((entry) => entry.name).sort()).toEqual(PUBLIC_PACKAGES.map((name) => `@caisse/${name}`));
  });

  it('ships its built code, types, README, CHANGELOG and the Apache 2.0 LICENSE, and no source or test', async () => {
    const { packed } = await setup;
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(license).toContain('Apache License\n                           Version 2.0, January 2004');
    expect(license).toContain('END OF TERMS AND CONDITIONS');
    for (const entry of packed) {
      expect(entry.files, entry.name).toEqual(
        expect.arrayContaining(['LICENSE', 'CHANGELOG.md', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']),
      );
      // Built code, not the TypeScript source nor the tests.
      expect(
        entry.files.filter((file) => file.startsWith('src/') || /\.(test|spec)\.|__fixtures__|test-support|(?<!\.d)\.ts$/.test(file)),
        entry.name,
      ).toEqual([]);
      const { dir } = installed(entry.name);
      expect(readFileSync(join(dir, 'LICENSE'), 'utf8'), entry.name).toBe(license);
      expect(readFileSync(join(dir, 'CHANGELOG.md'), 'utf8'), entry.name).toMatch(
        new RegExp(`^# ${entry.name}\\n\\n## \\d+\\.\\d+\\.\\d+`),
      );
    }
  });

  it('says where it comes from, which Node it needs, and exports every subpath to both import and require, types first', async () => {
    await setup;
    const engines = new Set<string | undefined>();
    for (const name of PUBLIC_PACKAGES) {
      const { manifest: entry } = installed(`@caisse/${name}`);
      expect(entry.license, entry.name).toBe('Apache-2.0');
      expect(entry.repository, entry.name).toMatchObject({
        type: 'git',
        url: expect.stringMatching(/^git\+https:\/\//),
        directory: `packages/${name}`,
      });
      engines.add(entry.engines?.node);
      for (const [subpath, target] of Object.entries(entry.exports ?? {})) {
        if (typeof target === 'string') continue;
        // `default` is what `require` of an ES module (Node 20.19+, 22.12+) and `import` both take; `types` must come first.
        expect(Object.keys(target), `${entry.name} ${subpath}`).toEqual(['types', 'default']);
      }
    }
    // require() of an ES module needs Node 20.19 (or 22.12 on 22): the engines say so.
    expect([...engines]).toEqual(['^20.19.0 || >=22.12.0']);
  });

  it('reaches nothing outside itself: its dist imports only built-ins and its declared dependencies, and bundles no workspace source', async () => {
    await setup;
    const problems: string[] = [];
    for (const name of PUBLIC_PACKAGES) {
      const { dir, manifest: entry } = installed(`@caisse/${name}`);
      const declared = { ...entry.dependencies, ...entry.peerDependencies };
      // A script-tag file (the widget's `caisse.js`) carries everything it needs by design.
      const standalone = Object.values(entry.exports ?? {})
        .filter((target) => typeof target === 'string' && target.endsWith('.js'))
        .map((target) => `${resolve(dir, target as string)}.map`);
      for (const file of filesUnder(join(dir, 'dist'))) {
        const text = readFileSync(file, 'utf8');
        const where = `${entry.name}/${relative(dir, file)}`;
        if (text.includes(ROOT)) problems.push(`${where} names the monorepo's path`);
        if (file.endsWith('.js')) {
          for (const specifier of importedSpecifiers(text)) {
            if (isBuiltin(specifier)) continue;
            if (specifier.startsWith('.')) {
              if (relative(dir, resolve(dirname(file), specifier)).startsWith('..'))
                problems.push(`${where} imports ${specifier}, outside the package`);
              continue;
            }
            const dependency = packageOf(specifier);
            if (dependency !== undefined && dependency !== entry.name && !Object.hasOwn(declared, dependency)) {
              problems.push(`${where} imports ${specifier}, not in its dependencies`);
            }
          }
        }
        if (file.endsWith('.js.map')) {
          const map = JSON.parse(text) as { sources: string[]; sourcesContent?: (string | null)[] };
          for (const source of map.sources) {
            // Its own src/ (carried in sourcesContent) or a dependency; never another workspace package's source.
            const path = relative(dir, resolve(dirname(file), source));
            if (path.startsWith('..') && !path.includes('node_modules') && !standalone.includes(file))
              problems.push(`${where} bundles ${source}`);
          }
          if (map.sources.length !== (map.sourcesContent ?? []).filter((content) => typeof content === 'string').length) {
            problems.push(`${where} maps to sources it does not carry`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('installed into an empty project outside the monorepo', () => {
  it('loads every subpath with import and with require, to the same exports', async () => {
    const { subpaths, viaImport, viaRequire } = await (await setup).load;
    const imported = JSON.parse(viaImport.stdout) as Record<string, string[]>;
    expect(Object.keys(imported)).toEqual(subpaths);
    expect(imported['@caisse/server-kit']).toEqual(expect.arrayContaining(['createMerchant', 'createTicket', 'verifyVoucher']));
    expect(imported['@caisse/server-kit/client']).toContain('createMerchantClient');
    expect(imported['@caisse/payment-server']).toEqual(expect.arrayContaining(['startPaymentServer', 'loadConfig']));
    expect(imported['@caisse/sdk']).toContain('createDevice');
    expect(JSON.parse(viaRequire.stdout)).toEqual(imported);
    // Nothing printed: no ExperimentalWarning, as a Node too old for require() of an ES module without a flag would print.
    expect(viaRequire.stderr).toBe('');
  });

  it('gives TypeScript the types of every subpath, for import and for require (module nodenext, strict)', async () => {
    const typecheck = await (await setup).types;
    expect(typecheck.stdout + typecheck.stderr).toBe('');
  });

  it('runs the CLIs from the installed packages: npx caisse, npx caisse-server', async () => {
    const [kit, server] = await (await setup).clis;
    expect(kit.stdout).toContain('keys new');
    expect(server.stdout).toContain('Usage: caisse-server <command>');
  });
});

describe(`a payment in at most ${MERCHANT_LINES} lines of merchant code, against the installed payment server`, () => {
  it.each([
    ['pay.mjs', 'import'],
    ['pay.cjs', 'require'],
  ])('%s (%s): creates a ticket, has it paid, and verifies the voucher', async (file) => {
    const { issuer, merchantKey } = await (await setup).payments;
    const source = readFileSync(join(HERE, 'merchant', file), 'utf8');
    expect(codeLines(source)).toBeLessThanOrEqual(MERCHANT_LINES);
    writeFileSync(join(shop, file), source);
    const paid = await run(process.execPath, [file], { cwd: shop, env: { CAISSE_SERVER: issuer, CAISSE_MERCHANT_KEY: merchantKey } });
    const voucher = JSON.parse(paid.stdout) as Record<string, unknown>;
    expect(voucher).toMatchObject({
      iss: issuer,
      aud: 'tea-shop',
      amount: 450,
      currency: 'EUR',
      status: 'authorised',
      funding: 'wallet',
      serial: expect.stringMatching(/^order-\d+$/),
      jti: expect.stringMatching(/^pay_[1-9]\d*$/),
      // Approved on the customer's phone with the PIN.
      confirmation: { method: 'device' },
    });
  });
});

/** Node loads every subpath of every package, once with `import`, once with `require`. */
async function loadAll() {
  const subpaths = PUBLIC_PACKAGES.flatMap((name) => moduleSubpaths(installed(`@caisse/${name}`).manifest));
  const list = JSON.stringify(subpaths);
  writeFileSync(
    join(shop, 'load.mjs'),
    `const out = {};\nfor (const s of ${list}) out[s] = Object.keys(await import(s)).filter((k) => k !== 'default').sort();\nconsole.log(JSON.stringify(out));\n`,
  );
  writeFileSync(
    join(shop, 'load.cjs'),
    `const out = {};\nfor (const s of ${list}) out[s] = Object.keys(require(s)).filter((k) => k !== 'default' && k !== '__esModule').sort();\nconsole.log(JSON.stringify(out));\n`,
  );
  const viaImport = await run(process.execPath, ['load.mjs'], { cwd: shop });
  const viaRequire = await run(process.execPath, ['load.cjs'], { cwd: shop });
  return { subpaths, viaImport, viaRequire };
}

/** TypeScript (the workspace's compiler, the project's node_modules) on files importing every subpath, and on what a merchant names. */
async function typecheck() {
  const subpaths = PUBLIC_PACKAGES.flatMap((name) => moduleSubpaths(installed(`@caisse/${name}`).manifest));
  writeFileSync(
    join(shop, 'types.mts'),
    subpaths.map((s, i) => `import * as m${i} from '${s}';\nexport type T${i} = typeof m${i};\n`).join(''),
  );
  writeFileSync(
    join(shop, 'types.cts'),
    subpaths.map((s, i) => `import m${i} = require('${s}');\nexport type T${i} = typeof m${i};\n`).join(''),
  );
  // The real types, not `any`: a wrong assignment must be an error.
  writeFileSync(
    join(shop, 'usage.mts'),
    [
      "import { createMerchant, type Voucher } from '@caisse/server-kit';",
      "import { createMerchantClient, type DecoupledPayment } from '@caisse/server-kit/client';",
      "import type { Config } from '@caisse/payment-server';",
      "export type Named = [DecoupledPayment['state'], Config['PORT'], typeof createMerchant, typeof createMerchantClient];",
      "// @ts-expect-error: a voucher's amount is a number",
      "export const wrong: Voucher['amount'] = 'twelve';",
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(shop, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        lib: ['es2023', 'dom'],
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules/@types')],
      },
      files: ['types.mts', 'types.cts', 'usage.mts'],
    }),
  );
  return run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: shop });
}

/** `npx` finds both commands in the project's node_modules/.bin, as a merchant's shell would. */
function clis() {
  return Promise.all([
    run('npx', ['--no-install', 'caisse', '--help'], { cwd: shop }),
    run('npx', ['--no-install', 'caisse-server', '--help'], { cwd: shop }),
  ]);
}

/**
 * The harness around the merchant: the merchant's key (the kit's CLI), the operator
 * registering it (the server's CLI, which creates the PGlite database), the payment server
 * started by the installed package's exported function with a customer and her enrolment
 * code (harness/operator.mjs), and her phone on the installed SDK (harness/phone.mjs).
 */
async function startPayments() {
  const port = await freePort();
  const issuer = `http://localhost:${port}`;
  const env = { CAISSE_DATA_DIR: join(temp, 'payment-server'), PORT: String(port), CAISSE_ISSUER: issuer, LOG_LEVEL: 'warn' };
  const bin = (name: string) => join(shop, 'node_modules/.bin', name);
  await run(process.execPath, [bin('caisse'), 'keys', 'new', '--out', 'keys'], { cwd: shop });
  const merchantKey = readFileSync(join(shop, 'keys/merchant-key.private.json'), 'utf8');
  const register = ['merchants', 'add', '--id', 'tea-shop', '--name', 'The Tea Shop', '--jwks', 'keys/merchant-key.jwks.json'];
  const added = await run(process.execPath, [bin('caisse-server'), ...register, '--origin', 'https://tea.example'], { cwd: shop, env });
  if (!added.stdout.includes('Merchant tea-shop (The Tea Shop) registered'))
    throw new Error(`caisse-server merchants add: ${added.stdout}`);
  for (const file of ['operator.mjs', 'phone.mjs']) writeFileSync(join(shop, file), readFileSync(join(HERE, 'harness', file)));
  server = background(process.execPath, ['operator.mjs'], { cwd: shop, env });
  const code = (await server.line((line) => line.startsWith('ready '))).slice('ready '.length);
  phone = background(process.execPath, ['phone.mjs'], { cwd: shop, env: { CAISSE_SERVER: issuer, ENROLMENT_CODE: code, PIN: '4821' } });
  await phone.line((line) => line === 'enrolled');
  return { issuer, merchantKey };
}
