import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKey } from '@caisse/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliInTempFolder } from './__fixtures__/run.js';

let cli: Awaited<ReturnType<typeof cliInTempFolder>>;
let dir: string;
const run = (argv: string[], stdin = '') => cli.run(argv, stdin);

beforeAll(async () => {
  cli = await cliInTempFolder('caisse-cli-');
  dir = cli.dir;
});
afterAll(async () => {
  await cli.remove();
});

describe('caisse-server', () => {
  it('migrates, registers a merchant and a customer, credits the wallet once per key', async () => {
    expect((await run(['migrate'])).code).toBe(0);
    const jwksFile = join(dir, 'shop.jwks.json');
    await writeFile(jwksFile, JSON.stringify(generateKey().jwks));
    const merchant = await run([
      'merchants',
      'add',
      '--id',
      'bookshop',
      '--name',
      'The Bookshop',
      '--jwks',
      jwksFile,
      '--origin',
      'http://localhost:3001',
    ]);
    expect(merchant).toMatchObject({ code: 0 });
    expect(merchant.out).toContain('Merchant bookshop (The Bookshop) registered with 1 key(s)');
    expect((await run(['merchants', 'list'])).out).toContain('bookshop\tactive\tThe Bookshop\thttp://localhost:3001');

    const customer = await run(
      ['customers', 'add', '--account', 'alice', '--phone', '+33612345678', '--cap', '200.00', '--bank-ref', 'test_approve'],
      'correct horse battery\n',
    );
    expect(customer).toMatchObject({ code: 0 });
    const credit = ['wallet', 'credit', '--account', 'alice', '--amount', '50.00', '--idempotency-key', 'demo-1'];
    expect((await run(credit)).out).toBe('Credited 50.00 EUR. Balance 50.00 EUR.');
    expect((await run(credit)).out).toBe('Already credited under this key; nothing moved. Balance 50.00 EUR.');
  });

  it('refuses a credit above the wallet cap with its code, moving nothing', async () => {
    const over = await run(['wallet', 'credit', '--account', 'alice', '--amount', '151.00', '--idempotency-key', 'demo-2']);
    expect(over.code).toBe(1);
    expect(over.err).toContain('wallet_cap_exceeded');
    expect((await run(['wallet', 'credit', '--account', 'alice', '--amount', '0.01', '--idempotency-key', 'demo-3'])).out).toContain(
      'Balance 50.01 EUR',
    );
  });

  it("shows a customer's plan and the operator's bounds, one line per field", async () => {
    const shown = await run(['customers', 'plan', 'alice']);
    expect(shown).toMatchObject({ code: 0, err: "Plan of alice in EUR: never chosen, the operator's defaults." });
    expect(shown.out.split('\n')).toEqual([
      'means\twallet,bank',
      'wallet-below\t50.00\t50.00',
      'bank-when-short\tno',
      'tap-below\t0.00\t20.00',
      'daily-ceiling\t300.00\t300.00',
      'monthly-ceiling\t1000.00\t1000.00',
    ]);
    expect((await run(['customers', 'plan', 'alice', '--currency', 'CHF'])).out).toContain('wallet-below\t50.00\t50.00');
    expect(await run(['customers', 'plan', 'nobody'])).toMatchObject({ code: 1, err: expect.stringContaining('customer_unknown') });
    expect((await run(['customers', 'plan'])).code).toBe(2);
    expect((await run(['customers', 'plan', 'alice', '--currency'])).code).toBe(2);
    expect((await run(['--help'])).out).toContain('customers plan ACCOUNT');
    expect(await run(['customers', 'plan', '--help'])).toMatchObject({ code: 0, out: expect.stringContaining('customers plan ACCOUNT') });
  });

  it('never takes the access key from the arguments', async () => {
    const refused = await run(['customers', 'add', '--account', 'bob', '--phone', '+33612345679']);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('standard input');
  });

  it('adds a customer with the language of their receipts, refusing one the pages do not have and adding nothing', async () => {
    const german = await run(
      ['customers', 'add', '--account', 'claire', '--phone', '+33612345680', '--locale', 'de'],
      'claires access key\n',
    );
    expect(german).toMatchObject({ code: 2, err: expect.stringContaining('--locale must be one of en, fr') });
    const french = await run(
      ['customers', 'add', '--account', 'claire', '--phone', '+33612345680', '--locale', 'fr'],
      'claires access key\n',
    );
    expect(french).toMatchObject({ code: 0, out: 'Customer claire added with a EUR wallet.' });
  });

  it('rotates keys: the new key is published before it signs', async () => {
    const rotated = await run(['keys', 'rotate']);
    expect(rotated.out).toMatch(/^Key [0-9a-f]{32} published now; it signs from /);
    expect((await run(['keys', 'list'])).out.split('\n')).toHaveLength(2);
  });

  it('verifies the audit register', async () => {
    const audit = await run(['audit', 'verify']);
    expect(audit.code).toBe(0);
    expect(audit.out).toContain('Audit OK');
  });

  it('shows an allowance and runs the allowance settlement sweep; an unknown allowance is allowance_unknown', async () => {
    expect((await run(['--help'])).out).toContain('allowances show ID');
    expect(await run(['allowances', 'settle-due', '--help'])).toMatchObject({
      code: 0,
      out: expect.stringContaining('allowances settle-due'),
    });
    expect(await run(['allowances', 'settle-due'])).toMatchObject({ code: 0, out: 'No allowance was due for settlement.' });
    expect(await run(['allowances', 'settle-due', '--limit', '0'])).toMatchObject({ code: 2 });
    expect(await run(['allowances', 'show', 'al_AAAAAAAAAAAAAAAAAAAAAA'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('allowance_unknown'),
    });
    expect((await run(['allowances', 'show'])).code).toBe(2);
    expect((await run(['allowances', 'revoke', 'al_AAAAAAAAAAAAAAAAAAAAAA'])).code).toBe(2);
  });

  it('answers usage errors with exit code 2 and the usage text', async () => {
    expect(await run(['wallet', 'credit', '--account'])).toMatchObject({ code: 2 });
    expect((await run(['frobnicate'])).err).toContain('Unknown command "frobnicate"');
    expect((await run(['audit', 'verify', '--expected-head', 'nonsense'])).code).toBe(2);
  });
});
