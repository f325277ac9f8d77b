import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiTestServer, startApiTestServer } from '../api/__fixtures__/api-server.js';
import { sealAudit } from '../audit/seal.js';
import { verifyAudit } from '../audit/verify.js';
import { cliInTempFolder } from '../cli/__fixtures__/run.js';
import { backupDatabase } from './backup.js';
import type { Queryable } from './database.js';
import { openDatabase } from './open.js';
import { openPglite } from './pglite.js';

/** Every row of the tables a payment writes and the register seals, in a stable order. */
async function books(db: Queryable) {
  const all = async (table: string) => (await db.query(`SELECT * FROM ${table} AS t ORDER BY t::text`)).rows;
  return {
    payments: await all('payments'),
    transfers: await all('ledger_transfers'),
    postings: await all('ledger_entries'),
    auditBatches: await all('audit_batches'),
  };
}

/** The files under `dir` with their size and last change: what "changes nothing" compares. */
async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const found: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const { size, mtimeMs } = await stat(path);
    found.push(`${path.slice(dir.length)} ${size} ${mtimeMs}`);
  }
  return found.sort();
}

/**
 * Backup and restore of the embedded database as an operator runs them: a real server on
 * a PGlite data folder taking real payments, `caisse-server backup` and `restore`, and the
 * books compared row for row after the folder was wiped. No clock is frozen: nothing here
 * depends on the time.
 */
