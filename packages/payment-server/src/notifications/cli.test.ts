import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKey } from '@caisse/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliInTempFolder } from '../cli/__fixtures__/run.js';
import { openDatabase } from '../storage/open.js';
import { paymentAuthorised } from './__fixtures__/world.js';
import { enqueueNotification } from './outbox.js';

let cli: Awaited<ReturnType<typeof cliInTempFolder>>;
let dir: string;
const run = (argv: string[], stdin = '') => cli.run(argv, stdin);

beforeAll(async () => {
  cli = await cliInTempFolder('caisse-cli-notifications-');
  dir = cli.dir;
});
afterAll(async () => {
  await cli.remove();
});

describe('caisse-server notifications', () => {
  it('lists parked notifications and resends one, by id', async () => {
    const jwks = join(dir, 'shop.jwks.json');
    await writeFile(jwks, JSON.stringify(generateKey().jwks));
    const added = await run([
      'merchants',
      'add',
      '--id',
      'bookshop',
      '--name',
      'The Bookshop',
      '--jwks',
      jwks,
      '--origin',
      'http://localhost:3001',
      '--notify-url',
      'http://localhost:3001/caisse/notify',
    ]);
    expect(added.code).toBe(0);
    expect(await run(['notifications', 'list', '--parked'])).toMatchObject({ code: 0, out: 'No parked notifications.' });

    // Two events; one has failed for three days (the data folder has one owner at a time: closed before the CLI runs).
    const db = await openDatabase({ dataDir: join(dir, 'pglite') });
    const at = new Date();
    const [parked, pending] = await db.transaction(async (tx) => [
      await enqueueNotification(tx, { merchantId: 'bookshop', at, content: paymentAuthorised(1) }),
      await enqueueNotification(tx, { merchantId: 'bookshop', at, content: paymentAuthorised(2) }),
    ]);
    await db.query(`UPDATE notifications SET status = 'parked', parked_at = $2, attempts = 150, last_error = 'http 503' WHERE id = $1`, [
      parked?.id,
      at,
    ]);
    await db.close();

    const list = await run(['notifications', 'list', '--parked']);
    expect(list.code).toBe(0);
    expect(list.out.split('\n')).toEqual([
      `${parked?.id}\t${at.toISOString()}\tbookshop\tpayment.authorised\tparked\t150 attempt(s)\thttp 503`,
    ]);
    expect((await run(['notifications', 'list'])).out.split('\n')).toHaveLength(2);

    const resent = await run(['notifications', 'resend', '--id', parked?.id ?? '']);
    expect(resent.code).toBe(0);
    expect(resent.out).toMatch(
      new RegExp(`^Notification ${parked?.id} \\(payment.authorised for bookshop\\) is queued again; retried until `),
    );
    expect((await run(['notifications', 'list', '--parked'])).out).toBe('No parked notifications.');

    expect(await run(['notifications', 'resend', '--id', pending?.id ?? ''])).toMatchObject({
      code: 1,
      err: expect.stringContaining('notification_not_parked'),
    });
    expect(await run(['notifications', 'resend', '--id', 'n_nothing'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('notification_unknown'),
    });
    expect((await run(['notifications', 'resend'])).code).toBe(2);
  });
});
