import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliInTempFolder } from '../cli/__fixtures__/run.js';
import { configSchema } from '../config.js';
import { createLogger } from '../log.js';
import { startPaymentServer } from '../server.js';
import { isListenError, ListenError, listenErrorOf } from './listen-error.js';

/** A port another process holds, as an operator meets it. */
let taken: Server;
let port: number;

beforeAll(async () => {
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  port = (taken.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => taken.close(resolve));
});

describe('a port already in use', () => {
  it('makes `caisse-server start` say so in one line and exit 1, without a stack', async () => {
    const cli = await cliInTempFolder('caisse-busy-port-', { HOST: '127.0.0.1', PORT: String(port) });
    try {
      expect(await cli.run(['start'])).toEqual({
        code: 1,
        out: '',
        err: `caisse-server: cannot listen on 127.0.0.1:${port}: the port is already in use (set PORT to a free port, or stop the other process).`,
      });
      // The server it had opened let go of its data folder: the next command may open it.
      expect((await cli.run(['alerts', 'list'])).code).toBe(0);
    } finally {
      await cli.remove();
    }
  });

  it('rejects startPaymentServer with a typed error that keeps its cause', async () => {
    const config = configSchema.parse({ HOST: '127.0.0.1', PORT: String(port), CAISSE_DATA_DIR: '', LOG_LEVEL: 'error' });
    const error = await startPaymentServer(config, { log: createLogger({ level: 'error', write: () => {} }) }).catch(
      (caught: unknown) => caught,
    );
    expect(isListenError(error, 'address_in_use')).toBe(true);
    expect(error).toMatchObject({ name: 'ListenError', code: 'address_in_use', host: '127.0.0.1', port, cause: { code: 'EADDRINUSE' } });
  });
});

describe('listenErrorOf', () => {
  it('explains the refusals an operator can fix, and keeps any other with its cause', () => {
    const where = { host: '::1', port: 80 };
    expect(listenErrorOf(Object.assign(new Error('listen EACCES'), { code: 'EACCES' }), where).message).toBe(
      'cannot listen on [::1]:80: this user may not listen on this port (set PORT to 1024 or above, or grant the process the right).',
    );
    expect(listenErrorOf({ code: 'EADDRNOTAVAIL' }, where).code).toBe('address_not_available');
    const odd = new Error('something else');
    expect(listenErrorOf(odd, where)).toMatchObject({ code: 'listen_failed', cause: odd });
    expect(listenErrorOf({ code: 'toString' }, where).code).toBe('listen_failed');
    expect(isListenError(new ListenError('address_in_use', where), 'permission_denied')).toBe(false);
  });
});
