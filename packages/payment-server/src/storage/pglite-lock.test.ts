import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPglite } from './pglite.js';

const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

async function folder() {
  const dir = await mkdtemp(join(tmpdir(), 'caisse-pglite-'));
  folders.push(dir);
  return dir;
}

describe('a PGlite data folder', () => {
  it('is opened by one process at a time: a second open is refused with a clear error, and works after close', async () => {
    const dataDir = await folder();
    const first = await openPglite({ dataDir });
    await expect(openPglite({ dataDir })).rejects.toMatchObject({
      code: 'config_invalid',
      message: expect.stringContaining(`in use by process ${process.pid}`),
    });
    await first.close();
    const again = await openPglite({ dataDir });
    await again.close();
  });

  it('takes over a lock left by a process that died', async () => {
    const dataDir = await folder();
    await writeFile(join(dataDir, 'caisse.lock'), '999999999');
    const db = await openPglite({ dataDir });
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
    await db.close();
  });
});
