import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./server-process.mjs', import.meta.url));

/** A port free right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * A `CAISSE_ACQUIRERS` entry for a sandbox bank at `url`, loaded by the process the way an
 * operator's adapter module is.
 * @example CAISSE_ACQUIRERS: JSON.stringify([sandboxAcquirerEntry('sandbox', proxy.url)])
 */
export function sandboxAcquirerEntry(name: string, url: string, routes?: readonly object[]) {
  return { name, module: '@caisse/sandbox-bank/acquirer', options: { url, timeoutMs: 1_000 }, ...(routes ? { routes } : {}) };
}

/** Starts a payment server process (server-process.mjs); resolves once it listens. */
export async function startServerProcess(env: Record<string, string>) {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [SCRIPT], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const waiting: { prefixes: string[]; resolve: (line: string) => void }[] = [];
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`the server process exited (${code ?? signal}) before listening: ${stderr}`)));
    lines.on('line', (line) => {
      if (line === 'listening') resolve();
      const index = waiting.findIndex((wait) => wait.prefixes.some((prefix) => line.startsWith(prefix)));
      if (index >= 0) waiting.splice(index, 1)[0]?.resolve(line);
    });
  });

  return {
    url: `http://127.0.0.1:${port}`,
    /** Sends a command without waiting for it. */
    send(command: string) {
      child.stdin?.write(`${command}\n`);
    },
    /** Sends a command and resolves with its result. */
    run(command: string): Promise<unknown> {
      const name = command.split(' ')[0] as string;
      const answer = new Promise<string>((resolve) => waiting.push({ prefixes: [`done ${name} `, `failed ${name} `], resolve }));
      child.stdin?.write(`${command}\n`);
      return answer.then((line) => {
        if (line.startsWith('failed')) throw new Error(`${command} failed in the server process: ${line} ${stderr}`);
        return JSON.parse(line.slice(`done ${name} `.length));
      });
    },
    async kill() {
      child.kill('SIGKILL');
      return exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    stderr: () => stderr,
  };
}
