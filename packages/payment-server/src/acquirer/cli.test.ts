import { type RunningSandboxBank, startSandboxBank } from '@caisse/sandbox-bank';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxAcquirerEntry } from '../after-payment/__fixtures__/server-process.js';
import { cliInTempFolder } from '../cli/__fixtures__/run.js';
import { loadConfig } from '../config.js';
import { createPaymentServer } from '../server.js';

describe('caisse-server acquirers, with the adapters named in CAISSE_ACQUIRERS', () => {
  let bank: RunningSandboxBank;
  let cli: Awaited<ReturnType<typeof cliInTempFolder>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    bank = await startSandboxBank();
    // An address where nothing listens any more: a bank that is down.
    const stopped = await startSandboxBank();
    await stopped.close();
    env = {
      CAISSE_ACQUIRERS: JSON.stringify([
        sandboxAcquirerEntry('euros', bank.url, [{ currencies: ['EUR'], maxAmount: 100_000 }, { merchants: ['bookshop'] }]),
        sandboxAcquirerEntry('down', stopped.url),
      ]),
    };
    cli = await cliInTempFolder('caisse-acquirers-', env);
  });
  afterAll(async () => {
    await cli?.remove();
    await bank?.close();
  });

  it('lists the acquirers loaded from their modules, in routing order, with their routes', async () => {
    expect(await cli.run(['acquirers', 'list'])).toEqual({
      code: 0,
      out: 'euros\tcurrencies EUR, below 100000 | merchants bookshop\ndown\teverything',
      err: '',
    });
  });

  it('sums what each acquirer approved, and lists what is still pending, for the operator to reconcile', async () => {
    const server = await createPaymentServer(loadConfig({ CAISSE_DATA_DIR: cli.dir, LOG_LEVEL: 'error', ...env }));
    try {
      const authorise = (key: string, currency: string) =>
        server.bank.authorise({
          idempotencyKey: key,
          customerBankRef: 'test_approve',
          amount: 1_250,
          currency,
          merchantId: 'shop',
          description: 'Order',
          metadata: { purpose: 'top_up', topUp: key },
        });
      await authorise('cli-1', 'EUR');
      await authorise('cli-2', 'EUR');
      // Pounds go to the second acquirer, which is down: the outcome stays unknown.
      await authorise('cli-3', 'GBP');
    } finally {
      await server.close();
    }
    expect((await cli.run(['acquirers', 'totals'])).out).toBe('euros\tEUR\tauthorise\t2\t25.00');
    expect((await cli.run(['acquirers', 'totals', '--from', '2000-01-01', '--to', '2000-01-31'])).out).toBe(
      'No approved bank operation in this period.',
    );
    expect((await cli.run(['acquirers', 'pending'])).out).toMatch(/^down\tcli-3\tauthorise\t12\.50 GBP\t1 attempt\(s\)\tunreachable: /);
  });

  it('refuses a bad date or an unknown action with the usage', async () => {
    expect(await cli.run(['acquirers', 'totals', '--from', '2026-02-30'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--from'),
    });
    expect(await cli.run(['acquirers', 'rename'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('Unknown command "acquirers rename"'),
    });
  });

  it('says which acquirer cannot be loaded, and why the configuration is wrong', async () => {
    const missing = await cliInTempFolder('caisse-acquirers-missing-', {
      CAISSE_ACQUIRERS: JSON.stringify([{ name: 'mine', module: './no-such-adapter.js' }]),
    });
    const malformed = await cliInTempFolder('caisse-acquirers-malformed-', { CAISSE_ACQUIRERS: '[{ "name": "Big Bank" }]' });
    const badCurrency = await cliInTempFolder('caisse-acquirers-band-', {
      CAISSE_ACQUIRERS: JSON.stringify([sandboxAcquirerEntry('euros', bank.url, [{ currencies: ['EURO'] }])]),
    });
    try {
      expect(await badCurrency.run(['acquirers', 'list'])).toMatchObject({
        code: 1,
        err: 'caisse-server: Invalid acquirer configuration: euros: EURO is not an ISO 4217 currency code.',
      });
      expect(await missing.run(['acquirers', 'list'])).toMatchObject({
        code: 1,
        err: 'caisse-server: Acquirer mine: cannot load its module ./no-such-adapter.js.',
      });
      const refused = await malformed.run(['acquirers', 'list']);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain('CAISSE_ACQUIRERS.0.name: must be 1–32 of a-z 0-9 _ -');
      expect(refused.err).toContain('CAISSE_ACQUIRERS.0.module');
    } finally {
      await missing.remove();
      await malformed.remove();
      await badCurrency.remove();
    }
  });
});
