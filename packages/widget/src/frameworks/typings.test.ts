// @vitest-environment node
/**
 * The JSX and template typings, checked as each framework's own checker checks a
 * merchant's page: the fixtures in `fixtures/<framework>/` import `@caisse/widget/<framework>`
 * by package name, so what is checked is what ships (the exports map and `dist/*.d.ts`).
 *
 * Each fixture uses `<caisse-checkout>` as the README shows it, and lists mistakes the
 * typings must reject (`@ts-expect-error`, `@vue-expect-error`, or for Svelte, whose
 * markup has no such comment, a `<!-- wrong: … -->` line checked here). Without the
 * typings every check fails: React and Preact know no `caisse-checkout` element, and Vue
 * and Svelte accept anything on an unknown tag, so the expected errors do not come.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
/** The checkers take seconds alone, and much longer on two cores busy with every package's tests. */
const CHECK_TIMEOUT = 300_000;

/** Runs a checker's bin with Node from the fixtures folder; resolves with its exit code and output. */
async function check(bin: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [require.resolve(bin), ...args], { cwd: FIXTURES, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code?: number; stdout?: string; stderr?: string };
    return { code: code ?? -1, output: `${stdout ?? ''}${stderr ?? ''}` };
  }
}

describe('the JSX typings of <caisse-checkout>', () => {
  it('React 19, automatic runtime (`jsx: react-jsx`): accepts the README usage, rejects each mistake', {
    timeout: CHECK_TIMEOUT,
  }, async () => {
    expect(await check('typescript/bin/tsc', ['-p', 'react/tsconfig.json'])).toEqual({ code: 0, output: '' });
  });

  it('React 19, classic runtime (`jsx: react`, `React.JSX`)', { timeout: CHECK_TIMEOUT }, async () => {
    expect(await check('typescript/bin/tsc', ['-p', 'react/tsconfig.classic.json'])).toEqual({ code: 0, output: '' });
  });

  it('Preact (`preact.JSX`)', { timeout: CHECK_TIMEOUT }, async () => {
    expect(await check('typescript/bin/tsc', ['-p', 'preact/tsconfig.json'])).toEqual({ code: 0, output: '' });
  });
});

describe('the template typings of <caisse-checkout>', () => {
  it('Vue 3 (`GlobalComponents`, checked by vue-tsc)', { timeout: CHECK_TIMEOUT }, async () => {
    expect(await check('vue-tsc/bin/vue-tsc.js', ['-p', 'vue/tsconfig.json'])).toEqual({ code: 0, output: '' });
  });

  it('Svelte 5 (`svelte/elements`, checked by svelte-check): the usage is clean, and each mistake is one error', {
    timeout: CHECK_TIMEOUT,
  }, async () => {
    const { output } = await check('svelte-check/bin/svelte-check', ['--tsconfig', 'svelte/tsconfig.json', '--output', 'machine']);
    // Machine output: `<time> ERROR "<file>" <line>:<column> "<message>"`, one a line.
    const problems = [...output.matchAll(/^\d+ (ERROR|WARNING) "([^"]+)" (\d+):\d+ (.*)$/gm)].map(([, kind, file, line, message]) => ({
      kind,
      file,
      line: Number(line),
      message,
    }));
    expect(output).toMatch(/COMPLETED \d+ FILES/);
    const mistakes = readFileSync(join(FIXTURES, 'svelte/Mistakes.svelte'), 'utf8')
      .split('\n')
      .flatMap((text, index) => (/^\s*<!-- wrong:/.test(text) ? [index + 2] : []));
    expect(mistakes).toHaveLength(8);
    expect(problems.filter(({ file }) => file !== 'svelte/Mistakes.svelte')).toEqual([]);
    expect(problems.map(({ kind, line }) => `${kind} ${line}`)).toEqual(mistakes.map((line) => `ERROR ${line}`));
  });
});
