import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKey } from '@caisse/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliInTempFolder } from '../cli/__fixtures__/run.js';

/** `caisse-server merchants …`, as an operator runs it against the embedded database's folder (seconds per command). */
describe('caisse-server merchants: lifecycle and keys', () => {
  let cli: Awaited<ReturnType<typeof cliInTempFolder>>;
  const first = generateKey();
  const second = generateKey();
  let firstFile: string;
  let secondFile: string;

  beforeAll(async () => {
    cli = await cliInTempFolder('caisse-merchants-cli-', { USER: 'alice' });
    firstFile = join(cli.dir, 'first.jwks.json');
    secondFile = join(cli.dir, 'second.jwks.json');
    await writeFile(firstFile, JSON.stringify(first.jwks));
    await writeFile(secondFile, JSON.stringify(second.jwks));
  });
  afterAll(async () => {
    await cli?.remove();
  });

  it('adds a merchant pending, approves, suspends with a reason, resumes, and shows it all', { timeout: 240_000 }, async () => {
    const added = await cli.run([
      'merchants',
      'add',
      '--id',
      'bookshop',
      '--name',
      'La Librairie',
      '--jwks',
      firstFile,
      '--origin',
      'https://shop.example',
      '--pending',
    ]);
    expect(added).toMatchObject({ code: 0, out: expect.stringContaining('It is pending: it takes no payments until approved') });
    expect((await cli.run(['merchants', 'list'])).out).toBe('bookshop\tpending\tLa Librairie\thttps://shop.example');

    expect(await cli.run(['merchants', 'approve', 'bookshop'])).toMatchObject({
      code: 0,
      out: 'Merchant bookshop is active: it takes payments from now on.',
    });
    expect(await cli.run(['merchants', 'approve', 'bookshop'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('merchant_status_conflict: Merchant bookshop is active: only a pending merchant can be approved.'),
    });
    expect(await cli.run(['merchants', 'suspend', 'bookshop'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--reason is required'),
    });
    expect(await cli.run(['merchants', 'suspend', 'bookshop', '--reason', 'Chargebacks under review'])).toMatchObject({
      code: 0,
      out: expect.stringContaining('Merchant bookshop is suspended: its new tickets and payments are refused (merchant_suspended)'),
    });
    expect((await cli.run(['merchants', 'resume', 'bookshop', '--reason', 'Cleared'])).code).toBe(0);

    const shown = await cli.run(['merchants', 'show', 'bookshop']);
    expect(shown.code).toBe(0);
    const lines = shown.out.split('\n');
    expect(lines.slice(0, 3)).toEqual(['id\tbookshop', 'name\tLa Librairie', 'status\tactive']);
    expect(lines).toContain('origins\thttps://shop.example');
    expect(lines.filter((line) => line.startsWith('key\t'))).toEqual([
      expect.stringMatching(new RegExp(`^key\\t${first.kid}\\tadded \\S+\\tactive$`)),
    ]);
    expect(lines.filter((line) => line.startsWith('history\t')).map((line) => line.split('\t').slice(2))).toEqual([
      ['pending -> active', 'cli:alice'],
      ['active -> suspended', 'cli:alice', 'Chargebacks under review'],
      ['suspended -> active', 'cli:alice', 'Cleared'],
    ]);
    const json = JSON.parse((await cli.run(['merchants', 'show', 'bookshop', '--json'])).out);
    expect(json).toMatchObject({ id: 'bookshop', status: 'active', keys: [{ kid: first.kid, retiredAt: null }] });
    expect(json.history).toHaveLength(3);
    expect(JSON.stringify(json)).not.toContain(first.publicJwk.x);

    expect(await cli.run(['merchants', 'show', 'nobody'])).toMatchObject({ code: 1, err: expect.stringContaining('merchant_unknown') });
  });

  it('retires a key once its successor is added, and never the last one', { timeout: 240_000 }, async () => {
    expect(await cli.run(['merchants', 'key', 'retire', 'bookshop', first.kid])).toMatchObject({
      code: 1,
      err: expect.stringContaining('merchant_key_last'),
    });
    expect((await cli.run(['merchants', 'key', 'add', 'bookshop', secondFile])).code).toBe(0);
    expect(await cli.run(['merchants', 'key', 'retire', 'bookshop', first.kid])).toMatchObject({
      code: 0,
      out: `Key ${first.kid} of merchant bookshop is retired: tickets signed with it are refused. Active key(s): ${second.kid}.`,
    });
    expect(await cli.run(['merchants', 'key', 'retire', 'bookshop', first.kid])).toMatchObject({
      code: 1,
      err: expect.stringContaining('merchant_key_unknown'),
    });
    expect(await cli.run(['merchants', 'key', 'retire', 'bookshop', second.kid])).toMatchObject({
      code: 1,
      err: expect.stringContaining('merchant_key_last'),
    });
    expect((await cli.run(['merchants', 'key', 'retire', 'bookshop'])).code).toBe(2);
    const keys = (await cli.run(['merchants', 'show', 'bookshop'])).out.split('\n').filter((line) => line.startsWith('key\t'));
    expect(keys).toEqual([
      expect.stringMatching(new RegExp(`^key\\t${second.kid}\\tadded \\S+\\tactive$`)),
      expect.stringMatching(new RegExp(`^key\\t${first.kid}\\tadded \\S+\\tretired \\S+$`)),
    ]);
  });

  it('replaces the return origins, refusing a list register would refuse and keeping the old one', { timeout: 240_000 }, async () => {
    expect(await cli.run(['merchants', 'origins', 'bookshop', 'https://shop.example', 'https://www.shop.example'])).toMatchObject({
      code: 0,
      out: 'Merchant bookshop returns customers to https://shop.example, https://www.shop.example only.',
    });
    expect(await cli.run(['merchants', 'origins', 'bookshop', 'https://shop.example/paid'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('origin_invalid: "https://shop.example/paid" is not a return origin: write it exactly as its origin'),
    });
    expect((await cli.run(['merchants', 'show', 'bookshop'])).out.split('\n')).toContain(
      'origins\thttps://shop.example https://www.shop.example',
    );
    expect((await cli.run(['merchants', 'origins', 'bookshop'])).code).toBe(2);
    expect(await cli.run(['merchants', 'origins', 'nobody', 'https://shop.example'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('merchant_unknown'),
    });
    const json = JSON.parse((await cli.run(['merchants', 'origins', 'bookshop', 'http://localhost:3000', '--json'])).out);
    expect(json).toEqual({ merchantId: 'bookshop', returnOrigins: ['http://localhost:3000'] });
    expect((await cli.run(['merchants', 'show', 'bookshop'])).out.split('\n')).toContain('origins\thttp://localhost:3000');
    expect((await cli.run(['merchants', 'origins', '--help'])).out).toContain('merchants origins             MERCHANT URL [URL …]');
  });

  it('says how to use the commands', async () => {
    const help = (await cli.run(['merchants', 'suspend', '--help'])).out;
    expect(help).toContain('merchants suspend             MERCHANT --reason TEXT');
  });
});
