import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliInTempFolder } from '../cli/__fixtures__/run.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { createPaymentServer } from '../server.js';
import { rowMaker } from './__fixtures__/rows.js';
import { PRUNED_TABLES } from './prune.js';

/** Long before any day this test may run: dead by the CLI's system clock whatever the date. */
const LONG_AGO = new Date('2001-01-01T00:00:00Z');

/** `caisse-server prune`, as an operator runs it against the embedded database's folder. */
describe('caisse-server prune', () => {
  let cli: Awaited<ReturnType<typeof cliInTempFolder>>;

  beforeAll(async () => {
    cli = await cliInTempFolder('caisse-prune-cli-');
    const server = await createPaymentServer(loadConfig({ CAISSE_DATA_DIR: cli.dir, LOG_LEVEL: 'error' }), {
      log: createLogger({ level: 'error', write: () => {} }),
    });
    try {
      const rows = rowMaker(server.db);
      const shop = await rows.merchant();
      await rows.notification(shop, 'delivered', LONG_AGO);
      await rows.notification(shop, 'pending', LONG_AGO);
      await rows.enrollmentCode(await rows.customer(), LONG_AGO);
      await rows.checkout(shop, { openedAt: LONG_AGO, ticketExp: LONG_AGO, end: 'cancelled' });
    } finally {
      await server.close();
    }
  });
  afterAll(async () => {
    await cli?.remove();
  });

  const lines = (counts: Record<string, number>) => PRUNED_TABLES.map((table) => `${table}\t${counts[table] ?? 0}`).join('\n');
  const dead = { checkout_sessions: 1, tickets: 1, notifications: 1, enrollment_codes: 1 };

  // Each command opens the embedded database from its folder: seconds apiece.
  it('counts with --dry-run and deletes nothing; then deletes the same rows, one line per table', { timeout: 180_000 }, async () => {
    expect(await cli.run(['prune', '--dry-run'])).toEqual({
      code: 0,
      out: lines(dead),
      err: 'Dry run: 4 row(s) would be deleted; nothing was.',
    });
    expect(await cli.run(['prune'])).toEqual({ code: 0, out: lines(dead), err: 'Deleted 4 row(s).' });
    expect(await cli.run(['prune'])).toEqual({ code: 0, out: lines({}), err: 'Deleted 0 row(s).' });
  });

  it('says how to use it', async () => {
    expect((await cli.run(['prune', '--help'])).out).toContain('prune                         [--dry-run]');
    expect(await cli.run(['prune', '--older-than', '3'])).toMatchObject({
      code: 2,
      err: expect.stringContaining("Unknown option '--older-than'"),
    });
    expect((await cli.run(['prune', 'now'])).code).toBe(2);
  });
});
