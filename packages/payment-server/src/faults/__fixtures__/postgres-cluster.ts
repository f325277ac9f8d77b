import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../after-payment/__fixtures__/server-process.js';

const run = promisify(execFile);

/** The server binaries of the newest PostgreSQL installed from Debian's packages. */
async function binaries(): Promise<string> {
  const { stdout } = await run('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1']);
  const folder = stdout.trim();
  if (folder === '') throw new Error('No PostgreSQL server binaries under /usr/lib/postgresql (Debian package postgresql).');
  return folder;
}

/**
 * A PostgreSQL server of the test's own, in a temporary folder on a free port, so that the
 * test can restart it without touching the machine's shared server that other suites use.
 * PostgreSQL refuses to run as root: as root, it runs as the `postgres` user.
 * @example const cluster = await startPostgresCluster(); await cluster.down(); await cluster.up(); await cluster.remove();
 */
export async function startPostgresCluster() {
  const bin = await binaries();
  const root = await mkdtemp(join(tmpdir(), 'caisse-pg-'));
  const data = join(root, 'data');
  const port = await freePort();
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: group } = await run('id', ['-g', 'postgres']);
    await chown(root, Number(stdout.trim()), Number(group.trim()));
  }
  await chmod(root, 0o700);
  const as = (command: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args]) : run(join(bin, command), args);
  const ctl = (...args: string[]) => as('pg_ctl', ['-D', data, '-l', join(root, 'log'), '-w', '-t', '60', ...args]);

  await as('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  // The socket in the folder of its own; fsync off: this server's data may be lost, its restarts are the point.
  const up = () => ctl('-o', `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, 'start');
  await up();

  return {
    port,
    /** The URL of `database` on this server (`postgres` exists from the start). */
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    /**
     * Stops the server as a failover or an upgrade does (`-m fast`): every session is
     * ended at once, transactions in flight roll back, new connections are refused.
     */
    down: () => ctl('-m', 'fast', 'stop'),
    /** Starts it again after `down`. */
    up,
    /** Stops it for good and deletes its folder. */
    async remove() {
      await ctl('-m', 'immediate', 'stop').catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
}