// Each step opens a PGlite of its own (seconds on a busy 2-core machine).
describe('backup and restore of the embedded database', { timeout: 180_000 }, () => {
  let cli: Awaited<ReturnType<typeof cliInTempFolder>>;
  let backups: string;
  let shop: ApiTestServer | undefined;
  let before: Awaited<ReturnType<typeof books>>;
  let head: { seq: bigint; hash: string } | undefined;
  const pglite = () => join(cli.dir, 'pglite');
  const backupFile = () => join(backups, 'caisse.tar.gz');

  beforeAll(async () => {
    cli = await cliInTempFolder('caisse-backup-');
    backups = await mkdtemp(join(tmpdir(), 'caisse-backups-'));
    shop = await startApiTestServer({ env: { CAISSE_DATA_DIR: cli.dir } });
    for (const amount of [1_250, 800, 4_000]) await shop.pay(amount);
    await sealAudit(shop.server.db);
    before = await books(shop.server.db);
    head = (await verifyAudit(shop.server.db)).head ?? undefined;
  });
  afterAll(async () => {
    await shop?.close();
    await cli?.remove();
    await rm(backups, { recursive: true, force: true });
  });

  it('backs up while the server runs: the file holds what was paid and sealed, and only its owner reads it', async () => {
    if (shop === undefined) throw new Error('the server did not start');
    expect(before.payments).toHaveLength(3);
    expect(head).toBeDefined();

    const summary = await backupDatabase(shop.server.db, backupFile());
    const written = await stat(backupFile());
    expect(summary).toEqual({
      file: backupFile(),
      bytes: written.size,
      payments: 3,
      transfers: before.transfers.length,
      auditBatches: before.auditBatches.length,
      auditHead: head,
    });
    expect(written.mode & 0o777).toBe(0o600);
    expect(await readdir(backups)).toEqual(['caisse.tar.gz']);
  });

  it('is refused by the CLI while another process holds the data folder, with its code, writing nothing', async () => {
    const refused = await cli.run(['backup', '--out', join(backups, 'while-running.tar.gz')]);
    expect(refused).toMatchObject({
      code: 1,
      err: expect.stringContaining(`config_invalid: The PGlite data folder ${pglite()} is in use by process`),
    });
    expect(await readdir(backups)).toEqual(['caisse.tar.gz']);
    await shop?.close();
    shop = undefined;
  });

  it('restores after the data folder is wiped: every payment, posting and audit batch is back, and the audit verifies', async () => {
    await rm(pglite(), { recursive: true });
    // A new machine: the data folder is gone, the operator's secret not put back yet.
    await rm(join(cli.dir, 'secret'), { force: true });
    const restored = await cli.run(['restore', '--from', backupFile()]);
    expect(restored).toMatchObject({ code: 0 });
    expect(restored.out).toContain(
      `into ${pglite()}: 3 payment(s), ${before.transfers.length} transfer(s), ${before.auditBatches.length} audit batch(es).`,
    );
    expect(restored.out).toContain('nothing to apply');
    expect(restored.out).toContain(`Audit head ${head?.seq}:${head?.hash}`);
    expect(restored.err).toContain(`No secret in ${cli.dir} and no CAISSE_SECRET: put back the secret of the server that made this backup`);
    // Nothing left beside the data folder: the staging copy became it.
    expect((await readdir(cli.dir)).filter((entry) => entry.startsWith('pglite'))).toEqual(['pglite']);

    const db = await openDatabase({ dataDir: pglite() });
    try {
      expect(await books(db)).toEqual(before);
      expect(await verifyAudit(db, head ? { expectedHead: head } : {})).toMatchObject({ ok: true, findings: [], unsealedTransfers: 0 });
    } finally {
      await db.close();
    }
  });

  it('backs up a stopped data folder from the CLI, saying what the file holds', async () => {
    const file = join(backups, 'from-cli.tar.gz');
    const done = await cli.run(['backup', '--out', file]);
    expect(done).toMatchObject({ code: 0 });
    expect(done.out).toContain(`Backed up to ${file}: ${(await stat(file)).size} bytes`);
    expect(done.out).toContain(
      `it holds 3 payment(s), ${before.transfers.length} transfer(s), ${before.auditBatches.length} audit batch(es).`,
    );
    const json = await cli.run(['backup', '--out', file, '--json']);
    expect(JSON.parse(json.out)).toEqual({
      file,
      bytes: (await stat(file)).size,
      payments: 3,
      transfers: before.transfers.length,
      auditBatches: before.auditBatches.length,
      auditHead: `${head?.seq}:${head?.hash}`,
    });
  });

  it('refuses to restore over a database without --force, and changes nothing', async () => {
    const untouched = await files(pglite());
    const refused = await cli.run(['restore', '--from', backupFile()]);
    expect(refused).toMatchObject({ code: 1, err: expect.stringContaining('restore_target_not_empty') });
    expect(refused.err).toContain('--force');
    expect(await files(pglite())).toEqual(untouched);
  });

  it('refuses a truncated, corrupt or foreign backup with backup_invalid, even with --force, and leaves the data folder as it was', async () => {
    const whole = await readFile(backupFile());
    const truncated = join(backups, 'truncated.tar.gz');
    await writeFile(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
    const corrupt = join(backups, 'corrupt.tar.gz');
    const flipped = Buffer.from(whole);
    flipped[Math.floor(flipped.length / 2)] = (flipped[Math.floor(flipped.length / 2)] ?? 0) ^ 0xff;
    await writeFile(corrupt, flipped);
    const notATarball = join(backups, 'notes.gz');
    await writeFile(notATarball, gzipSync('not a data folder'));
    // A PGlite data folder PostgreSQL starts, but never a payment server's.
    const foreign = join(backups, 'foreign.tar.gz');
    const other = await openPglite();
    await writeFile(foreign, Buffer.from(await (await other.dumpDataDir()).arrayBuffer()));
    await other.close();

    const untouched = await files(pglite());
    for (const file of [truncated, corrupt, notATarball, foreign, join(backups, 'missing.tar.gz')]) {
      const refused = await cli.run(['restore', '--from', file, '--force']);
      expect(refused, file).toMatchObject({ code: 1, err: expect.stringContaining(`backup_invalid: ${file}`) });
      expect(await files(pglite())).toEqual(untouched);
      expect((await readdir(cli.dir)).filter((entry) => entry.startsWith('pglite'))).toEqual(['pglite']);
    }
    const db = await openDatabase({ dataDir: pglite() });
    try {
      expect((await books(db)).payments).toEqual(before.payments);
    } finally {
      await db.close();
    }
  });

  it('replaces a database with --force', async () => {
    const renamed = await openDatabase({ dataDir: pglite() });
    await renamed.query(`UPDATE merchants SET display_name = 'Renamed since the backup'`);
    await renamed.close();
    const replaced = await cli.run(['restore', '--from', backupFile(), '--force']);
    expect(replaced).toMatchObject({ code: 0, out: expect.stringContaining('3 payment(s)') });
    expect((await readdir(cli.dir)).filter((entry) => entry.startsWith('pglite'))).toEqual(['pglite']);
    const db = await openDatabase({ dataDir: pglite() });
    try {
      expect((await db.query('SELECT display_name FROM merchants')).rows).toEqual([{ display_name: 'The Bookshop' }]);
    } finally {
      await db.close();
    }
  });

  it('points PostgreSQL to pg_dump and pg_restore, without connecting to it', async () => {
    const postgres = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', CAISSE_SECRET: 'x'.repeat(43) };
    const other = await cliInTempFolder('caisse-backup-pg-', postgres);
    try {
      const backup = await other.run(['backup', '--out', join(backups, 'pg.tar.gz')]);
      expect(backup).toMatchObject({
        code: 1,
        err: expect.stringContaining('backup_unsupported: With DATABASE_URL the database is PostgreSQL: back it up with pg_dump -Fc'),
      });
      expect(backup.err).toContain('"Backup and restore"');
      const restore = await other.run(['restore', '--from', backupFile()]);
      expect(restore).toMatchObject({ code: 1, err: expect.stringContaining('restore it with pg_restore') });
    } finally {
      await other.remove();
    }
  });
});
