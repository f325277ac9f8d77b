import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { type ServerSetup, serverThread } from './server-thread.js';

/**
 * The server thread of {@link serverThread}, inside a child process of its own, so that
 * the process's resident memory and CPU time are the payment server's alone, apart from
 * the load the bench generates. The child's main thread only relays: it starts the
 * server thread, passes each question on and adds its own process's figures to the
 * answer. A bench's entry file then runs three ways: the bench (the parent's main
 * thread), the relay (the child's main thread, started with {@link SERVER_PROCESS_FLAG};
 * see {@link isServerProcess}) and the server (the child's worker thread, through
 * `benchEntry` as usual).
 */

/** The argument the relay process is started with. */
export const SERVER_PROCESS_FLAG = '--bench-server-process';

/** What the relay adds to every answer: its process, server thread included. */
export interface ProcessFigures {
  /** Resident set size of the whole server process, bytes. */
  rss: number;
  /** CPU time of the whole server process so far (all its threads), milliseconds. */
  cpuMs: number;
}

type ToRelay = { type: 'start'; setup: ServerSetup } | { type: 'ask' } | { type: 'close' };
type FromRelay<Ready, Answer> =
  | { type: 'ready'; ready: { url: string; jwks: unknown } & Ready }
  | { type: 'answer'; answer: Answer & ProcessFigures }
  | { type: 'closed' }
  | { type: 'failed'; error: string };

/** Whether this is the relay: the main thread of a process {@link serverProcess} started. */
export function isServerProcess(): boolean {
  return isMainThread && process.argv.includes(SERVER_PROCESS_FLAG);
}

/**
 * The relay, in the child process: runs {@link serverThread} with the setup the parent
 * sends and relays its answers until told to close, or until the parent is gone (its
 * channel closed), when it closes the server and exits. Ctrl-C reaches the whole process
 * group: the relay leaves the stopping to the parent, which drops the database after.
 */
export async function relayServer<Ready extends object, Answer>(entry: string): Promise<void> {
  process.on('SIGINT', () => {});
  const send = (message: FromRelay<Ready, Answer>) => {
    if (process.connected) process.send?.(message);
  };
  const setup = await new Promise<ServerSetup>((resolve) =>
    process.once('message', (message: ToRelay) => {
      if (message.type === 'start') resolve(message.setup);
    }),
  );
  const server = serverThread<Ready, Answer>(entry, setup);
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= server.close();
    return closing;
  };
  process.on('disconnect', () => void close().finally(() => process.exit(0)));
  try {
    const { type: _, ...ready } = await server.ready;
    send({ type: 'ready', ready: ready as { url: string; jwks: unknown } & Ready });
  } catch (error) {
    send({ type: 'failed', error: error instanceof Error ? error.message : String(error) });
    await close().catch(() => {});
    process.disconnect();
    return;
  }
  process.on('message', async (message: ToRelay) => {
    if (message.type === 'ask') {
      const answer = await server.ask();
      const cpu = process.cpuUsage();
      send({ type: 'answer', answer: { ...answer, rss: process.memoryUsage.rss(), cpuMs: (cpu.user + cpu.system) / 1000 } });
    } else if (message.type === 'close') {
      await close();
      send({ type: 'closed' });
      process.disconnect();
    }
  });
}

/**
 * The parent's side: forks `entry` (the bench's `import.meta.url`) as the relay, with
 * `execArgv` (e.g. `--expose-gc`, which its server thread inherits), and returns the
 * same interface as {@link serverThread}, each answer with the process's figures.
 */
export function serverProcess<Ready extends object, Answer>(entry: string, setup: ServerSetup, execArgv: readonly string[] = []) {
  const child = fork(fileURLToPath(entry), [SERVER_PROCESS_FLAG], { execArgv: [...execArgv] });
  const waiting: ((message: FromRelay<Ready, Answer>) => void)[] = [];
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      for (const waiter of waiting.splice(0))
        waiter({ type: 'failed', error: `the server process ended (${signal ?? `exit code ${code}`})` });
      resolve();
    }),
  );
  child.on('message', (message: FromRelay<Ready, Answer>) => waiting.shift()?.(message));
  const next = (): Promise<FromRelay<Ready, Answer>> =>
    exited
      ? Promise.reject(new Error('the server process has ended'))
      : new Promise((resolve, reject) =>
          waiting.push((message) => (message.type === 'failed' ? reject(new Error(`server process: ${message.error}`)) : resolve(message))),
        );
  const ready = next().then((message) => (message as Extract<FromRelay<Ready, Answer>, { type: 'ready' }>).ready);
  child.send({ type: 'start', setup } satisfies ToRelay);
  return {
    pid: child.pid,
    ready,
    async ask(): Promise<Answer & ProcessFigures> {
      const answer = next();
      child.send({ type: 'ask' } satisfies ToRelay);
      return ((await answer) as { type: 'answer'; answer: Answer & ProcessFigures }).answer;
    },
    /** Closes the server and waits for the process to end; one that does not within 15 s is killed. */
    async close(): Promise<void> {
      if (!exited && child.connected) {
        const closed = next().catch(() => undefined);
        child.send({ type: 'close' } satisfies ToRelay);
        await Promise.race([closed, exit]);
      }
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(killer);
    },
  };
}
