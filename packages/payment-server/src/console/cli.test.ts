import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliInTempFolder } from '../cli/__fixtures__/run.js';
import { openDatabase } from '../storage/open.js';
import { listActions } from './activity.js';

let cli: Awaited<ReturnType<typeof cliInTempFolder>>;
const PASSWORD = 'a long operator passphrase\n';

beforeAll(async () => {
  cli = await cliInTempFolder('caisse-cli-operators-');
});
afterAll(async () => {
  await cli.remove();
});

describe('caisse-server operators', () => {
  it('adds the first admin, reading the password from stdin and printing the authenticator secret once', async () => {
    expect(await cli.run(['operators', 'list'])).toMatchObject({ code: 0, out: expect.stringContaining('No operator yet') });
    const added = await cli.run(['operators', 'add', '--id', 'ada', '--name', 'Ada Lovelace', '--role', 'admin'], PASSWORD);
    expect(added.code).toBe(0);
    const [said, , uri, secret] = added.out.split('\n');
    expect(said).toBe('Operator ada (Ada Lovelace) added with the role admin.');
    expect(uri).toMatch(
      /^otpauth:\/\/totp\/Caisse%20localhost%3A4000:ada\?secret=[A-Z2-7]{32}&issuer=Caisse%20localhost%3A4000&algorithm=SHA1&digits=6&period=30$/,
    );
    expect(secret).toBe(`Secret (base32): ${new URL(uri as string).searchParams.get('secret')}`);
    expect(added.out).not.toContain('passphrase');
    expect((await cli.run(['operators', 'list'])).out).toBe('ada\tadmin\tactive\tAda Lovelace');
  });

  it('refuses a taken id, an unknown role, a missing password, each with its code or the usage', async () => {
    expect(await cli.run(['operators', 'add', '--id', 'ada', '--name', 'Again', '--role', 'viewer'], PASSWORD)).toMatchObject({
      code: 1,
      err: 'caisse-server: operator_exists: An operator with this id already exists.',
    });
    expect((await cli.run(['operators', 'add', '--id', 'bob', '--name', 'Bob', '--role', 'root'], PASSWORD)).code).toBe(2);
    expect((await cli.run(['operators', 'add', '--id', 'bob', '--name', 'Bob', '--role', 'viewer'])).code).toBe(2);
    expect(await cli.run(['operators', 'add', '--id', 'bob', '--name', 'Bob', '--role', 'viewer'], 'short\n')).toMatchObject({
      code: 1,
      err: expect.stringContaining('request_invalid: password: 12–128 characters.'),
    });
  });

  it('never disables the last admin; disables another, unlocks, and resets a second factor, as JSON too', async () => {
    expect(await cli.run(['operators', 'disable', 'ada'])).toMatchObject({ code: 1, err: expect.stringContaining('operator_last_admin') });
    expect((await cli.run(['operators', 'add', '--id', 'bea', '--name', 'Bea', '--role', 'admin'], PASSWORD)).code).toBe(0);
    expect(await cli.run(['operators', 'disable', 'ada'])).toMatchObject({
      code: 0,
      out: 'Operator ada is disabled; their sessions ended.',
    });
    expect(await cli.run(['operators', 'unlock', 'bea'])).toMatchObject({ code: 0, out: 'Operator bea is unlocked.' });
    const reset = await cli.run(['operators', 'reset-totp', 'bea', '--json']);
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.out)).toMatchObject({
      operator: { id: 'bea', role: 'admin', state: 'active' },
      totp: { secret: expect.stringMatching(/^[A-Z2-7]{32}$/), uri: expect.stringMatching(/^otpauth:\/\/totp\//) },
    });
    expect(await cli.run(['operators', 'reset-totp', 'nobody'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('operator_unknown'),
    });
  });

  it('records every change in the register of operator actions, as done from the command line', async () => {
    const db = await openDatabase({ dataDir: join(cli.dir, 'pglite') });
    try {
      const actions = await listActions(db);
      expect(actions.map((action) => [action.operatorId, action.action, action.subject, action.client])).toEqual([
        ['cli', 'operator.reset_totp', 'bea', 'cli'],
        ['cli', 'operator.unlock', 'bea', 'cli'],
        ['cli', 'operator.disable', 'ada', 'cli'],
        ['cli', 'operator.add', 'bea', 'cli'],
        ['cli', 'operator.add', 'ada', 'cli'],
      ]);
    } finally {
      await db.close();
    }
  });
  it('locks a customer with a reason the register keeps (customers lock), refusing one without a reason', async () => {
    expect((await cli.run(['customers', 'add', '--account', 'carl', '--phone', '+33612340001'], 'carls access key\n')).code).toBe(0);
    expect(await cli.run(['customers', 'lock', '--account', 'carl'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--reason is required.'),
    });
    expect(await cli.run(['customers', 'lock', '--account', 'nobody', '--reason', 'Fraud'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('customer_unknown'),
    });
    expect(await cli.run(['customers', 'lock', '--account', 'carl', '--reason', 'Phone reported stolen'])).toMatchObject({
      code: 0,
      out: 'Customer carl is locked: their payments are refused (account_locked) until `customers unlock --account carl`.',
    });
    const again = JSON.parse((await cli.run(['customers', 'lock', '--account', 'carl', '--reason', 'Still stolen', '--json'])).out);
    expect(again).toEqual({ id: 'carl', lockedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect((await cli.run(['customers', 'lock', '--help'])).out).toContain('customers lock                --account ID --reason TEXT');

    const db = await openDatabase({ dataDir: join(cli.dir, 'pglite') });
    try {
      const actions = await listActions(db, { actions: ['customer.lock'] });
      expect(actions.map((action) => [action.operatorId, action.subject, action.details, action.client])).toEqual([
        ['cli', 'carl', { reason: 'Still stolen', outcome: 'done' }, 'cli'],
        ['cli', 'carl', { reason: 'Phone reported stolen', outcome: 'done' }, 'cli'],
      ]);
    } finally {
      await db.close();
    }
  });
});
