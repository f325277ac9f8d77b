import { chmod, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { CliIo, RunningServer } from '../cli/commands.js';
import { commandWords } from '../cli/usage.js';
import { adminSocketPath } from './path.js';
import { CLIENT_MESSAGE_LIMIT, type ClientMessage, clientMessage, readMessages, send } from './protocol.js';

/** `runCommand` of the CLI, passed in: the CLI starts this socket, so importing it here would make a cycle. */
type RunCommand = (argv: string[], io: CliIo) => Promise<number>;

/** The admin socket of a running payment server. */
export interface AdminSocket {
  readonly path: string;
  /** Stops taking commands, ends the connections, waits for the commands still running. */
  close(): Promise<void>;
}

/** Whether a process answers on `path`: false for a socket file left by a server that crashed. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Runs one client's command line in this process, against the running server: its output
 * goes back line by line, its standard input is asked for when the command reads it.
 */
function serveConnection(socket: Socket, running: RunningServer, runCommand: RunCommand): Promise<void> {
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let stdin: { resolve(text: string): void; reject(error: Error): void } | undefined;
  void closed.then(() => stdin?.reject(new Error('The admin client left before sending its standard input.')));
  return new Promise<void>((resolve) => {
    let started = false;
    const run = async (argv: string[], cwd: string) => {
      const io: CliIo = {
        out: (line) => send(socket, { out: line }),
        err: (line) => send(socket, { err: line }),
        // The server's configuration holds: the client's environment is not this process's.
        env: {},
        readStdin: () =>
          new Promise((resolveStdin, rejectStdin) => {
            stdin = { resolve: resolveStdin, reject: rejectStdin };
            send(socket, { stdin: true });
          }),
        stopSignal: () => closed,
        cwd,
        running,
      };
      const exit = await runCommand(argv, io);
      // The command's name, never its arguments: an operator may still pass something private in one.
      running.server.log.info('admin.command', { command: commandWords(argv).join(' '), exit });
      send(socket, { exit });
      socket.end();
    };
    readMessages(
      socket,
      clientMessage,
      (message: ClientMessage) => {
        if ('run' in message && !started) {
          started = true;
          void run(message.run.argv, message.run.cwd).finally(resolve);
        } else if ('stdin' in message && stdin !== undefined) {
          stdin.resolve(message.stdin);
          stdin = undefined;
        } else socket.destroy();
      },
      { limit: CLIENT_MESSAGE_LIMIT },
    );
    void closed.then(() => {
      if (!started) resolve();
    });
  });
}

/**
 * Listens for admin commands on `<CAISSE_DATA_DIR>/admin.sock` (mode 0600: its file
 * permission is the authentication, as the data folder's), so that `caisse-server`
 * commands run inside this process while it holds the embedded database. A socket file
 * left by a server that crashed is replaced. Undefined with PostgreSQL or in memory, and
 * when the socket cannot be made (a warning says why; commands then need the server stopped).
 * @example const admin = await startAdminSocket({ server, config }, runCommand); … await admin?.close();
 */
export async function startAdminSocket(running: RunningServer, runCommand: RunCommand): Promise<AdminSocket | undefined> {
  const path = adminSocketPath(running.config);
  if (path === undefined) return undefined;
  const { log } = running.server;
  // This server holds the data folder's lock, so a socket file there is one a crashed server left; unless it answers (then it is not ours to remove).
  if (await answers(path)) {
    log.warn('admin.socket_unavailable', { path, reason: 'another process answers on it' });
    return undefined;
  }
  const connections = new Set<Socket>();
  const commands = new Set<Promise<void>>();
  let accepting = false;
  const server = createServer((socket) => {
    // Before the chmod below, the socket had the umask's mode: nobody is served until it is 0600.
    if (!accepting) {
      socket.destroy();
      return;
    }
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
    socket.on('error', () => {});
    const command = serveConnection(socket, running, runCommand);
    commands.add(command);
    void command.finally(() => commands.delete(command));
  });
  try {
    await rm(path, { force: true });
    await listen(server, path);
    await chmod(path, 0o600);
  } catch (error) {
    // A path too long for a socket (about 100 bytes), a read-only folder…: the server runs, commands need it stopped.
    server.close();
    log.warn('admin.socket_unavailable', { path, error });
    return undefined;
  }
  accepting = true;
  log.info('admin.listening', { path });
  return {
    path,
    async close() {
      accepting = false;
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of connections) socket.destroy();
      await Promise.allSettled(commands);
      await closing;
      await rm(path, { force: true });
    },
  };
}
