import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../storage/test-support.js';
import { lockServerMode, ServerModeError } from './lock.js';

const AT = new Date('2026-11-22T10:00:00Z');

describe('lockServerMode', () => {
  let handle: TestDatabase;
  beforeAll(async () => {
    handle = await openTestDatabase('pglite', 'server_mode');
  });
  afterAll(async () => {
    await handle?.close();
  });

  it('records the mode of the first start, takes it again, and refuses the other one for good', async () => {
    await lockServerMode(handle.db, 'test', AT);
    await lockServerMode(handle.db, 'test', new Date(AT.getTime() + 1000));
    const refused = await lockServerMode(handle.db, 'live', AT).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ServerModeError);
    expect(refused).toMatchObject({
      code: 'server_mode_mismatch',
      databaseMode: 'test',
      requestedMode: 'live',
      message: expect.stringContaining('play money and test keys never become live'),
    });
    const { rows } = await handle.db.query<{ mode: string; set_at: Date }>('SELECT mode, set_at FROM server_mode');
    expect(rows).toEqual([{ mode: 'test', set_at: AT }]);
  });

  it('keeps one row: the table takes no second mode', async () => {
    await expect(handle.db.query(`INSERT INTO server_mode (singleton, mode, set_at) VALUES (false, 'live', now())`)).rejects.toThrow();
    await expect(handle.db.query(`UPDATE server_mode SET mode = 'sandbox'`)).rejects.toThrow();
  });
});
