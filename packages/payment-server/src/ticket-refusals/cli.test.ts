import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createState, createTicket, generateKey } from '@caisse/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliInTempFolder } from '../cli/__fixtures__/run.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { createPaymentServer } from '../server.js';

/**
 * The operator's side of a refused ticket: `caisse-server merchants refusals` lists what
 * the merchant was told, and `merchants key add` is the command its message names.
 */
describe('caisse-server merchants refusals, key add and quote-endpoint', () => {
  let cli: Awaited<ReturnType<typeof cliInTempFolder>>;
  const registered = generateKey();
  const unregistered = generateKey();

  beforeAll(async () => {
    cli = await cliInTempFolder('caisse-refusals-cli-');
  });
  afterAll(async () => {
    await cli?.remove();
  });

  /** A ticket of `bookshop` signed with `key`, presented at /pay by a browser, on a server over the CLI's data folder. */
  async function present(key: ReturnType<typeof generateKey>): Promise<Response> {
    const server = await createPaymentServer(loadConfig({ CAISSE_DATA_DIR: cli.dir, LOG_LEVEL: 'error' }), {
      log: createLogger({ level: 'error', write: () => {} }),
    });
    try {
      const ticket = createTicket(
        {
          serial: 'order-1',
          currency: 'EUR',
          items: [{ id: 'b1', label: 'A book', quantity: 1, unitAmount: 1290, vatRate: 550 }],
          returnUrl: 'http://localhost:3001/paid',
          cancelUrl: 'http://localhost:3001/basket',
          state: createState(),
        },
        { merchantId: 'bookshop', paymentServer: server.issuer, payEndpoint: `${server.issuer}/pay`, signingKey: key.signingKey },
      );
      return await server.app.fetch(
        new Request(`${server.issuer}/pay`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ ticket: ticket.token }),
        }),
      );
    } finally {
      await server.close();
    }
  }

  // Each command and each server opens the embedded database from its folder: seconds apiece.
  it('lists the refusal with its code, count and what to do; the key added as it says, the next ticket is taken', {
    timeout: 180_000,
  }, async () => {
    const jwks = join(cli.dir, 'bookshop.jwks.json');
    await writeFile(jwks, JSON.stringify(registered.jwks));
    expect(
      (
        await cli.run([
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
        ])
      ).code,
    ).toBe(0);
    expect(await cli.run(['merchants', 'refusals', 'bookshop'])).toEqual({
      code: 0,
      out: '',
      err: 'No ticket naming bookshop was refused in the last 30 days.',
    });

    const refused = await present(unregistered);
    expect(refused.status).toBe(303);
    expect(refused.headers.get('location')).toMatch(/^http:\/\/localhost:3001\/basket\?caisse_refusal=/);
    const listed = await cli.run(['merchants', 'refusals', 'bookshop']);
    expect(listed.code).toBe(0);
    const [lastSeen, code, count, firstSeen, ticket, message] = listed.out.split('\t');
    expect({ code, count, ticket }).toEqual({ code: 'key_unknown', count: '1', ticket: expect.any(String) });
    expect(lastSeen).toBe(firstSeen);
    expect(message).toContain(`The key kid ${unregistered.kid} is not registered for merchant bookshop`);
    expect(message).toContain('caisse-server merchants key add bookshop JWKS_FILE');

    // What the message says to do, done: the same key now signs tickets that are taken.
    const file = join(cli.dir, 'new-key.jwks.json');
    await writeFile(file, JSON.stringify(unregistered.jwks));
    expect(await cli.run(['merchants', 'key', 'add', 'bookshop', file])).toMatchObject({
      code: 0,
      out: `Merchant bookshop can now sign tickets with key(s) ${unregistered.kid}.`,
    });
    const taken = await present(unregistered);
    expect(taken.status).toBe(303);
    expect(taken.headers.get('location')).toMatch(/^\/checkout\/cs_/);
  });

  it('says what is wrong with the command line, or with the merchant', { timeout: 120_000 }, async () => {
    expect(await cli.run(['merchants', 'refusals', 'nobody'])).toMatchObject({ code: 1, err: expect.stringContaining('merchant_unknown') });
    expect((await cli.run(['merchants', 'refusals'])).code).toBe(2);
    expect((await cli.run(['merchants', 'refusals', 'bookshop', '--limit', '0'])).code).toBe(2);
    expect((await cli.run(['merchants', 'key', 'add', 'bookshop'])).code).toBe(2);
    expect(await cli.run(['merchants', 'key', 'add', 'bookshop', join(cli.dir, 'missing.json')])).toMatchObject({
      code: 1,
      err: expect.stringContaining('keys_invalid'),
    });
    const again = join(cli.dir, 'again.jwks.json');
    await writeFile(again, JSON.stringify(registered.jwks));
    expect(await cli.run(['merchants', 'key', 'add', 'bookshop', again])).toMatchObject({
      code: 1,
      err: expect.stringContaining('keys_invalid'),
    });
    expect((await cli.run(['--help'])).out).toContain('merchants refusals MERCHANT');
    expect((await cli.run(['--help'])).out).toContain('merchants key add');
  });

  it('sets and removes the quote endpoint of a merchant, refusing one the payment server must not call', { timeout: 120_000 }, async () => {
    expect(await cli.run(['merchants', 'quote-endpoint', 'bookshop', 'http://localhost:3001/caisse/quote'])).toMatchObject({
      code: 0,
      out: 'Merchant bookshop is asked for quotes at http://localhost:3001/caisse/quote.',
    });
    expect(await cli.run(['merchants', 'quote-endpoint', 'bookshop', 'http://shop.example/quote'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('quoteUrl: must be an absolute https URL'),
    });
    expect(await cli.run(['merchants', 'quote-endpoint', 'bookshop', 'none'])).toMatchObject({
      code: 0,
      out: 'Merchant bookshop takes no quotes: its pages carry tickets it signs itself.',
    });
    expect((await cli.run(['merchants', 'quote-endpoint', 'bookshop'])).code).toBe(2);
    expect((await cli.run(['--help'])).out).toContain('merchants quote-endpoint      MERCHANT URL|none');
  });
});
