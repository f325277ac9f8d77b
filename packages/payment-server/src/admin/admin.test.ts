import { existsSync } from 'node:fs';
import { rename, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { generateKey } from '@caisse/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../after-payment/__fixtures__/server-process.js';
import { cliInTempFolder } from '../cli/__fixtures__/run.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { startPaymentServer } from '../server.js';
import { serveAdminCommands } from './commands.js';
import { ADMIN_SOCKET_NAME } from './path.js';

type Running = Awaited<ReturnType<typeof startPaymentServer>>;

let cli: Awaited<ReturnType<typeof cliInTempFolder>>;
let socket: string;
/** Everything the servers logged, to check what reached the log of a command. */
const logged: string[] = [];

/** The server as `caisse-server start` runs it: listening, with its admin socket. */
async function start(): Promise<Running> {
  const config = loadConfig({ CAISSE_DATA_DIR: cli.dir, PORT: String(await freePort()), LOG_LEVEL: 'info' });
  const server = await startPaymentServer(config, { log: createLogger({ level: 'info', write: (line) => logged.push(line) }) });
  const admin = await serveAdminCommands({ server, config });
  return {
    ...server,
    close: async () => {
      await admin?.close();
      await server.close();
    },
  };
}

/** A socket file nobody answers on, as a server killed with SIGKILL leaves behind. */
async function leaveStaleSocket(path: string): Promise<void> {
  const crashed = createServer();
  const elsewhere = `${path}.crashed`;
  await new Promise<void>((resolve) => crashed.listen(elsewhere, resolve));
  // Moved away before closing: closing removes the file where it was made, and this one stays, with nobody behind it.
  await rename(elsewhere, path);
  await new Promise<void>((resolve) => crashed.close(() => resolve()));
}

beforeAll(async () => {
  cli = await cliInTempFolder('caisse-admin-');
  socket = join(cli.dir, ADMIN_SOCKET_NAME);
});
afterAll(async () => {
  await cli.remove();
});

describe('admin commands while the server runs on the embedded database', () => {
  let server: Running;

  beforeAll(async () => {
    server = await start();
    await server.customers.add({ accountId: 'alice', phone: '+33612345678', accessKey: 'alice access key' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('listens on admin.sock in the data folder, which only its owner may use', async () => {
    expect(((await stat(socket)).mode & 0o777).toString(8)).toBe('600');
  });

  it('credits a wallet through the running server, which sees the new balance', async () => {
    // Opening the folder's database here would be refused (the server holds its lock): it went through the socket.
    const credit = await cli.run(['wallet', 'credit', '--account', 'alice', '--amount', '20.00', '--idempotency-key', 'admin-1']);
    expect(credit).toEqual({ code: 0, out: 'Credited 20.00 EUR. Balance 20.00 EUR.', err: '' });
    const again = await server.customers.walletCredit('alice', 'EUR', 2_000n, { idempotencyKey: 'admin-1' });
    expect(again).toMatchObject({ replayed: true, balance: 2_000n });

    const commands = logged.filter((line) => line.includes('"admin.command"'));
    expect(commands.at(-1)).toContain('"command":"wallet credit"');
    expect(commands.at(-1)).toContain('"exit":0');
    // The command's name only: its arguments stay out of the log.
    expect(commands.join('\n')).not.toContain('admin-1');
  });

  it("sends the client's standard input and working directory: an access key, a relative file", async () => {
    const added = await cli.run(['customers', 'add', '--account', 'bob', '--phone', '+33612345679'], 'bob secret key\n');
    expect(added).toEqual({ code: 0, out: 'Customer bob added with a EUR wallet.', err: '' });
    expect(await server.customers.identify('bob', 'bob secret key')).toMatchObject({ id: 'bob' });
    expect(logged.join('\n')).not.toContain('bob secret key');

    await writeFile(join(cli.dir, 'shop.jwks.json'), JSON.stringify(generateKey().jwks));
    const merchant = await cli.run(
      ['merchants', 'add', '--id', 'shop', '--name', 'Shop', '--jwks', 'shop.jwks.json', '--origin', 'https://shop.example'],
      '',
      {
        cwd: cli.dir,
      },
    );
    expect(merchant).toMatchObject({ code: 0, out: expect.stringContaining('Merchant shop (Shop) registered with 1 key(s)') });
    expect((await server.merchants.get('shop')).displayName).toBe('Shop');
  });

  it('brings back output, JSON and errors with their exit codes', async () => {
    expect(JSON.parse((await cli.run(['devices', 'list', 'alice', '--json'])).out)).toEqual([]);
    const over = await cli.run(['wallet', 'credit', '--account', 'alice', '--amount', '200.00', '--idempotency-key', 'admin-2']);
    expect(over).toMatchObject({ code: 1, out: '', err: expect.stringContaining('wallet_cap_exceeded') });
    expect(await cli.run(['wallet', 'credit', '--account', 'alice'])).toMatchObject({ code: 2, err: expect.stringContaining('--amount') });
    expect(await cli.run(['audit', 'verify'])).toMatchObject({ code: 0, out: expect.stringContaining('Audit OK') });
  });

  it('refuses start, migrate and restore through the socket', async () => {
    for (const command of ['start', 'migrate', 'restore']) {
      const refused = await cli.run([command]);
      expect(refused, command).toMatchObject({ code: 1, out: '', err: expect.stringContaining('caisse-server: server_running: ') });
    }
    expect(JSON.parse((await cli.run(['start', '--json'])).err)).toMatchObject({ error: { code: 'server_running' } });
  });
});

describe('admin commands once the server is gone', () => {
  it('removes the socket on close; a stale one is passed by (the command opens the database) and replaced at the next start', async () => {
    expect(existsSync(socket)).toBe(false);
    await leaveStaleSocket(socket);
    const credit = await cli.run(['wallet', 'credit', '--account', 'alice', '--amount', '1.00', '--idempotency-key', 'admin-3']);
    expect(credit).toEqual({ code: 0, out: 'Credited 1.00 EUR. Balance 21.00 EUR.', err: '' });

    const server = await start();
    try {
      const balance = await cli.run(['wallet', 'credit', '--account', 'alice', '--amount', '1.00', '--idempotency-key', 'admin-3']);
      expect(balance).toEqual({ code: 0, out: 'Already credited under this key; nothing moved. Balance 21.00 EUR.', err: '' });
      expect(logged.filter((line) => line.includes('"admin.command"')).at(-1)).toContain('"command":"wallet credit"');
    } finally {
      await server.close();
    }
    expect(existsSync(socket)).toBe(false);
  });
});
