import { connect, type Socket } from 'node:net';
import type { CliIo } from '../cli/commands.js';
import { CliError } from '../cli/errors.js';
import { loadConfig } from '../config.js';
import { adminSocketPath } from './path.js';
import { readMessages, send, serverMessage } from './protocol.js';

/** No socket file, or one a crashed server left: nobody answers, so the command opens the database itself. */
const NOBODY_ANSWERS = new Set(['ENOENT', 'ECONNREFUSED']);

function connectTo(path: string): Promise<Socket | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.off('error', refused);
      resolve(socket);
    });
    const refused = (error: NodeJS.ErrnoException) => (NOBODY_ANSWERS.has(error.code ?? '') ? resolve(undefined) : reject(error));
    socket.once('error', refused);
  });
}

/**
 * Runs `argv` inside the payment server that runs on the embedded database of `io.env`,
 * through its admin socket: the command line, the working directory and (when the command
 * reads it) standard input go to the server; its output lines and exit code come back.
 * Undefined when no server answers there (or with PostgreSQL): the command runs here.
 * @example const exit = await forwardToRunningServer(['wallet', 'credit', …], io) ?? (await runHere())
 */
export async function forwardToRunningServer(argv: readonly string[], io: CliIo): Promise<number | undefined> {
  const path = adminSocketPath(loadConfig(io.env), io.cwd);
  if (path === undefined) return undefined;
  const socket = await connectTo(path);
  if (socket === undefined) return undefined;
  return new Promise((resolve, reject) => {
    let exit: number | undefined;
    readMessages(socket, serverMessage, (message) => {
      if ('out' in message) io.out(message.out);
      else if ('err' in message) io.err(message.err);
      else if ('exit' in message) exit = message.exit;
      else
        io.readStdin().then(
          (stdin) => send(socket, { stdin }),
          (error: unknown) => socket.destroy(error as Error),
        );
    });
    socket.on('error', () => {});
    socket.once('close', () => (exit === undefined ? reject(new CliError('admin_connection_lost')) : resolve(exit)));
    send(socket, { run: { argv: [...argv], cwd: io.cwd ?? process.cwd() } });
  });
}
