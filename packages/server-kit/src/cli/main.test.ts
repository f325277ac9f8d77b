import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { ISSUER, MERCHANT_ID, parties } from '../__fixtures__/parties.js';
import { importSigningKey } from '../keys/import.js';
import { createTicket } from '../ticket/create.js';
import { capture, tempDir } from './__fixtures__/capture.js';
import { KEYS_NEW_USAGE } from './keys-new.js';
import { MAIN_USAGE, runCli } from './main.js';
import { TICKET_INSPECT_USAGE } from './ticket-inspect.js';
import { VOUCHER_VERIFY_USAGE } from './voucher-verify.js';

async function run(argv: string[]) {
  const out = capture();
  const code = await runCli(argv, out.io);
  return { code, out };
}

describe('caisse: dispatch and help', () => {
  test.each([[['--help']], [['-h']], [['help']]])('%j prints the command list, exit 0', async (argv) => {
    const { code, out } = await run(argv);
    expect(code).toBe(0);
    expect(out.stdout).toBe(MAIN_USAGE);
  });

  test('no arguments: the command list on stderr, exit 2', async () => {
    const { code, out } = await run([]);
    expect(code).toBe(2);
    expect(out.stderr).toBe(MAIN_USAGE);
  });

  test.each([
    [['keys', 'new', '--help'], KEYS_NEW_USAGE],
    [['ticket', 'inspect', '--help'], TICKET_INSPECT_USAGE],
    [['voucher', 'verify', '-h'], VOUCHER_VERIFY_USAGE],
    [['help', 'voucher', 'verify'], VOUCHER_VERIFY_USAGE],
    [['keys', '--help'], KEYS_NEW_USAGE],
  ])('%j prints that command help', async (argv, usage) => {
    const { code, out } = await run(argv);
    expect(code).toBe(0);
    expect(out.stdout).toBe(usage);
  });

  test.each([
    [['pay'], 'Unknown command "pay"; the commands are keys new, ticket inspect, voucher verify, evidence verify.'],
    [['keys'], '"keys" needs a subcommand: keys new.'],
    [['keys', 'rotate'], 'Unknown command "keys rotate": keys new.'],
    [['voucher', '--json'], '"voucher" needs a subcommand: voucher verify.'],
    [['toString'], 'Unknown command "toString"; the commands are keys new, ticket inspect, voucher verify, evidence verify.'],
    [['keys', 'constructor'], 'Unknown command "keys constructor": keys new.'],
  ])('%j: usage error, exit 2', async (argv, message) => {
    const { code, out } = await run(argv);
    expect(code).toBe(2);
    if (argv.includes('--json')) expect(out.json()).toEqual({ ok: false, error: { code: 'usage', message } });
    else expect(out.stderr).toBe(`caisse: usage: ${message}\n`);
  });

  test('a token typed in place of a command is not echoed whole', async () => {
    const token = parties().ticket().token;
    const { code, out } = await run([token]);
    expect(code).toBe(2);
    expect(out.stderr).not.toContain(token.slice(0, 41));
  });

  test('end to end through runCli: a new key signs a ticket that inspect verifies with its JWKS', async () => {
    const dir = await tempDir();
    try {
      expect((await run(['keys', 'new', '--out', dir.dir, '--kid', 'shop-key-1'])).code).toBe(0);
      const privateJwk = JSON.parse(await readFile(`${dir.dir}/merchant-key.private.json`, 'utf8'));
      const ticket = createTicket(
        {
          serial: 'order-1',
          currency: 'JPY',
          items: [{ id: 'tea', label: 'Sencha', quantity: 3, unitAmount: 450, vatRate: 800 }],
          returnUrl: 'https://shop.example/paid',
          cancelUrl: 'https://shop.example/basket',
          state: 'A'.repeat(43),
        },
        { merchantId: MERCHANT_ID, paymentServer: ISSUER, payEndpoint: `${ISSUER}/pay`, signingKey: importSigningKey(privateJwk) },
      );
      const { code, out } = await run(['ticket', 'inspect', ticket.token, '--jwks', `${dir.dir}/merchant-key.jwks.json`]);
      expect(code).toBe(0);
      expect(out.stdout).toContain('signature verified with key "shop-key-1"');
      // JPY has no minor unit: 1350 minor units are ¥1350, never 13.50.
      expect(out.stdout).toContain('  amount  1350 JPY');
      expect(out.stdout).toContain('  - tea: 3 × 450 JPY = 1350 JPY (VAT 8.00 %)');
    } finally {
      await dir.cleanup();
    }
  });
});
