import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKey } from '@caisse/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { createPaymentServer } from '../server.js';
import { cliInTempFolder } from './__fixtures__/run.js';
import type { RunningServer } from './commands.js';

// The commands run in this process against one server (as through the admin socket): the database is opened once.
let cli: Awaited<ReturnType<typeof cliInTempFolder>>;
let running: RunningServer;

/** Runs a command with `--json`; its stdout must be one JSON document. */
async function json(argv: string[], stdin = '') {
  const result = await cli.run([...argv, '--json'], stdin, { running });
  return { ...result, document: result.out === '' ? undefined : (JSON.parse(result.out) as unknown) };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

beforeAll(async () => {
  cli = await cliInTempFolder('caisse-cli-json-');
  const config = loadConfig({ CAISSE_DATA_DIR: cli.dir, LOG_LEVEL: 'error' });
  running = { server: await createPaymentServer(config, { log: createLogger({ level: 'error', write: () => {} }) }), config };
  await writeFile(join(cli.dir, 'shop.jwks.json'), JSON.stringify(generateKey().jwks));
});
afterAll(async () => {
  await running?.server.close();
  await cli.remove();
});

describe('caisse-server --json', () => {
  it('prints what an action did as one object, amounts as minor units in strings with their currency', async () => {
    // The JWKS path is relative: read from the operator's working directory.
    const added = await cli.run(
      [
        'merchants',
        'add',
        '--id',
        'bookshop',
        '--name',
        'The Bookshop',
        '--jwks',
        'shop.jwks.json',
        '--origin',
        'http://localhost:3001',
        '--json',
      ],
      '',
      { running, cwd: cli.dir },
    );
    expect(added).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(added.out)).toMatchObject({
      id: 'bookshop',
      displayName: 'The Bookshop',
      returnOrigins: ['http://localhost:3001'],
      keys: [{ kid: expect.any(String), retiredAt: null }],
      createdAt: expect.stringMatching(ISO_DATE),
    });
    // Keys by kid: the public key itself (its `x`) stays in the JWKS.
    expect(added.out).not.toContain('"x"');

    expect(
      await json(['customers', 'add', '--account', 'alice', '--phone', '+33612345678', '--cap', '200.00'], 'alice key\n'),
    ).toMatchObject({
      code: 0,
      err: '',
      document: { id: 'alice', currency: 'EUR' },
    });
    const credit = await json(['wallet', 'credit', '--account', 'alice', '--amount', '50.00', '--idempotency-key', 'json-1']);
    expect(credit).toMatchObject({ code: 0, err: '' });
    expect(credit.document).toEqual({
      account: 'alice',
      credited: { amount: '5000', currency: 'EUR' },
      replayed: false,
      balance: { amount: '5000', currency: 'EUR' },
      serial: expect.stringMatching(/^\d+$/),
    });
    const code = await json(['devices', 'code', 'alice']);
    expect(code).toMatchObject({
      code: 0,
      // The note for people is left out: stderr is empty, or one error.
      err: '',
      document: { customer: 'alice', code: expect.any(String), expiresAt: expect.stringMatching(ISO_DATE) },
    });
  });

  it('prints a record as one object', async () => {
    const plan = await json(['customers', 'plan', 'alice']);
    expect(plan).toMatchObject({ code: 0, err: '' });
    expect(plan.document).toEqual({
      customer: 'alice',
      currency: 'EUR',
      chosen: false,
      plan: {
        means: ['wallet', 'bank'],
        walletBelow: { amount: '5000', currency: 'EUR' },
        bankWhenShort: false,
        tapBelow: { amount: '0', currency: 'EUR' },
        dailyCeiling: { amount: '30000', currency: 'EUR' },
        monthlyCeiling: { amount: '100000', currency: 'EUR' },
      },
      bounds: {
        walletThreshold: { amount: '5000', currency: 'EUR' },
        tapLimit: { amount: '2000', currency: 'EUR' },
        dailyCeiling: { amount: '30000', currency: 'EUR' },
        monthlyCeiling: { amount: '100000', currency: 'EUR' },
      },
    });
    const audit = await json(['audit', 'verify']);
    expect(audit).toMatchObject({ code: 0, err: '', document: { ok: true, findings: [], unsealedTransfers: expect.any(Number) } });
    expect(await json(['allowances', 'settle-due'])).toMatchObject({ code: 0, document: { settled: 0 } });
    const prune = await json(['prune', '--dry-run']);
    expect(prune).toMatchObject({ code: 0, err: '', document: { dryRun: true, total: expect.any(Number), complete: true } });
  });

  it('prints a list as one array, [] when empty, where text says there is nothing', async () => {
    expect(await json(['merchants', 'list'])).toMatchObject({ code: 0, document: [{ id: 'bookshop', displayName: 'The Bookshop' }] });
    const keys = await json(['keys', 'list']);
    expect(keys.document).toEqual([{ kid: expect.any(String), alg: expect.stringMatching(/^(EdDSA|ES256)$/) }]);
    for (const argv of [
      ['devices', 'list', 'alice'],
      ['alerts', 'list'],
      ['notifications', 'list', '--parked'],
      ['disputes', 'list'],
      ['acquirers', 'list'],
      ['acquirers', 'pending'],
      ['merchants', 'refusals', 'bookshop'],
    ]) {
      expect(await json(argv), argv.join(' ')).toEqual({ code: 0, out: '[]', err: '', document: [] });
    }
    expect(await cli.run(['alerts', 'list'], '', { running })).toMatchObject({ code: 0, out: 'No open alerts.' });
  });

  it('prints errors as one {"error"} object on stderr, with the exit codes of text, changing nothing', async () => {
    const over = await json(['wallet', 'credit', '--account', 'alice', '--amount', '151.00', '--idempotency-key', 'json-2']);
    expect(over).toMatchObject({ code: 1, out: '' });
    expect(JSON.parse(over.err)).toEqual({ error: { code: 'wallet_cap_exceeded', message: expect.any(String) } });
    expect(
      (await json(['wallet', 'credit', '--account', 'alice', '--amount', '0.01', '--idempotency-key', 'json-3'])).document,
    ).toMatchObject({
      balance: { amount: '5001', currency: 'EUR' },
    });

    const unknown = await json(['customers', 'plan', 'nobody']);
    expect(unknown).toMatchObject({ code: 1, out: '' });
    expect(JSON.parse(unknown.err)).toEqual({ error: { code: 'customer_unknown', message: 'No customer has this account id.' } });

    const usage = await json(['wallet', 'credit', '--account']);
    expect(usage).toMatchObject({ code: 2, out: '' });
    expect(JSON.parse(usage.err)).toEqual({ error: { code: 'usage_invalid', message: expect.stringContaining('--account') } });

    const typo = await json(['merchant', 'list']);
    expect(typo).toMatchObject({ code: 2, out: '' });
    expect(JSON.parse(typo.err)).toEqual({
      error: { code: 'command_unknown', message: 'Unknown command "merchant list". Did you mean "merchants list"?' },
    });
  });
});
