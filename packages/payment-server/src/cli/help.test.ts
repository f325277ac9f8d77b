import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../storage/migrations/index.js';
import { cliInTempFolder } from './__fixtures__/run.js';
import { USAGE } from './usage.js';

// None of these commands opens the database: help and version answer from the code alone.
let cli: Awaited<ReturnType<typeof cliInTempFolder>>;
const run = (argv: string[]) => cli.run(argv);

beforeAll(async () => {
  cli = await cliInTempFolder('caisse-cli-help-');
});
afterAll(async () => {
  await cli.remove();
});

/** The command lines of the whole usage (not their continuations): `  customers plan ACCOUNT   […]`. */
const commandLines = (text: string) => text.split('\n').filter((line) => /^ {2}[a-z]/.test(line));

describe('caisse-server --help', () => {
  it("prints one command's usage, and only its lines", async () => {
    const plan = await run(['customers', 'plan', '--help']);
    expect(plan).toMatchObject({ code: 0, err: '' });
    expect(plan.out.split('\n')[0]).toBe('Usage: caisse-server customers plan [options]');
    expect(commandLines(plan.out)).toEqual([expect.stringMatching(/^ {2}customers plan ACCOUNT +\[--currency EUR\]/)]);
    // After the command's own arguments too: `--help` is a question, wherever it is.
    expect(await run(['customers', 'plan', 'alice', '--currency', 'EUR', '--help'])).toEqual(plan);
  });

  it("prints a group's lines for the group, with the lines each domain keeps for its own commands", async () => {
    const merchants = await run(['merchants', '--help']);
    expect(merchants).toMatchObject({ code: 0, err: '' });
    expect(merchants.out.split('\n')[0]).toBe('Usage: caisse-server merchants <action> [options]');
    const names = commandLines(merchants.out).map((line) => line.trim().split(/\s{2,}/)[0] ?? '');
    expect(names).toEqual(
      expect.arrayContaining([
        'merchants add',
        'merchants list',
        'merchants key add',
        'merchants quote-endpoint',
        'merchants refusals MERCHANT',
        'merchants carrier-key add',
        'merchants bank-ref',
      ]),
    );
    expect(names.every((name) => name.startsWith('merchants '))).toBe(true);
    // A continuation line goes with its command.
    expect((await run(['customers', 'add', '--help'])).out).toContain('[--monthly 1000.00] [--bank-ref REF]');
    expect(await run(['help', 'merchants'])).toEqual(merchants);
  });

  it('answers every command of the usage with its own lines, exit 0', async () => {
    // `help --help` is the whole usage: what help is for.
    for (const line of commandLines(USAGE).filter((shown) => !shown.startsWith('  help '))) {
      const name = line.trim().split(/\s{2,}/)[0] as string;
      const words = name.split(' ').filter((word) => /^[a-z][a-z-]*$/.test(word));
      const help = await run([...words, '--help']);
      expect(help, name).toMatchObject({ code: 0, err: '' });
      expect(commandLines(help.out), name).toContain(line);
      expect(
        commandLines(help.out).every((shown) => shown.startsWith(`  ${words[0]} `)),
        name,
      ).toBe(true);
    }
  });

  it('tells `settle` from `settlements`: a group is a whole word', async () => {
    const settle = await run(['settle', '--help']);
    expect(commandLines(settle.out)).toEqual([expect.stringMatching(/^ {2}settle +--date/)]);
  });

  it('prints the whole usage for --help and help (exit 0), and for nothing at all (exit 2)', async () => {
    expect(await run(['--help'])).toEqual({ code: 0, out: USAGE, err: '' });
    expect(await run(['-h'])).toEqual({ code: 0, out: USAGE, err: '' });
    expect(await run(['help'])).toEqual({ code: 0, out: USAGE, err: '' });
    expect(await run([])).toEqual({ code: 2, out: USAGE, err: '' });
    expect(USAGE).toContain('--json');
  });

  it('suggests the nearest command for a typo, exit 2', async () => {
    const typo = await run(['merchant', 'list']);
    expect(typo.code).toBe(2);
    expect(typo.err.split('\n')[0]).toBe('caisse-server: Unknown command "merchant list". Did you mean "merchants list"?');
    expect((await run(['custmers', 'plan', 'alice'])).err).toContain('Did you mean "customers plan"?');
    expect(await run(['customers', 'plna', '--help'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('Unknown command "customers plna". Did you mean "customers plan"?'),
    });
    expect((await run(['disputes', 'lsit'])).err).toContain('Did you mean "disputes list"?');
    expect(await run(['prun'])).toMatchObject({ code: 2, err: expect.stringContaining('Did you mean "prune"?') });
    // Nothing near: no guess, the whole usage.
    const nothing = await run(['frobnicate']);
    expect(nothing).toMatchObject({ code: 2, err: expect.stringContaining('Unknown command "frobnicate".') });
    expect(nothing.err).not.toContain('Did you mean');
    expect(nothing.err).toContain(USAGE);
    expect(await run(['help', 'frobnicate'])).toMatchObject({ code: 2, err: expect.stringContaining('Unknown command "frobnicate"') });
  });

  it('follows a usage error with the usage of that command only', async () => {
    const wrong = await run(['wallet', 'credit', '--account']);
    expect(wrong.code).toBe(2);
    expect(commandLines(wrong.err)).toEqual([expect.stringMatching(/^ {2}wallet credit /)]);
  });
});

describe('caisse-server --version', () => {
  it("prints the package's version and the latest migration it knows", async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const schema = MIGRATIONS.at(-1)?.version;
    const expected = `caisse-server ${version} (@caisse/payment-server), migrations up to ${schema}`;
    expect(await run(['--version'])).toEqual({ code: 0, out: expected, err: '' });
    expect(await run(['version'])).toEqual({ code: 0, out: expected, err: '' });
    expect(JSON.parse((await run(['version', '--json'])).out)).toEqual({ version, schema });
    expect((await run(['version', 'extra'])).code).toBe(2);
  });
});
