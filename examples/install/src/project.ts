/**
 * A stranger's project: the public packages packed with `npm pack` as they would be
 * published, installed with `npm install` into an empty folder outside the monorepo, and
 * commands run there.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/** The packages a stranger installs: every workspace under packages/ that is not `private`. */
export const PUBLIC_PACKAGES = ['acquirer', 'payment-server', 'protocol', 'sdk', 'server-kit', 'widget'] as const;

export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  type?: string;
  engines?: { node?: string };
  repository?: { type?: string; url?: string; directory?: string };
  files?: string[];
  bin?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export function manifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** npm settings of the machine, kept for the commands run: where the cache and the registry are. */
const NPM_SETTINGS = /^npm_config_(cache|registry|userconfig|globalconfig|proxy|https_proxy|noproxy|strict_ssl|cafile|ca)$/i;

/**
 * Runs a command to its end; rejects when it exits with another code than `expect`
 * (default 0), with everything it printed. The `npm_*` variables of the test's own npm run
 * (its package, its workspace as local prefix) are left out, the machine's npm settings
 * kept: the command sees the environment a merchant's shell would.
 */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; input?: string; expect?: number | null; timeout?: number },
): Promise<Run> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_') || NPM_SETTINGS.test(name)),
  );
  const child = spawn(command, args, { cwd: options.cwd, env: { ...env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 120_000);
  return new Promise((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const result = { code, stdout, stderr };
      const expected = options.expect === undefined ? 0 : options.expect;
      if (expected !== null && code !== expected) {
        reject(new Error(`${command} ${args.join(' ')} (in ${options.cwd}) exited ${code}, not ${expected}:\n${stdout}\n${stderr}`));
      } else resolvePromise(result);
    });
  });
}

export interface PackedPackage {
  name: string;
  version: string;
  /** The tarball's absolute path. */
  tarball: string;
  /** The paths inside the tarball, as `npm pack` lists them. */
  files: string[];
}

/**
 * `npm pack` of the public packages into `destination`, from their built `dist/` (the
 * caller builds first; scripts/test.sh and turbo's `test` task do).
 */
export async function packPublicPackages(destination: string): Promise<PackedPackage[]> {
  for (const name of PUBLIC_PACKAGES) {
    for (const file of ['index.js', 'index.d.ts']) {
      if (!existsSync(join(ROOT, 'packages', name, 'dist', file))) {
        throw new Error(
          `packages/${name}/dist/${file} is missing: build first, with types (npx turbo run build, as scripts/test.sh and turbo's test task do; the demo's quick build skips types).`,
        );
      }
    }
  }
  mkdirSync(destination, { recursive: true });
  const workspaces = PUBLIC_PACKAGES.flatMap((name) => ['--workspace', `packages/${name}`]);
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destination, ...workspaces], { cwd: ROOT });
  const packed = JSON.parse(stdout) as { name: string; version: string; filename: string; files: { path: string }[] }[];
  return packed.map((entry) => ({
    name: entry.name,
    version: entry.version,
    tarball: join(destination, entry.filename),
    files: entry.files.map((file) => file.path),
  }));
}

/**
 * An empty project in `dir` whose dependencies are the tarballs, installed by npm (the
 * packages' own dependencies from the registry, from npm's cache when it holds them).
 */
export async function installTarballs(dir: string, packed: readonly PackedPackage[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const dependencies = Object.fromEntries(packed.map((entry) => [entry.name, `file:${entry.tarball}`]));
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'tea-shop', private: true, dependencies }, null, 2)}\n`);
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, timeout: 180_000 });
}

/**
 * Lines of code in a merchant file as a reader counts them: blank lines and lines holding
 * only a comment are not code.
 * @example codeLines("import x from 'x';\n\n// why\nx();\n") // 2
 */
export function codeLines(source: string): number {
  return source.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('//')).length;
}
