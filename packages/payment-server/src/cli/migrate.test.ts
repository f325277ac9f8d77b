import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../storage/migrations/index.js';
import { openDatabase } from '../storage/open.js';
import { cliInTempFolder } from './__fixtures__/run.js';

let cli: Awaited<ReturnType<typeof cliInTempFolder>>;
const latest = MIGRATIONS.at(-1)?.version;

beforeAll(async () => {
  cli = await cliInTempFolder('caisse-cli-migrate-');
  // A database a release with 28 migrations made: the operator upgrades, then migrates.
  const older = await openDatabase({ dataDir: join(cli.dir, 'pglite'), migrations: MIGRATIONS.slice(0, 28) });
  await older.close();
});
afterAll(async () => {
  await cli.remove();
});

describe('caisse-server migrate', () => {
  it('lists the migrations it applied, then says there is nothing to apply', async () => {
    const pending = MIGRATIONS.slice(28);
    const applied = await cli.run(['migrate']);
    expect(applied).toMatchObject({ code: 0, err: '' });
    expect(applied.out).toMatch(/^Applied \d+ migrations: 0029 evidence, 0030 receipts, 0031 disputes[,.]/);
    expect(applied.out).toBe(
      `Applied ${pending.length} migrations: ${pending.map((migration) => `00${migration.version} ${migration.name}`).join(', ')}. Schema at ${latest}.`,
    );
    expect(await cli.run(['migrate'])).toEqual({ code: 0, out: `Schema at ${latest}: nothing to apply.`, err: '' });
    expect(JSON.parse((await cli.run(['migrate', '--json'])).out)).toEqual({ applied: [], schema: latest });
    expect((await cli.run(['migrate', 'now'])).code).toBe(2);
  });
});
